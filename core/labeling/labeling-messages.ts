// Messages between the API and the labeling queue workflow, and what the queue returns.
import type { LabelInput } from './label-input';
import type { CloseReason, LabelingProgress } from './labeling-progress';

export interface SubmitLabelRequest {
  runId: string;
  taskId: string;
  reviewerId: string;
  label: LabelInput;
}

export interface SkipTaskRequest {
  runId: string;
  taskId: string;
  reviewerId: string;
  reason: string;
}

/** `duplicate`: the task already had this reviewer's label or skip; nothing new was stored. */
export interface TaskOutcome {
  taskId: string;
  labelId: string | null;
  status: 'done' | 'skipped';
  duplicate: boolean;
}

export interface LabelingQueueInput {
  runId: string;
  projectId: string;
  /** Share of items (and the minimum number) that get a second reviewer. */
  doubleLabel: { share: number; min: number };
  /** ISO 8601 instant at which the queue closes by itself. */
  deadline: string;
  /** Continue-as-new once history grows past this many events (tests set it low). */
  historyEventLimit?: number;
  /** Set by continue-as-new: the state carried over. */
  carried?: LabelingProgress;
  /** See DEFAULT_HEARTBEAT_TIMEOUT_MS in core/runs/run-stage.ts. */
  heartbeatTimeoutMs?: number;
}

export interface DimensionAgreementSummary {
  dimension: string;
  n: number;
  exact: number | null;
  withinOne: number | null;
  quadraticKappa: number | null;
}

export interface InterAnnotatorAgreement {
  /** Items labelled by two different reviewers. */
  items: number;
  dimensions: DimensionAgreementSummary[];
  verdict: { n: number; agreement: number | null; kappa: number | null };
}

export interface LabelingReport {
  total: number;
  done: number;
  skipped: number;
  expired: number;
  closeReason: CloseReason;
  perReviewer: Record<string, { done: number; skipped: number }>;
  interAnnotator: InterAnnotatorAgreement;
}
