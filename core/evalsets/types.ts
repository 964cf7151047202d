// The shapes of eval cases and set versions shared by merge, export, import and the API.
import type { Dimension } from '../stats/agreement';

export type EvalSetKind = 'production' | 'regression' | 'custom';

/** One reviewer's label as it travels with a case. */
export interface CaseLabel {
  reviewerId: string;
  scores: Record<Dimension, number>;
  verdict: 'pass' | 'fail';
  failureCategory: string | null;
  expected: string | null;
  notes: string | null;
}

/** A turn of the session before the case's input, needed to reproduce it. */
export interface SessionTurn {
  input: string;
  output: string;
}

/** The content of an eval case (what its content hash covers). */
export interface EvalCaseContent {
  /** Stable identity across versions: the source trace's id, or the imported case's key. */
  caseKey: string;
  input: string;
  sessionContext: SessionTurn[];
  retrievedContext: { id: string; text: string }[];
  /** The production answer that was labelled (reference for the judge), if any. */
  output: string | null;
  /** Expected behaviour or a reference answer. */
  expected: string | null;
  labels: CaseLabel[];
  /** Agreed verdict, or null when reviewers disagree (then needsAdjudication). */
  verdict: 'pass' | 'fail' | null;
  failureCategory: string | null;
  slice: Record<string, string>;
  needsAdjudication: boolean;
  sourceTraceId: string | null;
  sourceRunId: string | null;
}

/** A labelled sample item as the merge step receives it from the database. */
export interface LabelledItem {
  traceId: string;
  externalId: string;
  input: string;
  output: string;
  sessionContext: SessionTurn[];
  retrievedContext: { id: string; text: string }[];
  slice: Record<string, string>;
  runId: string;
  labels: CaseLabel[];
}

/**
 * A case as it leaves the service in an export: its content plus the stored row's id
 * and content hash, so an exported file can be traced back to the exact version rows.
 */
export type ExportCase = EvalCaseContent & { id: string; contentHash: string };
