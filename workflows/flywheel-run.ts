// The monthly flywheel run: orchestration only. Every side effect is an activity.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS, type FlywheelRunInput, type RunProgress, type RunStage } from '../core/runs/run-stage';
import { failureCause } from './failure-cause';
import { judgingActivity } from './judging-activities';
import { labelingQueue } from './labeling-queue';
import { recalibrateJudge } from './recalibration';

export const cancelRunSignal = defineSignal<[reason?: string]>('cancelRun');
export const progressQuery = defineQuery<RunProgress>('progress');

const runActivities = (heartbeatTimeoutMs: number) =>
  proxyActivities<FlywheelActivities>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
  });

const HOUR_MS = 3_600_000;

export async function flywheelRun(input: FlywheelRunInput): Promise<RunProgress> {
  const heartbeatTimeoutMs = input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const { recordRunStage, snapshotPeriodTraces, loadRunSettings, sampleProductionTraces, mergeLabelsIntoEvalSets, ensureActiveJudgeVersion, casesOfRun, computeJudgeAgreement, currentProductionCases, currentRegressionCases, computeCorrelation, finishRun } = runActivities(heartbeatTimeoutMs);
  const judgeEvalCases = judgingActivity(heartbeatTimeoutMs);
  const progress: RunProgress = { stage: 'starting', cancelRequested: false, cancelReason: null, snapshot: null, sample: null, labeling: null, merge: null, judging: null, recalibration: null, correlation: null };
  const work = new CancellationScope();

  setHandler(progressQuery, () => progress);
  // Workflow logs carry workflowId and runId (Temporal's); flywheelRunId is the service's run.
  const about = { flywheelRunId: input.runId, projectId: input.projectId };
  setHandler(cancelRunSignal, (reason) => {
    if (progress.cancelRequested) return;
    log.info('cancel requested', { ...about, reason: reason ?? null });
    progress.cancelRequested = true;
    progress.cancelReason = reason ?? 'cancelled by request';
    work.cancel();
  });

  const enterStage = async (stage: RunStage) => {
    progress.stage = stage;
    log.info('stage', { ...about, stage });
    await recordRunStage({ runId: input.runId, stage });
  };

  try {
    await work.run(async () => {
      await enterStage('snapshotting_traces');
      progress.snapshot = await snapshotPeriodTraces(input);
      const settings = await loadRunSettings({ runId: input.runId, projectId: input.projectId });

      await enterStage('sampling');
      const sample = await sampleProductionTraces({ ...input, policy: settings.sampling });
      progress.sample = sample;

      // Nothing sampled means nothing to label: the run completes at once.
      if (sample.sampled > 0) {
        await enterStage('labeling');
        progress.labeling = await executeChild(labelingQueue, {
          workflowId: `${workflowInfo().workflowId}-labeling`,
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          args: [
            {
              runId: input.runId,
              projectId: input.projectId,
              doubleLabel: { share: settings.labeling.doubleLabelShare, min: settings.labeling.minDoubleLabelled },
              deadline: new Date(Date.now() + settings.labeling.deadlineHours * HOUR_MS).toISOString(),
              historyEventLimit: input.labelingHistoryEventLimit,
              heartbeatTimeoutMs,
            },
          ],
        });
        if (progress.labeling.done > 0) {
          await enterStage('merging');
          progress.merge = await mergeLabelsIntoEvalSets({ runId: input.runId, projectId: input.projectId, sliceDimension: settings.sampling.sliceDimension });

          await enterStage('judging');
          const judge = await ensureActiveJudgeVersion({ projectId: input.projectId });
          const caseIds = await casesOfRun({ runId: input.runId, projectId: input.projectId });
          const batch = await judgeEvalCases({ judgeVersionId: judge.id, caseIds });
          const agreement = await computeJudgeAgreement({
            projectId: input.projectId,
            runId: input.runId,
            judgeVersionId: judge.id,
            caseIds,
            scope: 'run',
            settings: settings.judge,
            sliceDimension: settings.sampling.sliceDimension,
          });
          progress.judging = {
            judgeVersionId: judge.id,
            judgeVersion: judge.version,
            cases: caseIds.length,
            scored: batch.scored,
            failed: batch.failed,
            failureReasons: batch.failureReasons,
            agreementReportId: agreement.reportId,
            primary: agreement.primary,
          };

          if (agreement.primary.below) {
            await enterStage('recalibrating');
            const result = await executeChild(recalibrateJudge, {
              workflowId: `${workflowInfo().workflowId}-recalibration`,
              parentClosePolicy: ParentClosePolicy.TERMINATE,
              args: [{ runId: input.runId, projectId: input.projectId, activeVersionId: judge.id, settings: settings.judge, sliceDimension: settings.sampling.sliceDimension, heartbeatTimeoutMs }],
            });
            progress.recalibration = { ...result.decision, split: result.split, candidates: result.candidates.length };
          }

          // Offline score by the judge now active, on every case of the production set.
          await enterStage('correlating');
          const activeJudge = await ensureActiveJudgeVersion({ projectId: input.projectId });
          const productionCases = await currentProductionCases({ projectId: input.projectId });
          await judgeEvalCases({ judgeVersionId: activeJudge.id, caseIds: productionCases });
          // Runs started before the regression set was reported replay without these calls.
          let regressionCases: string[] | undefined;
          if (patched('correlation-reports-regression-set')) {
            regressionCases = await currentRegressionCases({ projectId: input.projectId });
            await judgeEvalCases({ judgeVersionId: activeJudge.id, caseIds: regressionCases });
          }
          progress.correlation = await computeCorrelation({
            runId: input.runId,
            projectId: input.projectId,
            periodStart: input.periodStart,
            periodEnd: input.periodEnd,
            judgeVersionId: activeJudge.id,
            caseIds: productionCases,
            regressionCaseIds: regressionCases,
            sliceDimension: settings.sampling.sliceDimension,
            minReleases: settings.judge.correlationMinReleases,
            driftMargin: settings.judge.driftMargin,
          });

        }
      }
      await enterStage('finishing');
    });
  } catch (error) {
    if (!isCancellation(error)) {
      const cause = failureCause(error);
      progress.stage = 'failed';
      log.error('run failed', { ...about, cause });
      await finishRun({ runId: input.runId, status: 'failed', summary: progress, failureCause: cause });
      throw ApplicationFailure.nonRetryable(`flywheel run failed: ${cause}`, 'FlywheelRunFailed');
    }
  }

  // Cancellation is clean: the run row says so and why, and the workflow completes normally.
  progress.stage = progress.cancelRequested ? 'cancelled' : 'completed';
  log.info('run finished', { ...about, stage: progress.stage, sampled: progress.sample?.sampled ?? 0, labelled: progress.labeling?.done ?? 0 });
  await CancellationScope.nonCancellable(() =>
    finishRun({
      runId: input.runId,
      status: progress.cancelRequested ? 'cancelled' : 'completed',
      summary: progress,
      failureCause: progress.cancelRequested ? progress.cancelReason : null,
    }),
  );
  return progress;
}
