// The labeling queue of one run: a child workflow that creates the tasks, takes each
// reviewer's label or skip as an update (stored once by an idempotent activity), and
// closes on completion, at its deadline or on an admin's signal.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FlywheelActivities } from '../activities';
import type { LabelingQueueInput, LabelingReport, SkipTaskRequest, SubmitLabelRequest, TaskOutcome } from '../core/labeling/labeling-messages';
import { allTasksFinished, newLabelingProgress, recordFinishedTask, type LabelingProgress } from '../core/labeling/labeling-progress';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../core/runs/run-stage';

export const submitLabelUpdate = defineUpdate<TaskOutcome, [SubmitLabelRequest]>('submitLabel');
export const skipTaskUpdate = defineUpdate<TaskOutcome, [SkipTaskRequest]>('skipTask');
export const closeLabelingSignal = defineSignal<[reason?: 'admin']>('closeLabeling');
export const labelingProgressQuery = defineQuery<LabelingProgress>('labelingProgress');

export async function labelingQueue(input: LabelingQueueInput): Promise<LabelingReport> {
  const { createLabelTasks, storeLabel, skipLabelTask, closeLabelTasks } = proxyActivities<FlywheelActivities>({
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: ['TaskRefused'] },
  });
  // Undefined until the queue has made its tasks. Reviewers can see tasks from the moment
  // they are committed, before the queue has heard so (much later when the worker that made
  // them was lost): their messages are taken from the start and wait for the count.
  let opened: LabelingProgress | undefined = input.carried ? { ...input.carried, generation: input.carried.generation + 1 } : undefined;
  let closedByAdmin = false;
  const about = { flywheelRunId: input.runId, projectId: input.projectId };

  const refuseWhenClosed = (request: { runId: string }) => {
    if (request.runId !== input.runId) throw new Error(`this queue belongs to run ${input.runId}, not ${request.runId}`);
    if (opened?.closed || closedByAdmin) throw new Error(`labeling for run ${input.runId} is closed (${opened?.closeReason ?? 'admin'})`);
  };
  const handle = async (store: () => Promise<TaskOutcome>, reviewerId: string): Promise<TaskOutcome> => {
    await condition(() => opened !== undefined);
    const outcome = await store();
    log.info(outcome.status === 'skipped' ? 'task skipped' : 'label stored', { ...about, taskId: outcome.taskId, labelId: outcome.labelId, reviewerKeyId: reviewerId, duplicate: outcome.duplicate });
    if (!outcome.duplicate) recordFinishedTask(opened!, reviewerId, outcome.status);
    return outcome;
  };

  setHandler(closeLabelingSignal, () => {
    log.info('labeling closed by an admin', about);
    closedByAdmin = true;
  });
  setHandler(submitLabelUpdate, (request) => handle(() => storeLabel(request), request.reviewerId), { validator: refuseWhenClosed });
  setHandler(skipTaskUpdate, (request) => handle(() => skipLabelTask(request), request.reviewerId), { validator: refuseWhenClosed });

  if (!opened) {
    const { total } = await createLabelTasks({ runId: input.runId, projectId: input.projectId, doubleLabel: input.doubleLabel });
    opened = newLabelingProgress(total, input.deadline);
  }
  const progress: LabelingProgress = opened;
  setHandler(labelingProgressQuery, () => progress);
  log.info('labeling queue open', { ...about, total: progress.total, done: progress.done, generation: progress.generation, deadline: progress.deadline });

  const historyLimit = input.historyEventLimit ?? 10_000;
  const needsNewRun = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  const msLeft = Math.max(0, Date.parse(progress.deadline) - Date.now());
  const closedInTime = await condition(() => closedByAdmin || allTasksFinished(progress) || needsNewRun(), msLeft);

  if (closedInTime && !closedByAdmin && !allTasksFinished(progress)) {
    // Long queue: start a fresh run with the counts so history stays small.
    await condition(allHandlersFinished);
    log.info('labeling queue continues as new', { ...about, historyLength: workflowInfo().historyLength, done: progress.done });
    await continueAsNew<typeof labelingQueue>({ ...input, carried: progress });
  }

  progress.closeReason = progress.total === 0 ? 'empty' : closedByAdmin ? 'admin' : allTasksFinished(progress) ? 'completed' : 'deadline';
  progress.closed = true;
  // Updates already accepted finish before the queue's final counts are taken.
  await condition(allHandlersFinished);
  const report = await closeLabelTasks({ runId: input.runId, closeReason: progress.closeReason });
  progress.expired = report.expired;
  log.info('labeling queue closed', { ...about, closeReason: progress.closeReason, done: report.done, skipped: report.skipped, expired: report.expired });
  progress.open = 0;
  if (report.done !== progress.done || report.skipped !== progress.skipped) {
    // The database is the record; a mismatch means a message was counted wrongly.
    throw ApplicationFailure.nonRetryable(`labeling counts disagree: workflow ${progress.done}/${progress.skipped}, database ${report.done}/${report.skipped}`);
  }
  return report;
}
