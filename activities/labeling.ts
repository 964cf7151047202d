// Activities of the labeling queue. Every write is keyed so that a retry, a repeated
// submission or a replayed update finds the row already there and changes nothing.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { InterAnnotatorAgreement, LabelingReport, SkipTaskRequest, SubmitLabelRequest, TaskOutcome } from '../core/labeling/labeling-messages';
import type { CloseReason } from '../core/labeling/labeling-progress';
import { doubleLabelCount } from '../core/labeling/labeling-settings';
import { DIMENSIONS, summarisePointwiseAgreement, type PointwisePair } from '../core/stats/agreement';
import type { Db } from '../db/client';
import { Prisma } from '../generated/prisma/client';
import { activityLog } from './activity-log';
import { faultPoint } from './fault-injection';

/** A refusal the workflow passes back to the reviewer; never retried. */
const isUniqueViolation = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
const refuse = (message: string) => ApplicationFailure.create({ message, type: 'TaskRefused', nonRetryable: true });
const refuseChanged = (taskId: string): never => {
  throw refuse(`task ${taskId} changed hands; reload it`);
};

/**
 * This activity execution, the same on each of its retries: a retry whose predecessor
 * committed and then lost its worker finds its own write and reports it as new, so the
 * queue counts it (once). Null when called outside Temporal.
 */
function activityExecution(): string | null {
  try {
    const { workflowExecution, activityId } = Context.current().info;
    return workflowExecution ? `${workflowExecution.runId}/${activityId}` : null;
  } catch {
    return null;
  }
}

type StoredTask = { id: string; runId: string; status: string; reviewerId: string | null; finishedByActivity: string | null };

function ofRun<T extends StoredTask>(task: T | null, request: { taskId: string; runId: string }): T {
  if (!task || task.runId !== request.runId) throw refuse(`task ${request.taskId} is not part of run ${request.runId}`);
  return task;
}

/**
 * What a label request gets from a task as it stands: its answer when the task is finished
 * or not this reviewer's (a duplicate, this execution's own earlier write, or a refusal),
 * null when the reviewer may label it now.
 */
function answerToLabel(task: StoredTask & { label: { id: string; reviewerId: string } | null }, request: SubmitLabelRequest, execution: string | null): TaskOutcome | null {
  if (task.label) {
    if (execution && task.finishedByActivity === execution) return { taskId: task.id, labelId: task.label.id, status: 'done', duplicate: false };
    if (task.label.reviewerId === request.reviewerId) return { taskId: task.id, labelId: task.label.id, status: 'done', duplicate: true };
    throw refuse(`task ${task.id} was already labelled by another reviewer`);
  }
  if (task.status === 'skipped' && task.reviewerId === request.reviewerId) return { taskId: task.id, labelId: null, status: 'skipped', duplicate: true };
  if (task.status === 'expired' || task.status === 'skipped') throw refuse(`task ${task.id} is ${task.status}`);
  if (task.reviewerId && task.reviewerId !== request.reviewerId) throw refuse(`task ${task.id} is claimed by another reviewer`);
  return null;
}

/** The same for a skip request. */
function answerToSkip(task: StoredTask, request: SkipTaskRequest, execution: string | null): TaskOutcome | null {
  if (task.status === 'skipped' && execution && task.finishedByActivity === execution) return { taskId: task.id, labelId: null, status: 'skipped', duplicate: false };
  if (task.status === 'skipped' && task.reviewerId === request.reviewerId) return { taskId: task.id, labelId: null, status: 'skipped', duplicate: true };
  if (task.status !== 'open' && task.status !== 'claimed') throw refuse(`task ${task.id} is ${task.status}`);
  if (task.reviewerId && task.reviewerId !== request.reviewerId) throw refuse(`task ${task.id} is claimed by another reviewer`);
  return null;
}

