// What a project's monthly schedule starts: it records the run for the month before the
// fire time, then runs the flywheel as a child so the run has its own id and history.
import { ParentClosePolicy, executeChild, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import { PERIOD_ATTRIBUTE, PROJECT_ID_ATTRIBUTE, periodLabel } from '../core/runs/search-attributes';
import { flywheelRun } from './flywheel-run';

const { createScheduledRun } = proxyActivities<FlywheelActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

export async function scheduledFlywheelRun(input: { projectId: string }) {
  const info = workflowInfo();
  // The schedule's own workflow id is unique per fire time, so a retry finds the same run.
  const run = await createScheduledRun({ projectId: input.projectId, scheduledWorkflowId: info.workflowId, firedAt: info.startTime.toISOString() });
  log.info('scheduled run', { flywheelRunId: run.runId, projectId: input.projectId, childWorkflowId: run.workflowId, periodStart: run.periodStart });
  return executeChild(flywheelRun, {
    workflowId: run.workflowId,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [{ runId: run.runId, projectId: input.projectId, periodStart: run.periodStart, periodEnd: run.periodEnd }],
    ...(run.searchAttributes
      ? { typedSearchAttributes: [{ key: PROJECT_ID_ATTRIBUTE, value: input.projectId }, { key: PERIOD_ATTRIBUTE, value: periodLabel(run.periodStart) }] }
      : {}),
  });
}
