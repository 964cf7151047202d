// API load benchmark: concurrent reviewers and ingest clients against the real service on
// loopback, for a bounded time, with autocannon. Reports throughput and p50/p99 latency of
// the label queue query (`labelTasks`) and of label submission (`submitLabel`, a Temporal
// update to the run's labeling workflow), checks that nothing failed, and then checks in
// the database that every submitted label is stored exactly once.
//   npx tsx bench/api.ts [--duration 30] [--reviewers 8] [--ingest-clients 2] [--tasks 3000]
// It starts its own pieces: a scratch database flywheel_bench_api_<random> on
// --database-url (dropped at the end), a Temporal dev server (temporal/dev-server.ts) on a
// free port with its state in a temporary folder, the simulated LLM provider, and the
// service (API + worker) in a child process, so load generation and service do not share
// one event loop. Timings are figures, not assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { Command } from 'commander';
import { createDb } from '../db/client';
import { createApiKey } from '../services/api-keys';
import { configureLogging } from '../services/logging';
import { ingestParsedTraces, validateTraceItems } from '../services/ingestion/ingest-traces';
import { startSimulatedProvider } from '../simulator/llm-provider';
import { findTemporalBinary, freePort, startTemporalDevServer } from '../temporal/dev-server';
import { cleanupsOnExit, createScratchDatabase, databaseUrlOption, integerOption, log } from './common';

const THIS_FILE = fileURLToPath(import.meta.url);
const TASK_QUEUE = 'bench-api';

// ---------------------------------------------------------------------------------
// `serve`: the service under load (API + worker), in its own process.

async function serve(): Promise<void> {
  const { configureLogging } = await import('../services/logging');
  const { installTemporalLogging } = await import('../temporal/logging');
  const { createApiServer } = await import('../api/server');
  const { createFlywheelWorker } = await import('../worker');
  const { Client, Connection } = await import('@temporalio/client');
  const { NativeConnection } = await import('@temporalio/worker');
  configureLogging();
  installTemporalLogging();
  const db = createDb(process.env.DATABASE_URL!);
  const address = process.env.TEMPORAL_ADDRESS!;
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const worker = await createFlywheelWorker({ connection: await NativeConnection.connect({ address }), namespace: 'default', taskQueue: TASK_QUEUE, db });
  const running = worker.run();
  const server = createApiServer({ db, temporal: { client, taskQueue: TASK_QUEUE } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.once('SIGTERM', () => {
    server.close();
    worker.shutdown();
    void running.finally(() => db.$disconnect().finally(() => process.exit(0)));
  });
}

// ---------------------------------------------------------------------------------
// The benchmark.

interface Options {
  duration: string;
  reviewers: string;
  ingestClients: string;
  tasks: string;
  batch: string;
  databaseUrl: string;
}

/** Deterministic traffic for the labeling period: sessions of 1-4 turns over four intents. */
function periodTraces(count: number): Record<string, unknown>[] {
  const intents = ['billing', 'billing', 'billing', 'shipping', 'returns', 'account'];
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    sessionId: `bench-s${Math.floor(i / 3)}`,
    turn: (i % 3) + 1,
    timestamp: new Date(Date.UTC(2025, 0, 1 + (i % 28), 8, (i * 7) % 60)).toISOString(),
    input: `question ${i}: where is my order ${(i * 7919) % 100_003} and why was card ${i % 97} charged twice`,
    output: `answer ${i}: your order ships in ${1 + (i % 9)} days`,
    release: i % 2 ? 'v1' : 'v2',
    slice: { intent: intents[i % intents.length] },
    latencyMs: 200 + ((i * 37) % 3000),
    ...(i % 9 === 0 ? { feedback: { thumb: 'down' } } : {}),
  }));
}

function startService(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the service exited (code ${code}) before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, port: (JSON.parse(line) as { port: number }).port }));
  });
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