export function createLabelingActivities(db: Db) {
  return {
    /** One task per sampled item, plus a second slot for a share of the items, chosen in a seeded order. */
    async createLabelTasks({ runId, projectId, doubleLabel }: { runId: string; projectId: string; doubleLabel: { share: number; min: number } }): Promise<{ total: number }> {
      const items = await db.sampleItem.count({ where: { runId } });
      const doubleLabelled = doubleLabelCount(items, { doubleLabelShare: doubleLabel.share, minDoubleLabelled: doubleLabel.min });
      await db.$executeRawUnsafe(
        `INSERT INTO label_task (id, run_id, project_id, sample_item_id, trace_id, slot)
         SELECT gen_random_uuid(), s.run_id, $2::uuid, s.id, s.trace_id, 1 FROM sample_item s WHERE s.run_id = $1::uuid
         ON CONFLICT (sample_item_id, slot) DO NOTHING`,
        runId,
        projectId,
      );
      await db.$executeRawUnsafe(
        `INSERT INTO label_task (id, run_id, project_id, sample_item_id, trace_id, slot)
         SELECT gen_random_uuid(), s.run_id, $2::uuid, s.id, s.trace_id, 2 FROM sample_item s WHERE s.run_id = $1::uuid
         ORDER BY md5(s.run_id::text || ':' || s.trace_id::text) LIMIT $3
         ON CONFLICT (sample_item_id, slot) DO NOTHING`,
        runId,
        projectId,
        doubleLabelled,
      );
      const total = await db.labelTask.count({ where: { runId } });
      faultPoint('tasks-created');
      return { total };
    },

    async storeLabel(request: SubmitLabelRequest): Promise<TaskOutcome> {
      const execution = activityExecution();
      const outcome = await db.$transaction(async (tx): Promise<TaskOutcome> => {
        const load = async () => ofRun(await tx.labelTask.findUnique({ where: { id: request.taskId }, include: { label: true } }), request);
        const task = await load();
        const answer = answerToLabel(task, request, execution);
        if (answer) return answer;
        const sibling = await tx.label.findFirst({ where: { task: { sampleItemId: task.sampleItemId, id: { not: task.id } }, reviewerId: request.reviewerId } });
        if (sibling) throw refuse('you already labelled this trace in this run; a second label must come from another reviewer');
        // Claim and finish in one conditional update, so a concurrent claim cannot slip in.
        const claimed = await tx.labelTask.updateMany({
          where: { id: task.id, status: { in: ['open', 'claimed'] }, OR: [{ reviewerId: null }, { reviewerId: request.reviewerId }] },
          data: { status: 'done', reviewerId: request.reviewerId, claimedAt: task.claimedAt ?? new Date(), finishedAt: new Date(), finishedByActivity: execution },
        });
        // A concurrent submission finished the task first (its commit is visible now): answer
        // as if it had been there already, e.g. a duplicate of the same reviewer's label.
        if (claimed.count !== 1) return answerToLabel(await load(), request, execution) ?? refuseChanged(task.id);
        const { scores, verdict, failureCategory, expected, notes } = request.label;
        const label = await tx.label.create({
          data: { taskId: task.id, runId: task.runId, traceId: task.traceId, reviewerId: request.reviewerId, ...scores, verdict, failureCategory, expected, notes },
        });
        activityLog().info('label stored', { flywheelRunId: task.runId, taskId: task.id, traceId: task.traceId, labelId: label.id, reviewerKeyId: request.reviewerId, verdict });
        return { taskId: task.id, labelId: label.id, status: 'done', duplicate: false };
      }).catch((error: unknown) => {
        // The same reviewer's label of the other slot committed in between (the sibling check
        // above could not see it yet): the unique (run, trace, reviewer) key refused this one.
        if (isUniqueViolation(error)) throw refuse('you already labelled this trace in this run; a second label must come from another reviewer');
        throw error;
      });
      faultPoint('label-stored');
      return outcome;
    },

    async skipLabelTask(request: SkipTaskRequest): Promise<TaskOutcome> {
      const execution = activityExecution();
      return db.$transaction(async (tx): Promise<TaskOutcome> => {
        const load = async () => ofRun(await tx.labelTask.findUnique({ where: { id: request.taskId } }), request);
        const task = await load();
        const answer = answerToSkip(task, request, execution);
        if (answer) return answer;
        const updated = await tx.labelTask.updateMany({
          where: { id: task.id, status: { in: ['open', 'claimed'] } },
          data: { status: 'skipped', reviewerId: request.reviewerId, skipReason: request.reason, finishedAt: new Date(), finishedByActivity: execution },
        });
        if (updated.count !== 1) return answerToSkip(await load(), request, execution) ?? refuseChanged(task.id);
        return { taskId: task.id, labelId: null, status: 'skipped', duplicate: false };
      });
    },

    /** Expires what is left, measures inter-annotator agreement, and stores the queue's report on the run. */
    async closeLabelTasks({ runId, closeReason }: { runId: string; closeReason: CloseReason }): Promise<LabelingReport> {
      await db.labelTask.updateMany({ where: { runId, status: { in: ['open', 'claimed'] } }, data: { status: 'expired', finishedAt: new Date() } });
      const tasks = await db.labelTask.findMany({ where: { runId }, select: { status: true, reviewerId: true, sampleItemId: true, slot: true, label: true } });
      const count = (status: string) => tasks.filter((t) => t.status === status).length;
      const perReviewer: LabelingReport['perReviewer'] = {};
      for (const task of tasks) {
        if (!task.reviewerId || (task.status !== 'done' && task.status !== 'skipped')) continue;
        const entry = (perReviewer[task.reviewerId] ??= { done: 0, skipped: 0 });
        entry[task.status] += 1;
      }
      const report: LabelingReport = {
        total: tasks.length,
        done: count('done'),
        skipped: count('skipped'),
        expired: count('expired'),
        closeReason,
        perReviewer,
        interAnnotator: interAnnotatorAgreement(tasks.map((t) => ({ sampleItemId: t.sampleItemId, slot: t.slot, label: t.label })), runId),
      };
      await db.flywheelRun.update({ where: { id: runId }, data: { labelingReport: JSON.parse(JSON.stringify(report)) } });
      activityLog().info('labeling report stored', { flywheelRunId: runId, closeReason, total: report.total, done: report.done, skipped: report.skipped, expired: report.expired });
      return report;
    },
  };
}

