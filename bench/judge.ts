// Judge throughput benchmark: N eval cases judged by the real judging activity
// (createJudgingActivities(db).judgeEvalCases, the function the workflow's worker runs),
// in-process under @temporalio/testing's MockActivityEnvironment (a real activity
// Context, heartbeats counted), against the simulated LLM provider at a fixed latency.
// Reports judgments/s against the bound C / latency for each concurrency limit C, with no
// failures and with a share of HTTP 500 and 429 (retry-after) answers.
//   npx tsx bench/judge.ts [--cases 2000] [--concurrency 4,8,16,32] [--latency-ms 200]
//                          [--failure-rate 0.05] [--database-url postgresql://...]
// The bench creates a scratch database flywheel_bench_<random>, applies the migrations,
// and drops it at the end (also on Ctrl-C). The simulated provider runs in a child
// process by default (a real provider is remote: its CPU is not the judge's), or in this
// process with --simulator same-process.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Command, Option } from 'commander';
import { createJudgingActivities, type JudgeBatchResult } from '../activities/judging';
import { DEFAULT_RUBRIC } from '../core/judge/judge-prompt';
import { createDb, type Db } from '../db/client';
import { startSimulatedProvider, type SimBehaviour, type SimStats } from '../simulator/llm-provider';
import { cleanupsOnExit, createScratchDatabase, databaseUrlOption, integerOption, log, runBench, seconds, serverVersion, withClient } from './common';

const program = new Command()
  .name('bench:judge')
  .description('Judge throughput: the judging activity against the simulated provider, judgments/s against the bound C / latency')
  .option('--cases <n>', 'eval cases to judge per run', '2000')
  .option('--concurrency <list>', 'concurrency limits C to run, comma-separated (JUDGE_CONCURRENCY)', '8')
  .option('--latency-ms <ms>', "the simulated provider's latency per call", '200')
  .option('--failure-rate <share>', 'share of calls that fail in the failing runs: half HTTP 500, half HTTP 429 with retry-after', '0.05')
  .option('--retry-after-seconds <s>', 'retry-after of the simulated 429s', '1')
  .option('--modes <list>', 'clean (no failures), failing (--failure-rate), comma-separated', 'clean,failing')
  .addOption(new Option('--simulator <where>', 'where the simulated provider runs').choices(['child-process', 'same-process']).default('child-process'))
  .addOption(databaseUrlOption())
  .addOption(new Option('--serve-simulator').hideHelp())
  .parse();
const opts = program.opts<{
  cases: string;
  concurrency: string;
  latencyMs: string;
  failureRate: string;
  retryAfterSeconds: string;
  modes: string;
  simulator: 'child-process' | 'same-process';
  databaseUrl: string;
  serveSimulator?: boolean;
}>();

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------
// The simulated provider, in a child process: a tiny IPC protocol (configure, stats).

type SimRequest = { id: number; configure: Partial<SimBehaviour> } | { id: number; stats: true };
type SimReply = { id: number; stats?: SimStats };

if (opts.serveSimulator) {
  const sim = await startSimulatedProvider({ seed: 'bench-judge' });
  process.on('message', (message: SimRequest) => {
    if ('configure' in message) sim.configure(message.configure);
    process.send!({ id: message.id, ...('stats' in message ? { stats: sim.stats() } : {}) } satisfies SimReply);
  });
  process.on('disconnect', () => void sim.stop().finally(() => process.exit(0)));
  process.send!({ url: sim.url });
} else {
  runBench(main);
}

interface SimHandle {
  url: string;
  configure(patch: Partial<SimBehaviour>): Promise<void>;
  stats(): Promise<SimStats>;
  stop(): Promise<void>;
}