async function main(): Promise<void> {
  const program = new Command()
    .name('bench:api')
    .description('Reviewers and ingest clients against the API on loopback: labelTasks and submitLabel throughput and latency, labels stored exactly once')
    .option('--duration <seconds>', 'how long the load runs', '30')
    .option('--reviewers <n>', 'concurrent reviewers submitting labels; as many again read the queue', '8')
    .option('--ingest-clients <n>', 'concurrent clients posting NDJSON batches', '2')
    .option('--batch <n>', 'traces per ingest request', '50')
    .option('--tasks <n>', 'label tasks in the queue (the sample size; enough not to run out)', '3000')
    .addOption(databaseUrlOption())
    .parse();
  const opts = program.opts<Options>();
  const duration = integerOption('--duration', opts.duration);
  const reviewers = integerOption('--reviewers', opts.reviewers);
  const ingestClients = integerOption('--ingest-clients', opts.ingestClients);
  const batch = integerOption('--batch', opts.batch);
  const tasks = integerOption('--tasks', opts.tasks);

  const cleanups = cleanupsOnExit();

  const logFile = process.env.LOG_FILE ?? path.resolve(path.dirname(THIS_FILE), '..', '.data', 'logs', 'bench-api.log');
  // This process's own lines (keys created, setup) go to the same file as the service's.
  configureLogging({ destination: logFile });
  try {
    const started = new Date();
    const loadBefore = os.loadavg()[0]!;
    const cpus = os.cpus();
    log(`${started.toISOString()}; ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);

    // 1. Scratch database.
    const { name: dbName, url: dbUrl } = await createScratchDatabase(opts.databaseUrl, cleanups, { prefix: 'flywheel_bench_api' });
    const db = createDb(dbUrl, 4);
    cleanups.add(() => db.$disconnect());

    // 2. Temporal dev server, simulated LLM provider, the service.
    const binary = findTemporalBinary();
    if (!binary) throw new Error('no `temporal` binary: run `npm test` once (it builds one) or set TEMPORAL_CLI_PATH');
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'flywheel-bench-api-'));
    cleanups.add(() => rm(scratch, { recursive: true, force: true }));
    const temporal = await startTemporalDevServer({ binary, dbFile: path.join(scratch, 'temporal.sqlite'), port: await freePort() });
    cleanups.add(() => temporal.stop());
    const simulator = await startSimulatedProvider({ seed: 'bench-api' });
    cleanups.add(() => simulator.stop());
    const service = await startService({
      ...process.env,
      DATABASE_URL: dbUrl,
      TEMPORAL_ADDRESS: temporal.address,
      FLYWHEEL_SIMULATOR_URL: simulator.url,
      // Every reviewer would pass the default 600 requests a minute in seconds.
      FLYWHEEL_RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_FILE: logFile,
    });
    cleanups.add(
      () =>
        new Promise<void>((resolve) => {
          if (service.child.exitCode !== null) return resolve();
          service.child.once('exit', () => resolve());
          service.child.kill('SIGTERM');
          setTimeout(() => service.child.kill('SIGKILL'), 10_000).unref();
        }),
    );
    const baseUrl = `http://127.0.0.1:${service.port}`;
    log(`service on ${baseUrl} (API and worker in a child process), Temporal ${temporal.address}, database ${dbName}, logs in ${logFile}`);

    // 3. A project with a month of traffic and a run whose labeling queue holds `tasks` tasks.
    const admin = (await createApiKey(db, { name: 'bench admin', role: 'admin', projectId: null })).plain;
    const project = await db.project.create({ data: { name: 'bench-api' } });
    const traffic = Math.max(tasks * 2, 2000);
    const setupStarted = Date.now();
    const ingested = await ingestParsedTraces(db, project.id, validateTraceItems(periodTraces(traffic)));
    if (ingested.rejected) throw new Error(`synthetic traffic rejected: ${ingested.errors[0]?.reason}`);
    const gql = async (query: string, variables: Record<string, unknown>, key = admin) => {
      const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
      if (body.errors?.length) throw new Error(body.errors[0]!.message);
      return body.data!;
    };
    await gql('mutation($p: ID!, $s: JSON!, $l: JSON!) { setSamplingPolicy(projectId: $p, policy: $s) setLabelingSettings(projectId: $p, settings: $l) }', {
      p: project.id,
      s: { sampleSize: tasks, sliceFloor: 1 },
      l: { doubleLabelShare: 0, minDoubleLabelled: 0, deadlineHours: 24 },
    });
    const run = (await gql('mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2025-01-01T00:00:00Z", periodEnd: "2025-02-01T00:00:00Z") { id workflowId } }', { p: project.id })).startFlywheelRun as { id: string; workflowId: string };
    for (;;) {
      const row = await db.flywheelRun.findUniqueOrThrow({ where: { id: run.id } });
      if (row.status !== 'running') throw new Error(`the run ended before labeling: ${row.status} ${row.failureCause ?? ''}`);
      if (row.stage === 'labeling' && (await db.labelTask.count({ where: { runId: run.id } })) > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const open = (await db.labelTask.findMany({ where: { runId: run.id, status: 'open' }, select: { id: true }, orderBy: { id: 'asc' } })).map((t) => t.id);
    const reviewerKeys = await Promise.all(Array.from({ length: reviewers }, async (_, i) => (await createApiKey(db, { name: `bench reviewer ${i}`, role: 'reviewer', projectId: project.id })).plain));
    const ingestKey = (await createApiKey(db, { name: 'bench ingest', role: 'ingest', projectId: project.id })).plain;
    log(`set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s: ${traffic} traces, run ${run.id} labeling ${open.length} open tasks, ${reviewers} reviewers, ${ingestClients} ingest clients`);

    // 4. The load: three autocannon instances at once, each a closed loop of its connections.
    const graphqlBody = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
    const LABEL = { correctness: 4, relevance: 4, clarity: 3, calibration: 4, length: 3, verdict: 'pass' };
    const failures: string[] = [];
    const fail = (what: string, detail: string) => {
      if (failures.length < 20) failures.push(`${what}: ${detail.slice(0, 300)}`);
    };
    const counts = { submittedNew: 0, duplicatesAnswered: 0, repeatsSent: 0, queueReads: 0, tracesAccepted: 0, tracesSent: 0, poolExhausted: 0 };
    // Sent: every task a submission was built for; answered: those whose answer said stored now.
    const sentTasks = new Set<string>();
    const submittedTasks = new Set<string>();
    let nextReviewer = 0;
    let nextQueueReader = 0;
    let traceSeq = 0;
    type ReviewerContext = { key?: string; last?: string };

    const common = { url: baseUrl, duration, pipelining: 1, timeout: 30 } as const;
    const queueReads = autocannon({
      ...common,
      connections: reviewers,
      requests: [
        {
          method: 'POST',
          path: '/graphql',
          setupRequest: (req, context: ReviewerContext) => {
            context.key ??= reviewerKeys[nextQueueReader++ % reviewers];
            return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${context.key}` }, body: graphqlBody('query { labelTasks(status: open, first: 20) { totalCount edges { node { id stratum trace { input output } } } } }', {}) };
          },
          onResponse: (status, body) => {
            const parsed = JSON.parse(body) as { errors?: { message: string }[] };
            if (status !== 200 || parsed.errors) fail('labelTasks', body);
            else counts.queueReads += 1;
          },
        },
      ],
    });
    // A connection's context lasts one pass over its request list: three new labels, then the
    // third again by the same reviewer, as a client retry would send it.
    const submitRequest = (repeat: boolean): autocannon.Request => ({
      method: 'POST',
      path: '/graphql',
      setupRequest: (req, context: ReviewerContext) => {
        context.key ??= reviewerKeys[nextReviewer++ % reviewers];
        const again = repeat && context.last !== undefined;
        const taskId = again ? context.last : open.shift();
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${context.key}` };
        if (!taskId) {
          counts.poolExhausted += 1;
          return { ...req, headers, body: graphqlBody('query { labelTasks(status: open, first: 1) { totalCount } }', {}) };
        }
        if (again) counts.repeatsSent += 1;
        else sentTasks.add(taskId);
        return { ...req, headers, body: graphqlBody('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { taskId status duplicate } }', { t: taskId, l: LABEL }) };
      },
      onResponse: (status, body, context: ReviewerContext) => {
        const parsed = JSON.parse(body) as { data?: { submitLabel?: { taskId: string; duplicate: boolean } }; errors?: { message: string }[] };
        if (status !== 200 || parsed.errors) return fail('submitLabel', body);
        const outcome = parsed.data?.submitLabel;
        if (!outcome) return;
        if (outcome.duplicate) counts.duplicatesAnswered += 1;
        else {
          counts.submittedNew += 1;
          if (submittedTasks.has(outcome.taskId)) fail('submitLabel', `task ${outcome.taskId} answered as new twice`);
          submittedTasks.add(outcome.taskId);
        }
        context.last = outcome.taskId;
      },
    });
    const submissions = autocannon({ ...common, connections: reviewers, requests: [submitRequest(false), submitRequest(false), submitRequest(false), submitRequest(true)] });
    const ingestion = autocannon({
      ...common,
      connections: ingestClients,
      requests: [
        {
          method: 'POST',
          path: `/v1/traces?projectId=${project.id}`,
          setupRequest: (req, context: ReviewerContext) => {
            context.key ??= ingestKey;
            counts.tracesSent += batch;
            const lines = Array.from({ length: batch }, () => {
              traceSeq += 1;
              return JSON.stringify({ id: `live-${traceSeq}`, sessionId: `live-s${Math.floor(traceSeq / 4)}`, turn: (traceSeq % 4) + 1, timestamp: new Date(Date.UTC(2025, 1, 1) + traceSeq * 1000).toISOString(), input: `live question ${traceSeq}`, output: `live answer ${traceSeq}`, slice: { intent: 'billing' } });
            });
            return { ...req, headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${context.key}` }, body: `${lines.join('\n')}\n` };
          },
          onResponse: (status, body) => {
            if (status !== 200) return fail('POST /v1/traces', body);
            const summary = JSON.parse(body) as { accepted: number; rejected: number };
            if (summary.rejected) fail('POST /v1/traces', body);
            counts.tracesAccepted += summary.accepted;
          },
        },
      ],
    });
    const loads: number[] = [];
    const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 1000);
    log(`load: ${reviewers} reviewers submitting (every 4th a repeat), ${reviewers} reading the queue, ${ingestClients} ingest clients x ${batch} traces, for ${duration} s`);
    const [queue, submit, ingest] = (await Promise.all([queueReads, submissions, ingestion])) as [Result, Result, Result];
    clearInterval(sampler);
    loads.push(os.loadavg()[0]!);

    // 5. Every submitted label stored exactly once; every accepted trace stored. Requests in
    // flight when the time ran out are not answered to autocannon but still finish on the
    // server: wait for them, and count them apart (at most one per connection).
    await new Promise((r) => setTimeout(r, 5000));
    const labels = await db.label.findMany({ where: { runId: run.id }, select: { taskId: true } });
    const perTask = new Map<string, number>();
    for (const l of labels) perTask.set(l.taskId, (perTask.get(l.taskId) ?? 0) + 1);
    const twice = [...perTask.values()].filter((n) => n > 1).length;
    const unanswered = [...perTask.keys()].filter((t) => !submittedTasks.has(t)).length;
    const neverSent = [...perTask.keys()].filter((t) => !sentTasks.has(t)).length;
    const missing = [...submittedTasks].filter((t) => !perTask.has(t)).length;
    const done = await db.labelTask.count({ where: { runId: run.id, status: 'done' } });
    const liveTraces = await db.trace.count({ where: { projectId: project.id, externalId: { startsWith: 'live-' } } });
    const transportErrors = queue.errors + submit.errors + ingest.errors + queue.non2xx + submit.non2xx + ingest.non2xx;

    const line = (name: string, r: Result) =>
      `| ${name} | ${r.requests.total.toLocaleString('en-US')} | ${(r.requests.total / duration).toFixed(1)} | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} | ${ms(r.latency.max)} | ${r.errors + r.non2xx} |`;
    const loadMin = Math.min(...loads);
    const loadMax = Math.max(...loads);
    const report = [
      `- **Date:** ${started.toUTCString()} (\`date\`), ${duration} s of load.`,
      `- **Machine:** ${cpus.length} vCPUs (\`nproc\`), ${cpus[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}. 1-minute load average ${loadBefore.toFixed(2)} before the bench, ${loadMin.toFixed(2)}–${loadMax.toFixed(2)} during the load (sampled each second).`,
      `- **Command:** \`npm run bench:api -- --duration ${duration} --reviewers ${reviewers} --ingest-clients ${ingestClients} --batch ${batch} --tasks ${tasks}\``,
      '',
      '| request | requests | per second | p50 | p99 | max | errors |',
      '|---|---|---|---|---|---|---|',
      line(`\`labelTasks\` (${reviewers} connections)`, queue),
      line(`\`submitLabel\` (${reviewers} connections, every 4th a repeat)`, submit),
      line(`\`POST /v1/traces\` (${ingestClients} connections, ${batch} traces each)`, ingest),
      '',
      `Checks: ${counts.submittedNew} labels answered as new and ${counts.duplicatesAnswered} repeats answered \`duplicate: true\` (of ${counts.repeatsSent} repeats sent). In the database: ${labels.length} labels on ${perTask.size} tasks (${done} tasks done), ${twice} tasks with more than one label, ${missing} answered labels missing, ${neverSent} labels for tasks never sent, ${unanswered} stored from submissions still in flight when the time ran out (at most ${reviewers}). ${counts.tracesAccepted} live traces answered as accepted, ${liveTraces} stored (of ${counts.tracesSent} sent; the difference is batches in flight at the end). ${failures.length} request failures, ${transportErrors} transport errors or non-2xx${counts.poolExhausted ? `; the task pool ran out ${counts.poolExhausted} times (raise --tasks)` : ''}.`,
    ].join('\n');
    console.log(`\n${report}\n`);
    for (const failure of failures) console.log(`[bench] FAILURE ${failure}`);
    const ok =
      failures.length === 0 &&
      transportErrors === 0 &&
      twice === 0 &&
      missing === 0 &&
      neverSent === 0 &&
      unanswered <= reviewers &&
      labels.length === counts.submittedNew + unanswered &&
      counts.duplicatesAnswered <= counts.repeatsSent &&
      liveTraces >= counts.tracesAccepted &&
      liveTraces - counts.tracesAccepted <= ingestClients * batch &&
      liveTraces <= counts.tracesSent;
    log(ok ? 'all checks passed' : 'CHECKS FAILED');

    // The run is cancelled: the bench measured its queue, not the rest of the loop.
    await gql('mutation($id: ID!) { cancelFlywheelRun(id: $id, reason: "bench over") { id } }', { id: run.id }).catch(() => {});
    if (!ok) process.exitCode = 1;
  } finally {
    await cleanups.run();
  }
}

if (process.argv[2] === 'serve') await serve();
else await main();
