// What a run's sampling step reports: how many it drew, from where, and what it left out and why.
export interface SampleReport {
  seed: string;
  requested: number;
  sampled: number;
  eligible: number;
  byStratum: Record<string, number>;
  bySlice: Record<string, number>;
  sliceDimension: string | null;
  excluded: { alreadyLabelled: number; inEvalSet: number; nearDuplicates: number };
  shortfalls: string[];
}
