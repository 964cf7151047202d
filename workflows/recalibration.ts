// Recalibration of the judge, as a child workflow of a run whose judge agreement fell
// under the threshold. Orchestration only; the split, candidates and decision are activities.
import { log, proxyActivities } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import type { JudgeSettings } from '../core/judge/judge-settings';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../core/runs/run-stage';
import { judgingActivity } from './judging-activities';

export interface RecalibrationInput {
  runId: string;
  projectId: string;
  activeVersionId: string;
  settings: JudgeSettings;
  sliceDimension: string | null;
  /** See DEFAULT_HEARTBEAT_TIMEOUT_MS in core/runs/run-stage.ts. */
  heartbeatTimeoutMs?: number;
}

export async function recalibrateJudge(input: RecalibrationInput) {
  const heartbeatTimeoutMs = input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const { prepareRecalibration, proposeJudgeCandidates, decideRecalibration } = proxyActivities<FlywheelActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  });
  const judgeEvalCases = judgingActivity(heartbeatTimeoutMs);
  const split = await prepareRecalibration({ runId: input.runId, projectId: input.projectId, tuningShare: input.settings.tuningShare });
  await judgeEvalCases({ judgeVersionId: input.activeVersionId, caseIds: [...split.tuningCaseIds, ...split.validationCaseIds] });
  const candidates = await proposeJudgeCandidates({
    runId: input.runId,
    projectId: input.projectId,
    activeVersionId: input.activeVersionId,
    tuningCaseIds: split.tuningCaseIds,
    maxFewShot: input.settings.maxFewShot,
  });
  await Promise.all(candidates.map((c) => judgeEvalCases({ judgeVersionId: c.versionId, caseIds: split.validationCaseIds })));
  const decision = await decideRecalibration({
    runId: input.runId,
    projectId: input.projectId,
    activeVersionId: input.activeVersionId,
    candidateIds: candidates.map((c) => c.versionId),
    split,
    settings: input.settings,
    sliceDimension: input.sliceDimension,
  });
  log.info('recalibration decided', { flywheelRunId: input.runId, projectId: input.projectId, activeVersionId: input.activeVersionId, candidates: candidates.length, decision: decision.decision });
  return { split: { tuning: split.tuningCaseIds.length, validation: split.validationCaseIds.length, heldOut: split.heldOut }, candidates, decision };
}
