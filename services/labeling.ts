// Reviewers' side of the labeling queue. Reads go to the database; every submission and
// skip goes to the run's labeling workflow as an update, which stores it exactly once.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { parseLabelInput } from '../core/labeling/label-input';
import type { LabelingProgress } from '../core/labeling/labeling-progress';
import type { TaskOutcome } from '../core/labeling/labeling-messages';
import { toConnection } from '../core/pagination/cursor';
import type { Db } from '../db/client';
import type { LabelTaskStatus, Prisma } from '../generated/prisma/client';
import { closeLabelingSignal, labelingProgressQuery, skipTaskUpdate, submitLabelUpdate } from '../workflows';
import type { Principal } from './api-keys';
import { authorize, isVisibleTo } from './authorization';
import { ServiceError, badInput, notFound } from './errors';
import type { TemporalDeps } from './flywheel-runs';
import { getFlywheelRun } from './flywheel-runs';
import { pageArgs } from './pagination';
import { serviceLog, type Logger } from './logging';
import { assertUuid } from './projects';

export const labelingWorkflowId = (runWorkflowId: string) => `${runWorkflowId}-labeling`;

const STATUSES: readonly LabelTaskStatus[] = ['open', 'claimed', 'done', 'skipped', 'expired'];

/** A reviewer sees the open tasks of their project and their own; an admin or viewer sees all. */
export async function listLabelTasks(
  db: Db,
  principal: Principal,
  args: { projectId?: string | null; runId?: string | null; status?: LabelTaskStatus | null; first?: number | null; after?: string | null },
) {
  const projectId = args.projectId ?? principal.projectId;
  if (!projectId) throw badInput('projectId is required for a key that is not scoped to a project');
  assertUuid(projectId, 'project id');
  if (args.runId) assertUuid(args.runId, 'run id');
  authorize(principal, 'read', projectId);
  if (args.status && !STATUSES.includes(args.status)) throw badInput(`status must be one of ${STATUSES.join(', ')}`);
  const { size, prisma } = pageArgs(args.first, args.after);
  const where: Prisma.LabelTaskWhereInput = { projectId, ...(args.runId ? { runId: args.runId } : {}), ...(args.status ? { status: args.status } : {}) };
  if (principal.role === 'reviewer') {
    // Open tasks, except the second slot of a trace this reviewer already holds (its label
    // would be refused: a double label must come from another reviewer), and their own.
    where.OR = [{ status: 'open', sampleItem: { tasks: { none: { reviewerId: principal.keyId } } } }, { reviewerId: principal.keyId }];
  }
  const [rows, totalCount] = await Promise.all([
    db.labelTask.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...prisma }),
    db.labelTask.count({ where }),
  ]);
  return toConnection(rows, size, totalCount);
}

async function loadTaskFor(db: Db, principal: Principal, taskId: string) {
  assertUuid(taskId, 'task id');
  const task = await db.labelTask.findUnique({ where: { id: taskId }, include: { run: { select: { workflowId: true } } } });
  // Another project's task is reported as missing, not as forbidden: ids do not leak.
  if (!task || !isVisibleTo(principal, task.projectId)) throw notFound('label task', taskId);
  authorize(principal, 'label', task.projectId);
  if (task.reviewerId && task.reviewerId !== principal.keyId && task.status === 'claimed') {
    throw new ServiceError('FORBIDDEN', 'this task is claimed by another reviewer');
  }
  return task;
}

export async function claimTask(db: Db, principal: Principal, taskId: string) {
  const task = await loadTaskFor(db, principal, taskId);
  if (task.reviewerId === principal.keyId && task.status === 'claimed') return task;
  if (task.status !== 'open') throw new ServiceError('CONFLICT', `task ${taskId} is ${task.status}`);
  const sibling = await db.labelTask.findFirst({ where: { sampleItemId: task.sampleItemId, id: { not: task.id }, reviewerId: principal.keyId } });
  if (sibling) throw new ServiceError('CONFLICT', 'you hold the other label of this trace; a second label must come from another reviewer');
  const claimed = await db.labelTask.updateMany({ where: { id: task.id, status: 'open' }, data: { status: 'claimed', reviewerId: principal.keyId, claimedAt: new Date() } });
  if (claimed.count !== 1) throw new ServiceError('CONFLICT', `task ${taskId} was just claimed by someone else`);
  return db.labelTask.findUniqueOrThrow({ where: { id: task.id } });
}

