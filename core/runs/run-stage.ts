import type { MergeReport } from '../evalsets/merge-report';
import type { LabelingReport } from '../labeling/labeling-messages';
import type { SampleReport } from '../sampling/sample-report';

// The stages of a flywheel run, in order. Shared by the workflow (its stage query),
// the activities (the run row) and the API.
export const RUN_STAGES = ['starting', 'snapshotting_traces', 'sampling', 'labeling', 'merging', 'judging', 'recalibrating', 'correlating', 'finishing', 'completed', 'cancelled', 'failed'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export interface FlywheelRunInput {
  runId: string;
  projectId: string;
  /** ISO 8601 instants; the run looks at traces with periodStart <= timestamp < periodEnd. */
  periodStart: string;
  periodEnd: string;
  /** Tests only: makes the labeling queue continue-as-new early. */
  labelingHistoryEventLimit?: number;
  /** How long an activity may go without a heartbeat; see DEFAULT_HEARTBEAT_TIMEOUT_MS. */
  heartbeatTimeoutMs?: number;
}

/**
 * Every activity heartbeats while it runs (worker.ts), so a worker that dies mid-activity is
 * noticed after this long and the activity is retried on another worker, instead of after
 * its whole start-to-close timeout. Fault tests shorten it.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;

export interface ReleaseTraceCount {
  releaseName: string | null;
  traces: number;
  sessions: number;
}

export interface TraceSnapshot {
  traceCount: number;
  sessionCount: number;
  byRelease: ReleaseTraceCount[];
}

export interface RunProgress {
  stage: RunStage;
  cancelRequested: boolean;
  cancelReason: string | null;
  snapshot: TraceSnapshot | null;
  sample: SampleReport | null;
  labeling: LabelingReport | null;
  merge: MergeReport | null;
  judging: JudgingSummary | null;
  recalibration: RecalibrationSummary | null;
  correlation: { reportId: string; headline: unknown; driftWarning: boolean } | null;
}

export interface JudgingSummary {
  judgeVersionId: string;
  judgeVersion: number;
  cases: number;
  scored: number;
  failed: number;
  failureReasons: string[];
  agreementReportId: string | null;
  primary: { metric: string; value: number | null; n: number; threshold: number; below: boolean; unmeasured: boolean } | null;
}

export interface RecalibrationSummary {
  decision: 'promoted' | 'kept_active';
  promotedVersionId: string | null;
  reason: string;
  split: { tuning: number; validation: number; heldOut: number };
  candidates: number;
}

/** The calendar month before `now`, in UTC: the default period of a monthly run. */
export function previousMonthPeriod(now: Date): { periodStart: string; periodEnd: string } {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return { periodStart: start.toISOString(), periodEnd: end.toISOString() };
}