async function startSimulator(where: 'child-process' | 'same-process'): Promise<SimHandle> {
  if (where === 'same-process') {
    const sim = await startSimulatedProvider({ seed: 'bench-judge' });
    return { url: sim.url, configure: async (p) => void sim.configure(p), stats: async () => sim.stats(), stop: sim.stop };
  }
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve-simulator'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`the simulator process exited with ${code}`)));
  });
  let next = 0;
  const pending = new Map<number, (reply: SimReply) => void>();
  child.on('message', (m: SimReply) => pending.get(m.id)?.(m));
  const ask = (message: SimRequest) =>
    new Promise<SimReply>((resolve) => {
      pending.set(message.id, (reply) => {
        pending.delete(message.id);
        resolve(reply);
      });
      child.send(message);
    });
  return {
    url,
    configure: async (configure) => void (await ask({ id: (next += 1), configure })),
    stats: async () => (await ask({ id: (next += 1), stats: true })).stats!,
    stop: async () => {
      child.disconnect();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// ---------------------------------------------------------------------------------
// Measuring hooks: HTTP requests in flight (this process's fetch, which both SDKs use)
// and the activity's score writes. Neither changes what the activity does.

const inflight = { now: 0, max: 0, attempts: 0, totalMs: 0 };
const originalFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  inflight.now += 1;
  inflight.attempts += 1;
  inflight.max = Math.max(inflight.max, inflight.now);
  const started = performance.now();
  try {
    const response = await originalFetch(input, init);
    // The body is part of the call: count it until it is read.
    const body = await response.arrayBuffer();
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  } finally {
    inflight.now -= 1;
    inflight.totalMs += performance.now() - started;
  }
};

interface WriteStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** The Prisma client with judgeScore.createMany timed (how the activity stores a score). */
function timingScoreWrites(db: Db, sink: WriteStats): Db {
  const judgeScore = new Proxy(db.judgeScore, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== 'createMany' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          const ms = performance.now() - started;
          sink.count += 1;
          sink.totalMs += ms;
          sink.maxMs = Math.max(sink.maxMs, ms);
        }
      };
    },
  });
  return new Proxy(db, { get: (target, prop) => (prop === 'judgeScore' ? judgeScore : Reflect.get(target, prop, target)) });
}

// ---------------------------------------------------------------------------------

const TOPICS = ['refund', 'invoice', 'password reset', 'delivery delay', 'plan upgrade', 'two-factor login', 'data export', 'webhook retries'];

/** N production eval cases of realistic size (a question, a 400-900 character answer, one document). */
async function loadCases(db: Db, n: number): Promise<{ projectId: string; caseIds: string[] }> {
  const project = await db.project.create({ data: { name: 'bench-judge' } });
  const set = await db.evalSet.create({ data: { projectId: project.id, name: 'production', kind: 'production' } });
  const rows = Array.from({ length: n }, (_, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    const answer = `Case ${i}: about your ${topic}. ` + 'Here is what applies to your account, step by step, with the policy that our help center documents. '.repeat(4 + (i % 6));
    return {
      evalSetId: set.id,
      caseKey: `bench-case-${String(i).padStart(5, '0')}`,
      contentHash: `bench-${i}`,
      input: `Question ${i}: how does ${topic} work for my ${['free', 'pro', 'team'][i % 3]} plan, and what happens next?`,
      sessionContext: [],
      retrievedContext: [{ id: `kb-${i % 50}`, text: `Help center article ${i % 50} about ${topic}: the rules, the deadlines and who to contact.` }],
      output: answer,
      expected: null,
      labels: [],
      slice: { intent: topic },
    };
  });
  for (let i = 0; i < rows.length; i += 1000) await db.evalCase.createMany({ data: rows.slice(i, i + 1000) });
  const caseIds = (await db.evalCase.findMany({ where: { evalSetId: set.id }, select: { id: true }, orderBy: { caseKey: 'asc' } })).map((c) => c.id);
  return { projectId: project.id, caseIds };
}

