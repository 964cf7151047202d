// A run samples real traffic, queues label tasks, takes reviewers' labels as updates
// (duplicates, late arrivals, other runs' tasks refused), and closes by completion,
// by deadline and by an admin. Real Temporal dev server, real Postgres, real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import { labelingQueue, submitLabelUpdate, labelingProgressQuery } from '../../workflows';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type Testbed } from '../helpers/testbed';
import { waitFor } from '../helpers/wait';

const PERIOD = { periodStart: '2026-10-01T00:00:00Z', periodEnd: '2026-11-01T00:00:00Z' };
const goodLabel = { correctness: 4, relevance: 5, clarity: 4, calibration: 3, length: 4, verdict: 'pass' };
const failLabel = { correctness: 1, relevance: 2, clarity: 3, calibration: 1, length: 3, verdict: 'fail', failureCategory: 'hallucination', expected: 'cite the refund policy' };

const TASK_FIELDS = 'id runId status slot reviewerId stratum reason trace { externalId input slice negativeSignals signals { kind } } session { externalId } label { verdict }';

describe('sampling and the labeling queue', () => {
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

  async function projectWithTraffic(name: string, traces: number, settings: { policy?: object; labeling?: object } = {}) {
    const project = await database.db.project.create({ data: { name } });
    const summary = await ingestParsedTraces(database.db, project.id, validateTraceItems(syntheticTraces(traces, { prefix: `${name}-` })));
    expect(summary.rejected).toBe(0);
    if (settings.policy) expect((await api.graphql('mutation($p: ID!, $v: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) }', { p: project.id, v: settings.policy }, admin)).errors).toBeUndefined();
    if (settings.labeling) expect((await api.graphql('mutation($p: ID!, $v: JSON!) { setLabelingSettings(projectId: $p, settings: $v) }', { p: project.id, v: settings.labeling }, admin)).errors).toBeUndefined();
    const reviewers = await Promise.all([1, 2].map(async (i) => (await createApiKey(database.db, { name: `reviewer ${i}`, role: 'reviewer', projectId: project.id }))));
    return { projectId: project.id, reviewers: reviewers.map((r) => ({ id: r.id, key: r.plain })) };
  }

  async function startRun(projectId: string) {
    const started = await api.graphql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id workflowId } }', { p: projectId, s: PERIOD.periodStart, e: PERIOD.periodEnd }, admin);
    expect(started.errors).toBeUndefined();
    return started.data!.startFlywheelRun as { id: string; workflowId: string };
  }

  const runState = (id: string) =>
    api.graphql('query($id: ID!) { flywheelRun(id: $id) { status stage sampleReport labelingReport settings labelingProgress { total done skipped expired open closed closeReason perReviewer { reviewerId done skipped } } } }', { id }, admin).then((r) => r.data!.flywheelRun);

  const listTasks = (key: string, vars: Record<string, unknown> = {}) =>
    api.graphql(`query($status: LabelTaskStatus, $first: Int, $runId: ID) { labelTasks(status: $status, first: $first, runId: $runId) { totalCount edges { node { ${TASK_FIELDS} } } } }`, { first: 200, ...vars }, key);

  const submit = (key: string, taskId: string, label: object) =>
    api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { taskId labelId status duplicate } }', { t: taskId, l: label }, key);

  it('samples by stratum and slice, queues double labels, stores each label once, and closes on completion', async () => {
    const { projectId, reviewers } = await projectWithTraffic('complete', 400, {
      policy: { sampleSize: 12, sliceDimension: 'intent', sliceFloor: 1 },
      labeling: { doubleLabelShare: 0.1, minDoubleLabelled: 3, deadlineHours: 24 },
    });
    const [r1, r2] = reviewers as [{ id: string; key: string }, { id: string; key: string }];
    const run = await startRun(projectId);
    const labeling = await waitFor(() => runState(run.id), (s) => s.labelingProgress?.total === 15, 'the labeling queue');
    expect(labeling.stage).toBe('labeling');
    expect(labeling.settings.sampling.sampleSize).toBe(12);

    const report = labeling.sampleReport;
    expect(report.sampled).toBe(12);
    expect(report.byStratum.baseline).toBeGreaterThanOrEqual(3);
    expect(report.bySlice.billing).toBeGreaterThan(report.bySlice.shipping);
    const items = await database.db.sampleItem.findMany({ where: { runId: run.id }, include: { trace: true } });
    expect(items).toHaveLength(12);
    for (const item of items) {
      expect(item.sliceValue).toBe((item.trace.slice as { intent: string }).intent);
      if (item.stratum === 'negative_feedback') expect(item.trace.negativeSignals.some((s) => ['thumbs_down', 'low_rating', 'escalated', 'regenerated'].includes(s))).toBe(true);
      expect(item.reason.length).toBeGreaterThan(5);
    }

    // Reviewer 1 sees all open tasks with the trace, session and signals.
    const open = await listTasks(r1.key, { status: 'open' });
    expect(open.errors).toBeUndefined();
    expect(open.data!.labelTasks.totalCount).toBe(15);
    const tasks = open.data!.labelTasks.edges.map((e: any) => e.node);
    expect(tasks[0].session.at(-1).externalId).toBe(tasks[0].trace.externalId);

    // Claim one; reviewer 2 can no longer see or label it.
    const first = tasks[0];
    expect((await api.graphql('mutation($t: ID!) { claimTask(taskId: $t) { status reviewerId } }', { t: first.id }, r1.key)).data!.claimTask).toEqual({ status: 'claimed', reviewerId: r1.id });
    expect((await listTasks(r2.key)).data!.labelTasks.totalCount).toBe(14);
    expect((await submit(r2.key, first.id, goodLabel)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Invalid labels are refused with a clear reason.
    const invalid = await submit(r1.key, first.id, { ...goodLabel, correctness: 7 });
    expect(invalid.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(invalid.errors?.[0]?.message).toMatch(/correctness must be at most 5/);
    const noCategory = await submit(r1.key, first.id, { ...failLabel, failureCategory: null });
    expect(noCategory.errors?.[0]?.message).toMatch(/needs a failureCategory/);
    const badCategory = await submit(r1.key, first.id, { ...failLabel, failureCategory: 'gremlins' });
    expect(badCategory.errors?.[0]?.message).toMatch(/not in the project's taxonomy/);

    // Submitted twice: stored once.
    const once = await submit(r1.key, first.id, failLabel);
    expect(once.data!.submitLabel).toMatchObject({ status: 'done', duplicate: false });
    const twice = await submit(r1.key, first.id, failLabel);
    expect(twice.data!.submitLabel).toMatchObject({ status: 'done', duplicate: true, labelId: once.data!.submitLabel.labelId });
    expect(await database.db.label.count({ where: { taskId: first.id } })).toBe(1);

    // Double-labelled traces: the second label must come from the other reviewer.
    const all = await database.db.labelTask.findMany({ where: { runId: run.id }, orderBy: [{ sampleItemId: 'asc' }, { slot: 'asc' }] });
    const doubles = all.filter((t) => t.slot === 2);
    expect(doubles).toHaveLength(3);
    const pairOfFirst = all.find((t) => t.sampleItemId === all.find((x) => x.id === first.id)!.sampleItemId && t.id !== first.id);
    if (pairOfFirst) expect((await submit(r1.key, pairOfFirst.id, goodLabel)).errors?.[0]?.message).toMatch(/another reviewer/);

    // A skip counts as finished, with its reason.
    const toSkip = all.find((t) => t.status === 'open' && t.slot === 1 && t.id !== pairOfFirst?.id)!;
    const skipped = await api.graphql('mutation($t: ID!) { skipTask(taskId: $t, reason: "not in English") { status duplicate } }', { t: toSkip.id }, r2.key);
    expect(skipped.data!.skipTask).toEqual({ status: 'skipped', duplicate: false });

    // A reviewer who holds one slot of a double-labelled trace is not offered the other.
    const openNow = await database.db.labelTask.findMany({ where: { runId: run.id, status: 'open' } });
    const held = openNow.find((t) => t.slot === 1 && openNow.some((o) => o.slot === 2 && o.sampleItemId === t.sampleItemId))!;
    const heldPair = openNow.find((o) => o.slot === 2 && o.sampleItemId === held.sampleItemId)!;
    expect((await api.graphql('mutation($t: ID!) { claimTask(taskId: $t) { status } }', { t: held.id }, r1.key)).data!.claimTask.status).toBe('claimed');
    const offeredTo = async (key: string) => (await listTasks(key, { status: 'open' })).data!.labelTasks.edges.map((e: any) => e.node.id);
    expect(await offeredTo(r1.key)).not.toContain(heldPair.id);
    expect(await offeredTo(r2.key)).toContain(heldPair.id);

    // Everyone labels the rest: slot 1 by reviewer 1, slot 2 by reviewer 2 (agreeing on verdicts).
    const remaining = await database.db.labelTask.findMany({ where: { runId: run.id, status: { in: ['open', 'claimed'] } } });
    await Promise.all(
      remaining.map(async (task) => {
        const key = task.slot === 1 ? r1.key : r2.key;
        const result = await submit(key, task.id, task.slot === 1 ? goodLabel : { ...goodLabel, clarity: 5 });
        expect(result.errors).toBeUndefined();
      }),
    );

    const finished = await waitFor(() => runState(run.id), (s) => s.status !== 'running', 'the run to finish');
    expect(finished.status).toBe('completed');
    expect(finished.labelingReport).toMatchObject({ total: 15, done: 14, skipped: 1, expired: 0, closeReason: 'completed' });
    expect(finished.labelingReport.perReviewer[r1.id].done + finished.labelingReport.perReviewer[r2.id].done).toBe(14);
    expect(finished.labelingReport.interAnnotator.items).toBeGreaterThanOrEqual(2);
    const clarity = finished.labelingReport.interAnnotator.dimensions.find((d: { dimension: string }) => d.dimension === 'clarity');
    expect(clarity.exact).toBeLessThan(1);
    expect(await database.db.label.count({ where: { runId: run.id } })).toBe(14);

    // Late arrivals are refused with a reason and store nothing.
    const late = await submit(r2.key, toSkip.id, goodLabel);
    expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await database.db.label.count({ where: { runId: run.id } })).toBe(14);

    // A second run excludes what is already labelled, and says how many.
    const second = await startRun(projectId);
    const secondState = await waitFor(() => runState(second.id), (s) => s.sampleReport !== null, 'the second sample');
    expect(secondState.sampleReport.excluded.alreadyLabelled).toBe(await database.db.label.groupBy({ by: ['traceId'] }).then((g) => g.length));
    const labelledIds = new Set((await database.db.label.findMany({ select: { traceId: true } })).map((l) => l.traceId));
    const secondItems = await database.db.sampleItem.findMany({ where: { runId: second.id } });
    expect(secondItems.some((i) => labelledIds.has(i.traceId))).toBe(false);
    await api.graphql('mutation($id: ID!) { cancelFlywheelRun(id: $id) { id } }', { id: second.id }, admin);
  });

  it('keeps reviewers inside their project and refuses another run\'s tasks', async () => {
    const a = await projectWithTraffic('tenant-a', 60, { policy: { sampleSize: 4 }, labeling: { minDoubleLabelled: 0, doubleLabelShare: 0 } });
    const b = await projectWithTraffic('tenant-b', 60, { policy: { sampleSize: 4 }, labeling: { minDoubleLabelled: 0, doubleLabelShare: 0 } });
    const runA = await startRun(a.projectId);
    await waitFor(() => runState(runA.id), (s) => s.labelingProgress?.total === 4, 'queue A');
    const taskA = (await database.db.labelTask.findFirstOrThrow({ where: { runId: runA.id } })).id;
    const outsider = b.reviewers[0]!.key;
    expect((await listTasks(outsider)).data!.labelTasks.totalCount).toBe(0);
    expect((await submit(outsider, taskA, goodLabel)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await api.graphql('mutation($t: ID!) { claimTask(taskId: $t) { id } }', { t: taskA }, outsider)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const viewer = (await createApiKey(database.db, { name: 'v', role: 'viewer', projectId: a.projectId })).plain;
    expect((await submit(viewer, taskA, goodLabel)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // An update naming another run is refused by the queue itself.
    const runB = await startRun(b.projectId);
    await waitFor(() => runState(runB.id), (s) => s.labelingProgress?.total === 4, 'queue B');
    const handleB = temporal.client.workflow.getHandle(`${runB.workflowId}-labeling`);
    await expect(
      handleB.executeUpdate(submitLabelUpdate, { args: [{ runId: runA.id, taskId: taskA, reviewerId: a.reviewers[0]!.id, label: { scores: { correctness: 3, relevance: 3, clarity: 3, calibration: 3, length: 3 }, verdict: 'pass', failureCategory: null, expected: null, notes: null } }] }),
    ).rejects.toThrow();
    expect(await database.db.label.count({ where: { taskId: taskA } })).toBe(0);

    // Admin closes both queues; the rest is recorded as expired.
    for (const run of [runA, runB]) {
      expect((await api.graphql('mutation($id: ID!) { closeLabeling(runId: $id) { id } }', { id: run.id }, admin)).errors).toBeUndefined();
      const closed = await waitFor(() => runState(run.id), (s) => s.status !== 'running', 'admin close');
      expect(closed.labelingReport).toMatchObject({ closeReason: 'admin', expired: 4, done: 0 });
    }
    expect(await database.db.labelTask.count({ where: { runId: runA.id, status: 'expired' } })).toBe(4);
    const reviewerClose = await api.graphql('mutation($id: ID!) { closeLabeling(runId: $id) { id } }', { id: runA.id }, a.reviewers[0]!.key);
    expect(reviewerClose.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('closes by deadline, expiring what nobody labelled', async () => {
    const { projectId, reviewers } = await projectWithTraffic('deadline', 50, { policy: { sampleSize: 3 }, labeling: { minDoubleLabelled: 0, doubleLabelShare: 0, deadlineHours: 4 / 3600 } });
    const run = await startRun(projectId);
    await waitFor(() => runState(run.id), (s) => s.labelingProgress?.total === 3, 'queue');
    const task = await database.db.labelTask.findFirstOrThrow({ where: { runId: run.id } });
    expect((await submit(reviewers[0]!.key, task.id, goodLabel)).errors).toBeUndefined();
    const closed = await waitFor(() => runState(run.id), (s) => s.status !== 'running', 'deadline', 30_000);
    expect(closed.labelingReport).toMatchObject({ closeReason: 'deadline', done: 1, expired: 2, total: 3 });
  });

  it('completes promptly with an empty report when the project has no traces', async () => {
    const project = await database.db.project.create({ data: { name: 'empty' } });
    const run = await startRun(project.id);
    const done = await waitFor(() => runState(run.id), (s) => s.status !== 'running', 'the empty run', 15_000);
    expect(done.status).toBe('completed');
    expect(done.sampleReport).toMatchObject({ sampled: 0, eligible: 0 });
    expect(done.labelingReport).toBeNull();
  });

  it('draws the same sample from the same data and seed, and another with another seed', async () => {
    const { projectId } = await projectWithTraffic('repro', 300, { policy: { sampleSize: 20, seed: 'fixed-seed' } });
    const sampleOf = async () => {
      const run = await startRun(projectId);
      await waitFor(() => runState(run.id), (s) => s.sampleReport !== null, 'sample');
      await api.graphql('mutation($id: ID!) { cancelFlywheelRun(id: $id) { id } }', { id: run.id }, admin);
      return (await database.db.sampleItem.findMany({ where: { runId: run.id }, orderBy: { rank: 'asc' } })).map((i) => `${i.traceId}:${i.stratum}`);
    };
    const first = await sampleOf();
    expect(first).toHaveLength(20);
    expect(await sampleOf()).toEqual(first);
    await api.graphql('mutation($p: ID!, $v: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) }', { p: projectId, v: { sampleSize: 20, seed: 'another-seed' } }, admin);
    expect(await sampleOf()).not.toEqual(first);
  });

  it('refuses invalid sampling policies with reasons', async () => {
    const project = await database.db.project.create({ data: { name: 'policy' } });
    const bad = await api.graphql('mutation($p: ID!, $v: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) }', { p: project.id, v: { sampleSize: 0, strata: { vibes: 0.1 } } }, admin);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/sampleSize/);
    expect(bad.errors?.[0]?.message).toMatch(/vibes/);
    const read = await api.graphql('query($p: ID!) { samplingPolicy(projectId: $p) failureTaxonomy(projectId: $p) }', { p: project.id }, admin);
    expect(read.data!.samplingPolicy.sampleSize).toBe(200);
    expect(read.data!.failureTaxonomy).toContain('hallucination');
  });

  it('keeps a long queue\'s history short with continue-as-new and counts each label once', async () => {
    const { projectId, reviewers } = await projectWithTraffic('long-queue', 120, { policy: { sampleSize: 30 }, labeling: { minDoubleLabelled: 0, doubleLabelShare: 0 } });
    const runRow = await database.db.flywheelRun.create({ data: { projectId, workflowId: `long-queue-${Date.now()}`, periodStart: new Date(PERIOD.periodStart), periodEnd: new Date(PERIOD.periodEnd) } });
    // Sample through the real activity, then drive the queue directly with a tiny history limit.
    const { createActivities } = await import('../../activities');
    const activities = createActivities(database.db);
    const settings = await activities.loadRunSettings({ runId: runRow.id, projectId });
    await activities.sampleProductionTraces({ runId: runRow.id, projectId, ...PERIOD, policy: settings.sampling });
    const handle = await temporal.client.workflow.start(labelingQueue, {
      taskQueue: temporal.taskQueue,
      workflowId: `${runRow.workflowId}-labeling`,
      args: [{ runId: runRow.id, projectId, doubleLabel: { share: 0, min: 0 }, deadline: new Date(Date.now() + 3_600_000).toISOString(), historyEventLimit: 40 }],
    });
    await waitFor(() => handle.query(labelingProgressQuery).catch(() => null), (p) => p !== null && p.total === 30, 'tasks');
    const tasks = await database.db.labelTask.findMany({ where: { runId: runRow.id } });
    const label = { scores: { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict: 'pass' as const, failureCategory: null, expected: null, notes: null };
    for (const task of tasks) {
      const request = { runId: runRow.id, taskId: task.id, reviewerId: reviewers[0]!.id, label };
      // Continue-as-new may close the run an update was sent to: the caller retries.
      for (let tries = 0; ; tries += 1) {
        try {
          await temporal.client.workflow.getHandle(handle.workflowId).executeUpdate(submitLabelUpdate, { args: [request] });
          break;
        } catch (error) {
          if (tries > 20) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      // The same label again: stored once (or refused once the queue has closed).
      const again = await temporal.client.workflow.getHandle(handle.workflowId).executeUpdate(submitLabelUpdate, { args: [request] }).catch(() => null);
      if (again) expect(again.duplicate).toBe(true);
    }
    const report = await temporal.client.workflow.getHandle(handle.workflowId).result();
    expect(report).toMatchObject({ total: 30, done: 30, closeReason: 'completed' });
    expect(await database.db.label.count({ where: { runId: runRow.id } })).toBe(30);
    const runs = [];
    for await (const execution of temporal.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(execution);
    expect(runs.length).toBeGreaterThan(1);
  });
});
