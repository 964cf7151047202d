// Shadow evaluation of a candidate release: orchestration only. Every pair is judged in
// both orders by the activities; batches keep progress visible and retries cheap.
import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import type { EvaluationProgress } from '../core/releases/evaluation-progress';
import type { ShadowReport } from '../core/shadow/shadow-report';
import { runBatchedEvaluation } from './batched-evaluation';

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
  const { evaluationId } = input;
  return runBatchedEvaluation(progress, {
    name: 'shadow evaluation',
    failureType: 'ShadowEvaluationFailed',
    // Every pair is judged in both orders.
    prepare: async () => (await prepareShadowEvaluation({ evaluationId })).pairs * 2,
    judgeBatch: () => judgeShadowBatch({ evaluationId, limit: BATCH }),
    complete: () => completeShadowEvaluation({ evaluationId }),
    fail: (cause) => failShadowEvaluation({ evaluationId, cause }),
  });
}
