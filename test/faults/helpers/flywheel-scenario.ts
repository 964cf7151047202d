// One month of traffic seeded once into a template database; every scenario runs the whole
// flywheel on an exact copy of it (same ids, same run id, same seeds), so an undisturbed run
// and a disturbed one must end with the same rows, compared by fingerprint().
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createDb, type Db } from '../../../db/client';
import { withDatabase } from '../../../db/database-url';
import { applyMigrations } from '../../../db/schema-engine';
import type { OracleEntry, SimulatedProvider } from '../../../simulator/llm-provider';
import { createApiKey } from '../../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../../services/ingestion/ingest-traces';
import { ensureActiveJudge } from '../../../services/judge/judge-versions';
import { flywheelRun, labelingProgressQuery } from '../../../workflows';
import { startTestApi, type GraphqlResult, type TestApi } from '../../helpers/api';
import { adminQuery } from '../../helpers/database';
import { syntheticTraces } from '../../helpers/synthetic';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './worker-process';

const PERIOD = { periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z' };
// Every copy's run has this id: sampling, double-label choice and report seeds derive from it.
const RUN_ID = '6a1f0c2e-4b7d-4e11-9c3a-0f5e2d7b8a91';

type Scores = { correctness: number; relevance: number; clarity: number; calibration: number; length: number };
interface Truth {
  scores: Scores;
  verdict: 'pass' | 'fail';
}

interface SeededMonth {
  adminUrl: string;
  template: string;
  projectId: string;
  adminKey: string;
  reviewers: { id: string; key: string }[];
  truthByExternalId: Map<string, Truth>;
}

/** Reviewers fail answers to thumbs-down or rephrased turns (a hallucination) and pass the rest. */
function truthOf(trace: { thumb: string | null; negativeSignals: string[] }): Truth {
  const failing = trace.thumb === 'down' || trace.negativeSignals.includes('rephrase');
  return failing
    ? { scores: { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3 }, verdict: 'fail' }
    : { scores: { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict: 'pass' };
}

export async function seedMonth(adminUrl: string, options: { traces: number; sampleSize: number }): Promise<SeededMonth> {
  const template = `faults_seed_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`);
  const url = withDatabase(adminUrl, template);
  await applyMigrations(url);
  const db = createDb(url, 4);
  try {
    const project = await db.project.create({
      data: {
        name: 'faults',
        samplingPolicy: { sampleSize: options.sampleSize, sliceDimension: 'intent', sliceFloor: 1, seed: 'faults-seed' },
        labelingSettings: { doubleLabelShare: 0.2, minDoubleLabelled: 3, deadlineHours: 24 },
      },
    });
    const summary = await ingestParsedTraces(db, project.id, validateTraceItems(syntheticTraces(options.traces, { prefix: 'f-', seed: 'faults' })));
    if (summary.rejected) throw new Error(`seed traces rejected: ${JSON.stringify(summary.errors.slice(0, 3))}`);
    // Trace ids from their external ids, so every seeding of the month is the same month:
    // sampling and the double-label choice are seeded by trace id, and whether the judge's
    // agreement falls under the threshold (and recalibration runs) depends on the sample.
    await db.$transaction([
      // Foreign keys are checked by triggers, which replica mode skips while both tables change.
      db.$executeRawUnsafe(`SET LOCAL session_replication_role = replica`),
      db.$executeRawUnsafe(`UPDATE trace_signal s SET trace_id = md5('faults:' || t.external_id)::uuid FROM trace t WHERE s.trace_id = t.id`),
      // Replica mode skips the triggers that keep sampling's narrow copy of trace too, and they
      // never expect an id to change: the copy follows by hand.
      db.$executeRawUnsafe(`UPDATE trace_sampling_key k SET trace_id = md5('faults:' || t.external_id)::uuid FROM trace t WHERE k.trace_id = t.id`),
      db.$executeRawUnsafe(`UPDATE trace SET id = md5('faults:' || external_id)::uuid`),
    ]);
    const adminKey = (await createApiKey(db, { name: 'admin', role: 'admin', projectId: null })).plain;
    const reviewers = await Promise.all([1, 2].map(async (i) => createApiKey(db, { name: `reviewer ${i}`, role: 'reviewer', projectId: project.id })));
    // The active judge exists before the run, so its id (a seed of agreement reports) is shared by every copy.
    await ensureActiveJudge(db, project.id);
    const traces = await db.trace.findMany({ where: { projectId: project.id }, select: { externalId: true, thumb: true, negativeSignals: true } });
    return {
      adminUrl,
      template,
      projectId: project.id,
      adminKey,
      reviewers: reviewers.map((r) => ({ id: r.id, key: r.plain })),
      truthByExternalId: new Map(traces.map((t) => [t.externalId, truthOf(t)])),
    };
  } finally {
    await db.$disconnect();
  }
}

/** What the simulated judge knows: the reviewers' truth for every answer of the month. */
export async function oracleOf(month: SeededMonth): Promise<OracleEntry[]> {
  const db = createDb(withDatabase(month.adminUrl, month.template), 2);
  try {
    const traces = await db.trace.findMany({ select: { externalId: true, output: true } });
    return traces.map((t) => ({ output: t.output, ...month.truthByExternalId.get(t.externalId)! }));
  } finally {
    await db.$disconnect();
  }
}

export async function dropTemplate(month: SeededMonth): Promise<void> {
  await adminQuery(month.adminUrl, `DROP DATABASE IF EXISTS "${month.template}" WITH (FORCE)`);
}

export interface ScenarioServers {
  temporal: Client;
  temporalAddress: string;
  taskQueue: string;
  workflowBundle: string;
  simulator: SimulatedProvider;
  /** Short, so a killed activity is retried within seconds. */
  heartbeatTimeoutMs: number;
}

export interface Scenario {
  db: Db;
  api: TestApi;
  workflowId: string;
  runId: string;
  workflow(): WorkflowHandle;
  /** The worker now running (the last one started). */
  worker(): WorkerProcess;
  startWorker(freezeAt?: WorkerProcessOptions['freezeAt']): Promise<WorkerProcess>;
  startRun(): Promise<void>;
  /** Waits until the run's label tasks exist (the queue is open), returns them in a fixed order. */
  labelTasks(): Promise<{ id: string; slot: number; externalId: string }[]>;
  /** The run's tasks as soon as `count` of them are in the database (what a reviewer's list shows), queue open or not. */
  listedTasks(count: number): Promise<{ id: string; slot: number; externalId: string }[]>;
  /** Reviewer 1 labels slot 1, reviewer 2 slot 2, each from the planted truth; exactly-once is asserted by the caller. */
  submitLabel(task: { id: string; slot: number; externalId: string }): Promise<{ status: string; duplicate: boolean }>;
  waitForStage(stage: string, timeoutMs?: number): Promise<void>;
  waitUntilFinished(timeoutMs?: number): Promise<{ status: string; failureCause: string | null }>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(value)})`);
    await sleep(200);
  }
}

// Codes the API gives a reviewer for a refusal; anything else (a database or Temporal outage) is worth a retry.
const FINAL_CODES = new Set(['CONFLICT', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED']);

export async function openScenario(month: SeededMonth, servers: ScenarioServers, name: string): Promise<Scenario> {
  const database = `faults_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  // A copy needs the template to have no sessions; the seeding ones may take a moment to end.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await adminQuery(month.adminUrl, `CREATE DATABASE "${database}" TEMPLATE "${month.template}"`);
      break;
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await sleep(250);
    }
  }
  const url = withDatabase(month.adminUrl, database);
  const db = createDb(url, 4);
  const api = await startTestApi(db, { client: servers.temporal, taskQueue: servers.taskQueue });
  const workflowId = `faults-${name}-${randomBytes(4).toString('hex')}`;
  const workers: WorkerProcess[] = [];
  const tasksOfRun = async () =>
    (await db.labelTask.findMany({ where: { runId: RUN_ID }, include: { sampleItem: { include: { trace: { select: { externalId: true } } } } } }))
      .map((t) => ({ id: t.id, slot: t.slot, externalId: t.sampleItem.trace.externalId }))
      .sort((a, b) => a.externalId.localeCompare(b.externalId) || a.slot - b.slot);

  const gql = async <T>(query: string, variables: Record<string, unknown>, key: string): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      const result: GraphqlResult = await api.graphql(query, variables, key).catch((error: Error) => ({ status: 0, errors: [{ message: `request failed: ${error.message}` }] }));
      const error = result.errors?.[0];
      if (!error) return result.data as T;
      const code = error.extensions?.code;
      if ((code && FINAL_CODES.has(code)) || attempt >= 60) throw new Error(`${code ?? 'ERROR'}: ${error.message}`);
      await sleep(500);
    }
  };

  return {
    db,
    api,
    workflowId,
    runId: RUN_ID,
    workflow: () => servers.temporal.workflow.getHandle(workflowId),
    worker: () => workers.at(-1)!,
    async startWorker(freezeAt) {
      const worker = startWorkerProcess({
        databaseUrl: url,
        temporalAddress: servers.temporalAddress,
        taskQueue: servers.taskQueue,
        workflowBundle: servers.workflowBundle,
        simulatorUrl: servers.simulator.url,
        freezeAt,
      });
      workers.push(worker);
      await worker.ready;
      return worker;
    },
    async startRun() {
      await db.flywheelRun.create({ data: { id: RUN_ID, projectId: month.projectId, workflowId, periodStart: new Date(PERIOD.periodStart), periodEnd: new Date(PERIOD.periodEnd) } });
      await servers.temporal.workflow.start(flywheelRun, {
        taskQueue: servers.taskQueue,
        workflowId,
        args: [{ runId: RUN_ID, projectId: month.projectId, ...PERIOD, heartbeatTimeoutMs: servers.heartbeatTimeoutMs }],
      });
    },
    async labelTasks() {
      const queue = servers.temporal.workflow.getHandle(`${workflowId}-labeling`);
      // The queue answers its query once it has created every task (a frozen worker answers nothing).
      const progress = await poll(
        () => Promise.race([queue.query(labelingProgressQuery), sleep(3000).then(() => undefined)]),
        (p) => p !== undefined && p.total > 0,
        'the labeling queue',
        120_000,
      );
      const tasks = await tasksOfRun();
      if (tasks.length !== progress!.total) throw new Error(`queue has ${progress!.total} tasks, database ${tasks.length}`);
      return tasks;
    },
    listedTasks: (count) => poll(tasksOfRun, (tasks) => tasks.length === count, `${count} listed tasks`, 120_000),
    async submitLabel(task) {
      const truth = month.truthByExternalId.get(task.externalId)!;
      // The second reviewer sees clarity a point differently: inter-annotator agreement is not trivially 1.
      const scores = task.slot === 1 ? truth.scores : { ...truth.scores, clarity: Math.min(5, truth.scores.clarity + 1) };
      const label = { ...scores, verdict: truth.verdict, ...(truth.verdict === 'fail' ? { failureCategory: 'hallucination', notes: 'states a rule that does not exist' } : {}) };
      const data = await gql<{ submitLabel: { status: string; duplicate: boolean } }>(
        'mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status duplicate } }',
        { t: task.id, l: label },
        month.reviewers[task.slot - 1]!.key,
      );
      return data.submitLabel;
    },
    async waitForStage(stage, timeoutMs = 120_000) {
      await poll(() => db.flywheelRun.findUniqueOrThrow({ where: { id: RUN_ID } }), (r) => r.stage === stage || r.status !== 'running', `stage ${stage}`, timeoutMs);
    },
    async waitUntilFinished(timeoutMs = 180_000) {
      // The workflow, not the row: the row may say "completed" before Temporal knows it (a
      // worker killed right after finishRun's write), and the run is over only when both do.
      const handle = servers.temporal.workflow.getHandle(workflowId);
      await poll(() => handle.describe(), (d) => d.status.name !== 'RUNNING', 'the run to finish', timeoutMs);
      const row = await db.flywheelRun.findUniqueOrThrow({ where: { id: RUN_ID } });
      return { status: row.status, failureCause: row.failureCause };
    },
    async close() {
      for (const worker of workers) await worker.kill();
      await servers.temporal.workflow.getHandle(workflowId).terminate('scenario over').catch(() => {});
      await api.close();
      await db.$disconnect();
      await adminQuery(month.adminUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    },
  };
}

/** Labels every task through the API, in order; `between(i)` runs before the i-th submission. */
export async function labelEverything(scenario: Scenario, between?: (index: number, total: number) => Promise<void>) {
  const tasks = await scenario.labelTasks();
  const outcomes: { status: string; duplicate: boolean }[] = [];
  for (const [index, task] of tasks.entries()) {
    await between?.(index, tasks.length);
    outcomes.push(await scenario.submitLabel(task));
  }
  return outcomes;
}
