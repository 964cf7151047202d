// What a run's merge step did to each eval set.
import type { EvalSetKind } from './types';

export interface SetMergeReport {
  evalSetId: string;
  name: string;
  kind: EvalSetKind;
  /** null when nothing changed, so no version was made. */
  versionId: string | null;
  version: number | null;
  added: number;
  changed: number;
  skipped: { caseKey: string; reason: string }[];
}

export interface MergeReport {
  labelledItems: number;
  needsAdjudication: number;
  sets: SetMergeReport[];
}
