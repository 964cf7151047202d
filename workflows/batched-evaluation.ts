// The shape release and shadow evaluations share: prepare, judge in batches until nothing
// is pending, report; on any failure (cancellation included) record the cause and fail for
// good. Each workflow passes its own activities (and keeps their options and its query).
// The order and kind of the calls here are both workflows' command sequence: changing them
// breaks the replay of running evaluations. Not exported from workflows/index.ts: it is no
// workflow type of its own.
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import type { EvaluationProgress } from '../core/releases/evaluation-progress';
import { failureCause } from './failure-cause';

interface EvaluationSteps<Report> {
  /** What the failure message calls the evaluation ("release evaluation"). */
  name: string;
  /** The non-retryable failure's type. */
  failureType: string;
  /** Prepares the evaluation; resolves to the number of judgments to make. */
  prepare(): Promise<number>;
  /** Judges one batch: judgments made and failed in it, and how many are still pending. */
  judgeBatch(): Promise<{ judged: number; failed: number; remaining: number }>;
  complete(): Promise<Report>;
  /** Records the failure on the evaluation's row. */
  fail(cause: string): Promise<void>;
}

export async function runBatchedEvaluation<Report>(progress: EvaluationProgress, steps: EvaluationSteps<Report>): Promise<Report> {
  try {
    const total = await steps.prepare();
    progress.stage = 'judging';
    progress.total = total;
    // Each batch settles what it takes (a score or a recorded failure), so the pending count
    // falls every time; a count that stops falling ends the loop rather than spinning.
    for (let pending = Number.POSITIVE_INFINITY; ; ) {
      const batch = await steps.judgeBatch();
      progress.judged += batch.judged;
      progress.failed += batch.failed;
      if (batch.remaining === 0 || batch.remaining >= pending) break;
      pending = batch.remaining;
    }
    progress.stage = 'reporting';
    const report = await steps.complete();
    progress.stage = 'completed';
    return report;
  } catch (error) {
    progress.stage = 'failed';
    const cause = failureCause(error);
    // Recorded even when the workflow was cancelled, so the row never stays "running".
    await CancellationScope.nonCancellable(() => steps.fail(cause));
    throw ApplicationFailure.nonRetryable(`${steps.name} failed: ${cause}`, steps.failureType);
  }
}
