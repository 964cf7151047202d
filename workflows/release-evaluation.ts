// Offline score of a release on the current eval set versions: orchestration only. The
// judging runs in batches so progress is visible and a lost worker costs one batch.
import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import type { EvaluationProgress } from '../core/releases/evaluation-progress';
import type { ReleaseEvaluationReport } from '../core/releases/release-evaluation-report';
import { runBatchedEvaluation } from './batched-evaluation';

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
  const { evaluationId } = input;
  return runBatchedEvaluation(progress, {
    name: 'release evaluation',
    failureType: 'ReleaseEvaluationFailed',
    prepare: async () => (await prepareReleaseEvaluation({ evaluationId })).answered,
    judgeBatch: async () => {
      const batch = await judgeReleaseEvaluationBatch({ evaluationId, limit: BATCH });
      return { judged: batch.scored, failed: batch.failed, remaining: batch.remaining };
    },
    complete: () => completeReleaseEvaluation({ evaluationId }),
    fail: (cause) => failReleaseEvaluation({ evaluationId, cause }),
  });
}