interface RunFigures {
  concurrency: number;
  mode: 'clean' | 'failing';
  seconds: number;
  perSecond: number;
  bound: number;
  result: JudgeBatchResult;
  http: { requests: number; ok: number; status500: number; status429: number; retried: number };
  attempts: number;
  maxInflight: number;
  meanInflight: number;
  /** Mean duration of one HTTP attempt, as this process saw it (request sent to body read). */
  meanCallMs: number;
  heartbeats: number;
  writes: WriteStats;
  eventLoopUtilisation: number;
  cpuPercent: number;
  load: { min: number; max: number };
  problems: string[];
}

async function main(): Promise<void> {
  const N = integerOption('--cases', opts.cases);
  const latencyMs = Number(opts.latencyMs);
  const failureRate = Number(opts.failureRate);
  const concurrencies = opts.concurrency.split(',').map((s) => Number(s.trim()));
  const modes = opts.modes.split(',').map((s) => s.trim()) as ('clean' | 'failing')[];
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`--concurrency must list positive integers, got ${opts.concurrency}`);
  if (modes.some((m) => m !== 'clean' && m !== 'failing')) throw new Error(`--modes must list clean and/or failing, got ${opts.modes}`);
  if (!(latencyMs > 0)) throw new Error(`--latency-ms must be positive, got ${opts.latencyMs}`);

  const adminUrl = opts.databaseUrl;
  const cleanups = cleanupsOnExit();

  try {
    log(`${new Date().toISOString()}; PostgreSQL ${await serverVersion(adminUrl)}; node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const { name: dbName, url: dbUrl, applied } = await createScratchDatabase(adminUrl, cleanups);
    const db = createDb(dbUrl);
    cleanups.add(() => db.$disconnect());
    const { projectId, caseIds } = await loadCases(db, N);
    log(`created ${dbName}, applied ${applied.length} migrations, ${caseIds.length} eval cases`);

    const sim = await startSimulator(opts.simulator);
    cleanups.add(() => sim.stop());
    const maxRetries = Number(process.env.JUDGE_MAX_RETRIES ?? 4);
    log(`simulated provider (${opts.simulator}) at ${sim.url}: ${latencyMs} ms per call; failing runs: ${(failureRate * 50).toFixed(1)}% HTTP 500 + ${(failureRate * 50).toFixed(1)}% HTTP 429 (retry-after ${opts.retryAfterSeconds} s); SDK maxRetries ${maxRetries}`);

    const writes: WriteStats = { count: 0, totalMs: 0, maxMs: 0 };
    const activities = createJudgingActivities(timingScoreWrites(db, writes));
    // The activity as the worker registers it, run inside a mock activity Context.
    const judgeIn = (env: MockActivityEnvironment, judgeVersionId: string) => env.run(activities.judgeEvalCases, { judgeVersionId, caseIds }) as Promise<JudgeBatchResult>;
    let version = 0;
    const figures: RunFigures[] = [];

    for (const concurrency of concurrencies) {
      for (const mode of modes) {
        const rate = mode === 'failing' ? failureRate : 0;
        await sim.configure({ latencyMs, errorRate: rate / 2, rateLimitRate: rate / 2, retryAfterSeconds: Number(opts.retryAfterSeconds) });
        // A fresh judge version per run: scores are unique per version and case.
        const judge = await db.judgePromptVersion.create({
          data: { projectId, version: (version += 1), rubric: DEFAULT_RUBRIC, fewShot: [], provider: 'simulated', model: 'sim-judge-1', baseUrl: sim.url, reason: `bench C=${concurrency} ${mode}`, status: 'candidate' },
        });
        process.env.JUDGE_CONCURRENCY = String(concurrency);
        Object.assign(writes, { count: 0, totalMs: 0, maxMs: 0 });
        Object.assign(inflight, { now: 0, max: 0, attempts: 0, totalMs: 0 });
        const before = await sim.stats();
        const env = new MockActivityEnvironment({ activityType: 'judgeEvalCases', heartbeatTimeoutMs: 60_000 });
        let heartbeats = 0;
        env.on('heartbeat', () => (heartbeats += 1));

        // Samples every 100 ms: requests in flight and the machine's 1-minute load average.
        let inflightSum = 0;
        let samples = 0;
        const loads: number[] = [];
        const sampler = setInterval(() => {
          inflightSum += inflight.now;
          samples += 1;
          if (samples % 10 === 0) loads.push(os.loadavg()[0]!);
        }, 100);
        const elu0 = performance.eventLoopUtilization();
        const cpu0 = process.cpuUsage();
        const started = process.hrtime.bigint();
        const result = await judgeIn(env, judge.id);
        const elapsed = seconds(started);
        const cpu = process.cpuUsage(cpu0);
        const elu = performance.eventLoopUtilization(elu0);
        clearInterval(sampler);
        loads.push(os.loadavg()[0]!);
        const after = await sim.stats();
        const delta = (key: string) => (after.byStatus[key] ?? 0) - (before.byStatus[key] ?? 0);

        const problems: string[] = [];
        const rows = await withClient(dbUrl, async (c) => {
          const counts = (await c.query<{ scored: string; failed: string; cases: string }>(
            `SELECT count(*) FILTER (WHERE status = 'scored') AS scored, count(*) FILTER (WHERE status = 'failed') AS failed, count(DISTINCT eval_case_id) AS cases
               FROM judge_score WHERE judge_version_id = $1`,
            [judge.id],
          )).rows[0]!;
          const duplicates = Number((await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM (SELECT subject_key FROM judge_score WHERE judge_version_id = $1 GROUP BY subject_key HAVING count(*) > 1) d`,
            [judge.id],
          )).rows[0]!.n);
          return { scored: Number(counts.scored), failed: Number(counts.failed), cases: Number(counts.cases), duplicates };
        });
        if (rows.scored + rows.failed !== N) problems.push(`stored scores ${rows.scored} + failures ${rows.failed} != ${N}`);
        if (rows.cases !== N) problems.push(`${rows.cases} distinct cases have a row, not ${N}`);
        if (rows.duplicates > 0) problems.push(`${rows.duplicates} (judge version, subject) pairs have more than one row`);
        if (result.scored !== rows.scored || result.failed !== rows.failed) problems.push(`the activity reported ${result.scored} scored / ${result.failed} failed, the table holds ${rows.scored} / ${rows.failed}`);
        const status500 = delta('500');
        const status429 = delta('429');
        const ok = delta('200');
        // Every case ends in exactly one 200 (a score) or in a recorded failure after
        // maxRetries + 1 failed calls; so every other failed call was followed by a retry.
        const requests = after.requests - before.requests;
        const retriedCalls = status500 + status429 - rows.failed;
        if (ok !== rows.scored) problems.push(`${ok} successful calls for ${rows.scored} scores`);
        if (requests !== ok + status500 + status429) problems.push(`${requests} calls, of which only ${ok + status500 + status429} answered 200, 500 or 429`);
        if (mode === 'failing' && status500 + status429 === 0) problems.push('no call failed in a failing run');
        if (status500 + status429 < rows.failed * (maxRetries + 1)) problems.push(`${rows.failed} recorded failures but only ${status500 + status429} failed calls: a failure was not retried ${maxRetries} times`);
        // Re-running the batch (a retried or resumed activity) must not call or write anything.
        // Its result reports the outcomes stored before (scored and failed count those too).
        const rerunBefore = await sim.stats();
        const writesBefore = writes.count;
        const rerun = await judgeIn(new MockActivityEnvironment(), judge.id);
        const rerunAfter = await sim.stats();
        if (rerun.alreadyJudged !== N || rerun.scored !== rows.scored || rerun.failed !== rows.failed || rerun.costUsd !== 0) problems.push(`a re-run judged again: ${JSON.stringify(rerun)}`);
        if (rerunAfter.requests !== rerunBefore.requests) problems.push(`a re-run made ${rerunAfter.requests - rerunBefore.requests} provider calls`);
        if (writes.count !== writesBefore) problems.push(`a re-run made ${writes.count - writesBefore} score writes`);

        const run: RunFigures = {
          concurrency,
          mode,
          seconds: elapsed,
          perSecond: N / elapsed,
          bound: concurrency / (latencyMs / 1000),
          result,
          http: { requests, ok, status500, status429, retried: retriedCalls },
          attempts: inflight.attempts,
          maxInflight: inflight.max,
          meanInflight: samples ? inflightSum / samples : 0,
          meanCallMs: inflight.totalMs / Math.max(1, inflight.attempts),
          heartbeats,
          writes: { ...writes },
          eventLoopUtilisation: elu.utilization,
          cpuPercent: ((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100,
          load: { min: Math.min(...loads), max: Math.max(...loads) },
          problems,
        };
        figures.push(run);
        log(
          `C=${concurrency} ${mode}: ${N} cases in ${fmt(elapsed, 2)} s = ${fmt(run.perSecond)} judgments/s; bound ${fmt(run.bound)}/s; ratio ${fmt(Math.floor((run.perSecond / run.bound) * 1000) / 10)}%` +
            ` | scored ${result.scored}, failed ${result.failed}; HTTP 200 ${ok}, 500 ${status500}, 429 ${status429}, retried ${retriedCalls}` +
            ` | HTTP calls ${inflight.attempts}, mean ${fmt(run.meanCallMs)} ms, in flight mean ${fmt(run.meanInflight)} max ${run.maxInflight}; score writes ${writes.count} (mean ${fmt(writes.totalMs / Math.max(1, writes.count), 2)} ms, max ${fmt(writes.maxMs, 0)} ms); heartbeats ${heartbeats}` +
            ` | this process: CPU ${fmt(run.cpuPercent, 0)}% of a core, event loop ${fmt(elu.utilization * 100, 0)}% busy; load ${fmt(run.load.min, 2)}-${fmt(run.load.max, 2)}` +
            (problems.length ? ` | PROBLEMS: ${problems.join('; ')}` : ' | checks passed'),
        );
      }
    }

    const header = ['C', 'mode', 'time', 'judgments/s', 'bound C/latency', 'ratio', 'scored+failed', 'HTTP 500/429', 'mean in flight', 'mean call', 'load avg'];
    const table = figures.map((f) => [
      String(f.concurrency),
      f.mode === 'failing' ? `${fmt(failureRate * 100, 0)}% fail` : 'clean',
      `${fmt(f.seconds, 2)} s`,
      fmt(f.perSecond),
      fmt(f.bound),
      // Rounded down, so a ratio just under the goal never prints as 90.0%.
      `${fmt(Math.floor((f.perSecond / f.bound) * 1000) / 10)}%${f.perSecond / f.bound >= 0.9 ? '' : ' (<90%)'}`,
      `${f.result.scored}+${f.result.failed}`,
      `${f.http.status500}/${f.http.status429}`,
      fmt(f.meanInflight),
      `${fmt(f.meanCallMs)} ms`,
      `${fmt(f.load.min, 2)}-${fmt(f.load.max, 2)}`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    console.log('');
    console.log(`| ${header.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of table) console.log(`| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
    console.log('');
    const failed = figures.filter((f) => f.problems.length);
    if (failed.length) throw new Error(`checks failed in ${failed.length} runs: ${failed.map((f) => `C=${f.concurrency} ${f.mode}: ${f.problems.join('; ')}`).join(' | ')}`);
    log(`checks passed in every run: scores + recorded failures == ${N}, one row per (judge version, case), every failed call retried, a re-run judged nothing again`);
    const missed = figures.filter((f) => f.perSecond / f.bound < 0.9);
    log(missed.length ? `goal (>= 90% of the bound) NOT met in: ${missed.map((f) => `C=${f.concurrency} ${f.mode}`).join(', ')}` : 'goal (>= 90% of the bound) met in every run');
  } finally {
    await cleanups.run();
  }
}