function refusalFromWorkflow(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    // The refusal's own words sit at the bottom of the chain (update -> activity -> application failure).
    let cause: unknown = error;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    throw new ServiceError('CONFLICT', cause instanceof Error ? cause.message : error.message);
  }
  if (error instanceof WorkflowNotFoundError || (error instanceof Error && /already completed|not found/i.test(error.message))) {
    throw new ServiceError('CONFLICT', 'labeling for this run is closed');
  }
  throw error;
}

export async function submitLabel(db: Db, temporal: TemporalDeps, principal: Principal, taskId: string, input: unknown, log: Logger = serviceLog()): Promise<TaskOutcome> {
  const task = await loadTaskFor(db, principal, taskId);
  const about = { projectId: task.projectId, flywheelRunId: task.runId, workflowId: labelingWorkflowId(task.run.workflowId), taskId: task.id, traceId: task.traceId, reviewerKeyId: principal.keyId };
  const project = await db.project.findUniqueOrThrow({ where: { id: task.projectId }, select: { failureTaxonomy: true } });
  const parsed = parseLabelInput(input, project.failureTaxonomy);
  if (!parsed.ok) throw badInput(parsed.reason);
  const handle = temporal.client.workflow.getHandle(labelingWorkflowId(task.run.workflowId));
  const updateId = `label-${task.id}-${randomUUID()}`;
  try {
    // Each API call is its own update (the SDK retries it under one id); a repeated
    // submission reaches the queue, whose activity finds the stored label and says so.
    const outcome = await handle.executeUpdate(submitLabelUpdate, {
      args: [{ runId: task.runId, taskId: task.id, reviewerId: principal.keyId, label: parsed.label }],
      updateId,
    });
    log.info({ ...about, updateId, labelId: outcome.labelId, duplicate: outcome.duplicate }, 'label submitted');
    return outcome;
  } catch (error) {
    log.info({ ...about, updateId, err: error }, 'label refused by the queue');
    return refusalFromWorkflow(error);
  }
}

export async function skipTask(db: Db, temporal: TemporalDeps, principal: Principal, taskId: string, reason: string, log: Logger = serviceLog()): Promise<TaskOutcome> {
  const task = await loadTaskFor(db, principal, taskId);
  const about = { projectId: task.projectId, flywheelRunId: task.runId, workflowId: labelingWorkflowId(task.run.workflowId), taskId: task.id, traceId: task.traceId, reviewerKeyId: principal.keyId };
  const trimmed = reason.trim();
  if (!trimmed || trimmed.length > 2000) throw badInput('a skip needs a reason of 1 to 2000 characters');
  const handle = temporal.client.workflow.getHandle(labelingWorkflowId(task.run.workflowId));
  const updateId = `skip-${task.id}-${randomUUID()}`;
  try {
    const outcome = await handle.executeUpdate(skipTaskUpdate, {
      args: [{ runId: task.runId, taskId: task.id, reviewerId: principal.keyId, reason: trimmed }],
      updateId,
    });
    log.info({ ...about, updateId, duplicate: outcome.duplicate }, 'task skipped');
    return outcome;
  } catch (error) {
    log.info({ ...about, updateId, err: error }, 'skip refused by the queue');
    return refusalFromWorkflow(error);
  }
}

export async function closeLabeling(db: Db, temporal: TemporalDeps, principal: Principal, runId: string, log: Logger = serviceLog()) {
  const run = await getFlywheelRun(db, principal, runId);
  authorize(principal, 'operate', run.projectId);
  try {
    await temporal.client.workflow.getHandle(labelingWorkflowId(run.workflowId)).signal(closeLabelingSignal, 'admin');
    log.info({ projectId: run.projectId, flywheelRunId: run.id, workflowId: labelingWorkflowId(run.workflowId) }, 'labeling closed by request');
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new ServiceError('CONFLICT', 'this run has no open labeling queue');
    throw error;
  }
  return run;
}

/** Live progress from the queue's workflow; null when it has no queue or the queue is gone. */
export async function liveLabelingProgress(temporal: TemporalDeps, runWorkflowId: string): Promise<LabelingProgress | null> {
  try {
    return await temporal.client.workflow.getHandle(labelingWorkflowId(runWorkflowId)).query(labelingProgressQuery);
  } catch {
    return null;
  }
}

/** The session up to and including the task's turn, for the reviewer's context. */
export async function sessionContext(db: Db, traceId: string) {
  const trace = await db.trace.findUnique({ where: { id: traceId }, select: { projectId: true, sessionId: true, timestamp: true } });
  if (!trace) return [];
  return db.trace.findMany({
    where: { projectId: trace.projectId, sessionId: trace.sessionId, timestamp: { lte: trace.timestamp } },
    orderBy: [{ turn: 'asc' }, { timestamp: 'asc' }],
    include: { release: { select: { name: true } } },
    take: 50,
  });
}
