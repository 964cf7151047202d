// Offline score of a release on the current eval set versions: orchestration only. The
// judging runs in batches so progress is visible and a lost worker costs one batch.
import { ApplicationFailure, CancellationScope, defineQuery, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import type { EvaluationProgress } from '../core/releases/evaluation-progress';
import type { ReleaseEvaluationReport } from '../core/releases/release-evaluation-report';

export const releaseEvaluationProgressQuery = defineQuery<EvaluationProgress>('releaseEvaluationProgress');

const { prepareReleaseEvaluation, completeReleaseEvaluation, failReleaseEvaluation } = proxyActivities<FlywheelActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: ['NothingToEvaluate'] },
});

const { judgeReleaseEvaluationBatch } = proxyActivities<FlywheelActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['JudgeMisconfigured'] },
});

const BATCH = 100;

export async function releaseEvaluation(input: { evaluationId: string }): Promise<ReleaseEvaluationReport> {
  const progress: EvaluationProgress = { stage: 'preparing', total: 0, judged: 0, failed: 0 };
  setHandler(releaseEvaluationProgressQuery, () => progress);
  try {
    const plan = await prepareReleaseEvaluation({ evaluationId: input.evaluationId });
    progress.stage = 'judging';
    progress.total = plan.answered;
    // Each batch settles what it takes (a score or a recorded failure), so the pending count
    // falls every time; a count that stops falling ends the loop rather than spinning.
    for (let pending = Number.POSITIVE_INFINITY; ; ) {
      const batch = await judgeReleaseEvaluationBatch({ evaluationId: input.evaluationId, limit: BATCH });
      progress.judged += batch.scored;
      progress.failed += batch.failed;
      if (batch.remaining === 0 || batch.remaining >= pending) break;
      pending = batch.remaining;
    }
    progress.stage = 'reporting';
    const report = await completeReleaseEvaluation({ evaluationId: input.evaluationId });
    progress.stage = 'completed';
    return report;
  } catch (error) {
    progress.stage = 'failed';
    const cause = isCancellation(error)
      ? 'cancelled'
      : error instanceof Error
        ? error.cause instanceof Error
          ? `${error.message}: ${error.cause.message}`
          : error.message
        : String(error);
    // Recorded even when the workflow was cancelled, so the row never stays "running".
    await CancellationScope.nonCancellable(() => failReleaseEvaluation({ evaluationId: input.evaluationId, cause }));
    throw ApplicationFailure.nonRetryable(`release evaluation failed: ${cause}`, 'ReleaseEvaluationFailed');
  }
}