type LabelRow = { reviewerId: string; verdict: 'pass' | 'fail' } & Record<(typeof DIMENSIONS)[number], number>;

function interAnnotatorAgreement(tasks: { sampleItemId: string; slot: number; label: LabelRow | null }[], seed: string): InterAnnotatorAgreement {
  const bySample = new Map<string, (LabelRow | null)[]>();
  for (const task of tasks) {
    const slots = bySample.get(task.sampleItemId) ?? [null, null];
    slots[task.slot - 1] = task.label;
    bySample.set(task.sampleItemId, slots);
  }
  const rating = (label: LabelRow) => ({ scores: Object.fromEntries(DIMENSIONS.map((d) => [d, label[d]])), verdict: label.verdict });
  const pairs: PointwisePair[] = [];
  for (const [first, second] of bySample.values()) {
    if (first && second && first.reviewerId !== second.reviewerId) pairs.push({ human: rating(first), judge: rating(second) });
  }
  const summary = summarisePointwiseAgreement(pairs, { seed, byGroup: false, iterations: 200 }).overall;
  return {
    items: pairs.length,
    dimensions: DIMENSIONS.map((dimension) => {
      const d = summary.dimensions[dimension];
      return { dimension, n: d.exact.n, exact: d.exact.value, withinOne: d.withinOne.value, quadraticKappa: d.quadraticKappa.value };
    }),
    verdict: { n: summary.verdict.agreement.n, agreement: summary.verdict.agreement.value, kappa: summary.verdict.kappa.value },
  };
}
