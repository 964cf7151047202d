// Reviewers' messages that arrive twice, concurrently, out of order, after the queue has
// closed, or for tasks of another run: each is stored and counted once, or refused with a
// reason, and the queue's counts always equal the database's. Complements
// test/workflows/sampling-labeling.test.ts (sequential duplicates, a late label after
// completion, another run's id, someone else's claim).
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SubmitLabelRequest } from '../../core/labeling/labeling-messages';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import { createActivities } from '../../activities';
import { cancelRunSignal, closeLabelingSignal, labelingProgressQuery, labelingQueue, submitLabelUpdate, skipTaskUpdate } from '../../workflows';
import { createFlywheelWorker } from '../../worker';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type Testbed } from '../helpers/testbed';

const PERIOD = { periodStart: '2026-10-01T00:00:00Z', periodEnd: '2026-11-01T00:00:00Z' };
const LABEL = { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' };
const REQUEST_LABEL: SubmitLabelRequest['label'] = { scores: { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict: 'pass', failureCategory: null, expected: null, notes: null };

/** The refusal's own words, at the bottom of the update's failure chain. */
async function refusalOf(update: Promise<unknown>): Promise<string> {
  try {
    await update;
  } catch (error) {
    let cause: unknown = error;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    return (cause as Error).message;
  }
  throw new Error('the update was accepted');
}

type Outcome = { data?: { submitLabel?: { status: string; duplicate: boolean }; skipTask?: { status: string; duplicate: boolean } } | null; errors?: { message: string; extensions?: { code?: string } }[] };

describe('reviewers\' messages twice, out of order, late, misdirected', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;

  beforeAll(async () => {
    bed = await openTestbed();
    ({ database, temporal, api, admin } = bed);
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** A running queue of `size` tasks (single-label, or every trace double-labelled) and two reviewers. */
  async function openQueue(name: string, size: number, options: { doubleLabelled?: boolean } = {}) {
    const traces = options.doubleLabelled ? size / 2 : size;
    const labelingSettings = options.doubleLabelled ? { doubleLabelShare: 1, minDoubleLabelled: traces, deadlineHours: 24 } : { doubleLabelShare: 0, minDoubleLabelled: 0, deadlineHours: 24 };
    const project = await database.db.project.create({ data: { name, samplingPolicy: { sampleSize: traces, sliceFloor: 1 }, labelingSettings } });
    await ingestParsedTraces(database.db, project.id, validateTraceItems(syntheticTraces(120, { prefix: `${name}-` })));
    const reviewers = await Promise.all([1, 2].map((i) => createApiKey(database.db, { name: `${name} reviewer ${i}`, role: 'reviewer', projectId: project.id })));
    const started = await api.graphql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id workflowId } }', { p: project.id, s: PERIOD.periodStart, e: PERIOD.periodEnd }, admin);
    const run = started.data!.startFlywheelRun as { id: string; workflowId: string };
    const queue = temporal.client.workflow.getHandle(`${run.workflowId}-labeling`);
    for (let i = 0; !(await queue.query(labelingProgressQuery).then((p) => p.total === size, () => false)); i += 1) {
      if (i > 300) throw new Error(`queue ${name} never opened`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const tasks = await database.db.labelTask.findMany({ where: { runId: run.id }, orderBy: { id: 'asc' } });
    const [r1, r2] = reviewers.map((r) => ({ id: r.id, key: r.plain })) as [{ id: string; key: string }, { id: string; key: string }];
    return { run, queue, tasks, r1, r2 };
  }

  const submit = (key: string, taskId: string): Promise<Outcome> =>
    api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status duplicate } }', { t: taskId, l: LABEL }, key);
  const skip = (key: string, taskId: string): Promise<Outcome> =>
    api.graphql('mutation($t: ID!) { skipTask(taskId: $t, reason: "not my language") { status duplicate } }', { t: taskId }, key);

  /** The queue's own counts against the rows: they must always agree. */
  async function expectCountsAgree(queue: Awaited<ReturnType<typeof openQueue>>['queue'], runId: string) {
    const progress = await queue.query(labelingProgressQuery);
    expect(progress.done).toBe(await database.db.label.count({ where: { runId } }));
    expect(progress.done).toBe(await database.db.labelTask.count({ where: { runId, status: 'done' } }));
    expect(progress.skipped).toBe(await database.db.labelTask.count({ where: { runId, status: 'skipped' } }));
    return progress;
  }

  it('the same update replayed concurrently from two clients runs once, and both get its answer', async () => {
    const { run, queue, tasks, r1 } = await openQueue('replayed', 3);
    const connections = await Promise.all([0, 1].map(() => Connection.connect({ address: inject('temporalAddress') })));
    try {
      const request = { runId: run.id, taskId: tasks[0]!.id, reviewerId: r1.id, label: REQUEST_LABEL };
      const answers = await Promise.all(
        connections.map((connection) =>
          new Client({ connection }).workflow.getHandle(queue.workflowId).executeUpdate(submitLabelUpdate, { args: [request], updateId: `replayed-${tasks[0]!.id}` }),
        ),
      );
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]).toMatchObject({ status: 'done', duplicate: false });
      expect(await database.db.label.count({ where: { taskId: tasks[0]!.id } })).toBe(1);
      expect((await expectCountsAgree(queue, run.id)).done).toBe(1);
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
  });

  it('the same label sent twice at once through the API is stored and counted once; the other answer says duplicate', async () => {
    const { run, queue, tasks, r1, r2 } = await openQueue('twice-at-once', 9);
    // Three tasks each: the two messages meet in the database on at least some of them.
    const [same, rivals, skips] = [tasks.slice(0, 3), tasks.slice(3, 6), tasks.slice(6, 9)];
    for (const task of same) {
      const [a, b] = await Promise.all([submit(r1.key, task.id), submit(r1.key, task.id)]);
      expect([a.errors, b.errors]).toEqual([undefined, undefined]);
      expect([a.data!.submitLabel!.duplicate, b.data!.submitLabel!.duplicate].sort()).toEqual([false, true]);
    }
    // Two reviewers at once on one open task: one label, the other refused with a reason.
    for (const task of rivals) {
      const outcomes = await Promise.all([submit(r1.key, task.id), submit(r2.key, task.id)]);
      const refused = outcomes.filter((o) => o.errors);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.errors![0]!.extensions?.code).toMatch(/CONFLICT|FORBIDDEN/);
      expect(refused[0]!.errors![0]!.message).toMatch(/another reviewer/);
      expect(await database.db.label.count({ where: { taskId: task.id } })).toBe(1);
    }
    // A skip of the same task twice at once: skipped once.
    for (const task of skips) {
      const [e, f] = await Promise.all([skip(r2.key, task.id), skip(r2.key, task.id)]);
      expect([e.data!.skipTask!.duplicate, f.data!.skipTask!.duplicate].sort()).toEqual([false, true]);
    }
    expect(await expectCountsAgree(queue, run.id)).toMatchObject({ done: 6, skipped: 3 });
  });

  it('one reviewer sending both labels of a double-labelled trace at once: one is stored, the other refused', async () => {
    const { run, queue, tasks, r1, r2 } = await openQueue('both-slots-at-once', 8, { doubleLabelled: true });
    const byTrace = new Map<string, typeof tasks>();
    for (const task of tasks) byTrace.set(task.traceId, [...(byTrace.get(task.traceId) ?? []), task]);
    expect([...byTrace.values()].map((pair) => pair.length)).toEqual([2, 2, 2, 2]);
    for (const [traceId, [slot1, slot2]] of byTrace) {
      const outcomes = await Promise.all([submit(r1.key, slot1!.id), submit(r1.key, slot2!.id)]);
      const refused = outcomes.filter((o) => o.errors);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.errors![0]!.message).toMatch(/another reviewer/);
      expect(await database.db.label.count({ where: { runId: run.id, traceId, reviewerId: r1.id } })).toBe(1);
      // The other reviewer takes the slot that is left.
      const left = outcomes[0]!.errors ? slot1! : slot2!;
      expect((await submit(r2.key, left.id)).data!.submitLabel).toEqual({ status: 'done', duplicate: false });
    }
    expect((await expectCountsAgree(queue, run.id)).done).toBe(8);
  });

  it('a skip after a label and a label after a skip: the first stands, the second is answered as such or refused', async () => {
    const { run, queue, tasks, r1, r2 } = await openQueue('out-of-order', 4);
    expect((await submit(r1.key, tasks[0]!.id)).data!.submitLabel).toEqual({ status: 'done', duplicate: false });
    // The same reviewer's skip arriving after their label, and another reviewer's: refused.
    for (const key of [r1.key, r2.key]) {
      const late = await skip(key, tasks[0]!.id);
      expect(late.errors?.[0]?.extensions?.code).toMatch(/CONFLICT|FORBIDDEN/);
      expect(late.errors?.[0]?.message).toMatch(/is done|claimed by another reviewer/);
    }
    expect((await skip(r1.key, tasks[1]!.id)).data!.skipTask).toEqual({ status: 'skipped', duplicate: false });
    // The same reviewer's label after their skip: the skip stands, and the answer says so.
    expect((await submit(r1.key, tasks[1]!.id)).data!.submitLabel).toEqual({ status: 'skipped', duplicate: true });
    // Another reviewer's label on the skipped task: refused.
    const other = await submit(r2.key, tasks[1]!.id);
    expect(other.errors?.[0]?.extensions?.code).toMatch(/CONFLICT|FORBIDDEN/);
    expect(await database.db.label.count({ where: { taskId: { in: [tasks[0]!.id, tasks[1]!.id] } } })).toBe(1);
    expect(await expectCountsAgree(queue, run.id)).toMatchObject({ done: 1, skipped: 1 });
  });

  it('a task of another run sent to this run\'s queue is refused, whichever run the message names', async () => {
    const a = await openQueue('run-a', 2);
    const b = await openQueue('run-b', 2);
    const naming = (runId: string): SubmitLabelRequest => ({ runId, taskId: a.tasks[0]!.id, reviewerId: a.r1.id, label: REQUEST_LABEL });
    // Run B's id with run A's task: the queue accepts the message, its activity refuses the task.
    expect(await refusalOf(b.queue.executeUpdate(submitLabelUpdate, { args: [naming(b.run.id)] }))).toMatch(/not part of run/);
    expect(await refusalOf(b.queue.executeUpdate(skipTaskUpdate, { args: [{ runId: b.run.id, taskId: a.tasks[0]!.id, reviewerId: a.r1.id, reason: 'x' }] }))).toMatch(/not part of run/);
    // Run A's id sent to run B's queue: refused before anything runs.
    expect(await refusalOf(b.queue.executeUpdate(submitLabelUpdate, { args: [naming(a.run.id)] }))).toMatch(/belongs to run/);
    expect(await database.db.label.count({ where: { taskId: a.tasks[0]!.id } })).toBe(0);
    expect((await expectCountsAgree(b.queue, b.run.id)).done).toBe(0);
    expect((await expectCountsAgree(a.queue, a.run.id)).done).toBe(0);
  });

  it('labels racing the admin\'s close, and arriving after it: each stored and counted, or refused; the close signal twice closes once', async () => {
    const { run, queue, tasks, r1, r2 } = await openQueue('close-race', 12);
    const racing = tasks.slice(0, 8).map((t, i) => submit(i % 2 ? r2.key : r1.key, t.id));
    await new Promise((r) => setTimeout(r, 50));
    await queue.signal(closeLabelingSignal, 'admin');
    await queue.signal(closeLabelingSignal, 'admin');
    const outcomes = await Promise.all(racing);
    for (const outcome of outcomes) {
      if (outcome.errors) {
        expect(outcome.errors[0]!.extensions?.code).toBe('CONFLICT');
        expect(outcome.errors[0]!.message).toMatch(/closed/);
      } else expect(outcome.data!.submitLabel).toEqual({ status: 'done', duplicate: false });
    }
    const stored = outcomes.filter((o) => !o.errors).length;
    const report = await queue.result();
    // The queue checks its counts against the database before it returns; a miscount fails it.
    expect(report).toMatchObject({ closeReason: 'admin', done: stored, skipped: 0, expired: 12 - stored, total: 12 });
    expect(await database.db.label.count({ where: { runId: run.id } })).toBe(stored);

    // After the close: refused by the queue's validator, or (once the queue is gone) by the API.
    const late = await submit(r1.key, tasks[11]!.id);
    expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await refusalOf(queue.executeUpdate(submitLabelUpdate, { args: [{ runId: run.id, taskId: tasks[11]!.id, reviewerId: r1.id, label: REQUEST_LABEL }] }))).toMatch(/closed|completed/);
    expect(await database.db.label.count({ where: { runId: run.id } })).toBe(stored);
    expect(await database.db.labelTask.count({ where: { runId: run.id, status: 'expired' } })).toBe(12 - stored);
  });

  it('a label that reaches the queue while it is still making its tasks waits for them, and is stored once', async () => {
    const project = await database.db.project.create({ data: { name: 'early', samplingPolicy: { sampleSize: 3, sliceFloor: 1 } } });
    await ingestParsedTraces(database.db, project.id, validateTraceItems(syntheticTraces(60, { prefix: 'early-' })));
    const reviewer = await createApiKey(database.db, { name: 'early reviewer', role: 'reviewer', projectId: project.id });
    const run = await database.db.flywheelRun.create({ data: { projectId: project.id, workflowId: `early-${Date.now()}`, periodStart: new Date(PERIOD.periodStart), periodEnd: new Date(PERIOD.periodEnd) } });
    // The tasks exist (as when the queue's first activity committed and its worker was lost
    // before reporting it), and a reviewer has one from the list.
    const activities = createActivities(database.db);
    const settings = await activities.loadRunSettings({ runId: run.id, projectId: project.id });
    await activities.sampleProductionTraces({ runId: run.id, projectId: project.id, ...PERIOD, policy: settings.sampling });
    const queueInput = { runId: run.id, projectId: project.id, doubleLabel: { share: 0, min: 0 }, deadline: new Date(Date.now() + 3_600_000).toISOString() };
    await activities.createLabelTasks(queueInput);
    const task = await database.db.labelTask.findFirstOrThrow({ where: { runId: run.id } });
    // A queue of its own task queue with no worker yet: its first activation holds both its
    // start and the reviewer's update, before it knows its tasks.
    const taskQueue = `${temporal.taskQueue}-early`;
    const queue = await temporal.client.workflow.start(labelingQueue, { taskQueue, workflowId: `${run.workflowId}-labeling`, args: [queueInput] });
    const update = queue.executeUpdate(submitLabelUpdate, { args: [{ runId: run.id, taskId: task.id, reviewerId: reviewer.id, label: REQUEST_LABEL }] });
    await new Promise((r) => setTimeout(r, 500));
    const worker = await createFlywheelWorker({ connection: temporal.workerConnection, namespace: 'default', taskQueue, db: database.db, workflowBundle: await temporal.workflowBundle() });
    const running = worker.run();
    try {
      expect(await update).toMatchObject({ status: 'done', duplicate: false });
      expect((await queue.query(labelingProgressQuery)).done).toBe(1);
      expect(await database.db.label.count({ where: { runId: run.id } })).toBe(1);
    } finally {
      await queue.terminate('test over').catch(() => {});
      worker.shutdown();
      await running;
    }
  });

  it('the cancel signal sent twice cancels once, with the first reason', async () => {
    const { run } = await openQueue('cancel-twice', 2);
    const handle = temporal.client.workflow.getHandle(run.workflowId);
    await handle.signal(cancelRunSignal, 'first reason');
    await handle.signal(cancelRunSignal, 'second reason');
    expect(await handle.result()).toMatchObject({ stage: 'cancelled', cancelReason: 'first reason' });
    const row = await database.db.flywheelRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(row).toMatchObject({ status: 'cancelled', failureCause: 'first reason' });
  });
});
