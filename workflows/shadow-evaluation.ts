// Shadow evaluation of a candidate release: orchestration only. Every pair is judged in
// both orders by the activities; batches keep progress visible and retries cheap.
import { ApplicationFailure, CancellationScope, defineQuery, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import type { EvaluationProgress } from '../core/releases/evaluation-progress';
import type { ShadowReport } from '../core/shadow/shadow-report';

export const shadowEvaluationProgressQuery = defineQuery<EvaluationProgress>('shadowEvaluationProgress');

const { prepareShadowEvaluation, completeShadowEvaluation, failShadowEvaluation } = proxyActivities<FlywheelActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

const { judgeShadowBatch } = proxyActivities<FlywheelActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['JudgeMisconfigured'] },
});

const BATCH = 100;

export async function shadowEvaluation(input: { evaluationId: string }): Promise<ShadowReport> {
  const progress: EvaluationProgress = { stage: 'preparing', total: 0, judged: 0, failed: 0 };
  setHandler(shadowEvaluationProgressQuery, () => progress);
  try {
    const plan = await prepareShadowEvaluation({ evaluationId: input.evaluationId });
    progress.stage = 'judging';
    progress.total = plan.pairs * 2;
    // Each batch settles what it takes (a score or a recorded failure), so the pending count
    // falls every time; a count that stops falling ends the loop rather than spinning.
    for (let pending = Number.POSITIVE_INFINITY; ; ) {
      const batch = await judgeShadowBatch({ evaluationId: input.evaluationId, limit: BATCH });
      progress.judged += batch.judged;
      progress.failed += batch.failed;
      if (batch.remaining === 0 || batch.remaining >= pending) break;
      pending = batch.remaining;
    }
    progress.stage = 'reporting';
    const report = await completeShadowEvaluation({ evaluationId: input.evaluationId });
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
    await CancellationScope.nonCancellable(() => failShadowEvaluation({ evaluationId: input.evaluationId, cause }));
    throw ApplicationFailure.nonRetryable(`shadow evaluation failed: ${cause}`, 'ShadowEvaluationFailed');
  }
}
