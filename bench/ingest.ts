// Ingestion benchmark: streams N synthetic traces through the real POST /v1/traces
// endpoint (server in-process, on an ephemeral port) and compares the rate with
// PostgreSQL's own COPY FROM STDIN of the same rows into a scratch table.
//   npx tsx bench/ingest.ts [--traces 200000] [--database-url postgresql://...]
// The bench creates a scratch database flywheel_bench_<random> on that server, applies
// the project's migrations, and drops the database at the end (also on Ctrl-C).
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Client as TemporalClient } from '@temporalio/client';
import { Command } from 'commander';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createApiServer } from '../api/server';
import { parseTraceLine, traceContentHash, type NormalizedTrace } from '../core/traces/trace-schema';
import { createDb } from '../db/client';
import { createApiKey } from '../services/api-keys';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { cleanupsOnExit, createScratchDatabase, databaseUrlOption, fmtInt, integerOption, log, printTable, runBench, seconds, serverVersion } from './common';

const program = new Command()
  .name('bench:ingest')
  .description('Ingestion throughput: POST /v1/traces vs PostgreSQL COPY FROM STDIN')
  .option('--traces <n>', 'number of synthetic traces', '200000')
  .addOption(databaseUrlOption())
  .option('--seed <n>', 'PRNG seed for the synthetic data', '42')
  .option('--request-timeout <seconds>', "the API server's http requestTimeout (Node's default 300 s cuts off longer uploads; 0 = none)")
  .parse();
const opts = program.opts<{ traces: string; databaseUrl: string; seed: string; requestTimeout?: string }>();
const N = integerOption('--traces', opts.traces);

const MB = 1024 * 1024;
const fmtMb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

// ---------------------------------------------------------------------------------
// Synthetic traces (seeded, so runs are comparable)

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(Number(opts.seed));
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
/** 60-20-10-10 mix over four values. */
const mix = <T>(xs: readonly [T, T, T, T]): T => {
  const r = rand();
  return r < 0.6 ? xs[0] : r < 0.8 ? xs[1] : r < 0.9 ? xs[2] : xs[3];
};
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

const RELEASES = ['assistant-2026.09', 'assistant-2026.10', 'assistant-2026.11'] as const;
const INTENTS = ['billing', 'technical', 'account', 'shipping'] as const;
const TIERS = ['free', 'pro', 'team', 'enterprise'] as const;
const LOCALES = ['en', 'de', 'fr', 'ja'] as const;
const MODELS = ['gpt-4o-mini', 'claude-sonnet', 'gpt-4.1'] as const;
const FLAGS = ['pii_detected', 'toxicity', 'prompt_injection', 'off_topic'] as const;
const WORDS = (
  'the a my your our invoice refund charge card payment plan subscription upgrade downgrade cancel account password login email ' +
  'reset two-factor code device order package delivery tracking address courier delayed damaged return label warehouse error ' +
  'timeout api key webhook integration sync export import report dashboard settings permission team member invite role admin ' +
  'please could you help me understand why how when where what is was were it this that there again still not working after ' +
  'yesterday today since update version app browser mobile desktop page button click shows message says failed pending processed ' +
  'monthly annual discount coupon tax vat receipt currency euro dollar yen bank transfer paypal declined expired verified'
).split(' ');

function text(minBytes: number, maxBytes: number): string {
  const target = int(minBytes, maxBytes);
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const w = pick(WORDS);
    words.push(w);
    length += w.length + 1;
  }
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1, target - 1) + '.';
}

/** A rephrase of `input`: the same question with a few words changed or added. */
function rephrase(input: string): string {
  const words = input.split(' ');
  for (let i = 0; i < 2; i++) words[int(0, words.length - 1)] = pick(WORDS);
  return `${pick(['Again:', 'I mean', 'To be clear,', 'Sorry,'])} ${words.join(' ')}`;
}

interface Session {
  id: string;
  turns: number;
  next: number;
  release: string;
  slice: Record<string, string>;
  model: string;
  lastInput: string;
}

let sessionSeq = 0;
function newSession(): Session {
  sessionSeq += 1;
  // 1–8 turns, mostly short conversations.
  const turns = Math.min(8, 1 + Math.floor(-Math.log(1 - rand()) * 1.6));
  return {
    id: `sess-${sessionSeq.toString().padStart(8, '0')}`,
    turns,
    next: 1,
    release: pick(RELEASES),
    slice: { intent: mix(INTENTS), tier: mix(TIERS), locale: mix(LOCALES) },
    model: pick(MODELS),
    lastInput: '',
  };
}

function traceLine(seq: number, s: Session, clockMs: number): string {
  const turn = s.next;
  const input = turn > 1 && rand() < 0.08 ? rephrase(s.lastInput) : text(60, 300);
  s.lastInput = input;
  s.next += 1;
  const latencyMs = Math.round(Math.exp(6.8 + 0.55 * normal())); // median ~900 ms, long tail
  const trace: Record<string, unknown> = {
    id: `tr-${seq.toString().padStart(9, '0')}`,
    sessionId: s.id,
    turn,
    timestamp: new Date(clockMs).toISOString(),
    input,
    output: text(300, 800),
    release: s.release,
    slice: s.slice,
    latencyMs,
    model: s.model,
    tokens: { input: int(200, 2500), output: int(60, 500) },
  };
  if (rand() < 0.6) {
    const docs = int(1, 2);
    trace['context'] = Array.from({ length: docs }, () => ({ id: `kb-${int(1, 5000)}`, text: text(80, 240) }));
  }
  const f = rand();
  if (f < 0.12) {
    trace['feedback'] = f < 0.05 ? { thumb: 'down', ...(rand() < 0.3 ? { comment: text(20, 120) } : {}) } : f < 0.1 ? { thumb: 'up' } : { rating: int(1, 5) };
  }
  const e = rand();
  if (e < 0.15) trace['events'] = e < 0.1 ? { copied: true } : e < 0.13 ? { regenerated: true } : { escalated: true };
  if (rand() < 0.02) trace['flags'] = [pick(FLAGS)];
  if (rand() < 0.5) trace['metadata'] = { client: pick(['web', 'ios', 'android']), region: pick(['eu-west-1', 'us-east-1', 'ap-northeast-1']) };
  return JSON.stringify(trace);
}

async function writeChunk(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

/** Writes N traces; sessions interleave (64 open at a time) as live traffic does. */
async function generateNdjson(file: string, n: number): Promise<{ sessions: number }> {
  const out = createWriteStream(file);
  const open: Session[] = Array.from({ length: 64 }, newSession);
  let clockMs = Date.parse('2026-11-01T00:00:00Z');
  let lines: string[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const slot = int(0, open.length - 1);
    const session = open[slot]!;
    clockMs += int(1, 400);
    lines.push(traceLine(seq, session, clockMs));
    if (session.next > session.turns) open[slot] = newSession();
    if (lines.length === 1000) {
      await writeChunk(out, lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length > 0) await writeChunk(out, lines.join('\n') + '\n');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  // Sessions still open at the end were cut short, like a real export window.
  return { sessions: sessionSeq };
}

// ---------------------------------------------------------------------------------
// COPY text format

const COPY_COLUMNS = [
  'id', 'project_id', 'external_id', 'session_id', 'turn', 'timestamp', 'input', 'output', 'release_id', 'context', 'slice',
  'latency_ms', 'model', 'tokens_in', 'tokens_out', 'flags', 'metadata', 'content_hash',
  'thumb', 'rating', 'feedback_comment', 'regenerated', 'copied', 'escalated', 'abandoned', 'updated_at',
] as const;

const copyEscape = (s: string) => s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
const copyField = (v: string | number | boolean | null): string => (v === null ? '\\N' : copyEscape(String(v)));
const pgArray = (xs: readonly string[]) => `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

/** The row the endpoint stores for this trace, as one COPY text line. */
function copyRow(t: NormalizedTrace, projectId: string, releaseIds: Map<string, string>, now: string): string {
  const values: (string | number | boolean | null)[] = [
    randomUUID(), projectId, t.id, t.sessionId, t.turn, t.timestamp, t.input, t.output,
    t.release ? (releaseIds.get(t.release) ?? null) : null,
    JSON.stringify(t.context), JSON.stringify(t.slice), t.latencyMs, t.model, t.tokens?.input ?? null, t.tokens?.output ?? null,
    pgArray(t.flags), t.metadata === null ? null : JSON.stringify(t.metadata), traceContentHash(t),
    t.feedback?.thumb ?? null, t.feedback?.rating ?? null, t.feedback?.comment ?? null,
    t.events.regenerated, t.events.copied, t.events.escalated, t.events.abandoned, now,
  ];
  return values.map(copyField).join('\t');
}

async function writeCopyFile(ndjsonFile: string, copyFile: string, projectId: string, releaseIds: Map<string, string>): Promise<number> {
  const out = createWriteStream(copyFile);
  const now = new Date().toISOString();
  let rows: string[] = [];
  let count = 0;
  for await (const item of splitNdjsonLines(createReadStream(ndjsonFile), 1024 * 1024)) {
    if (!('text' in item)) throw new Error(`line ${item.line} is oversize`);
    const parsed = parseTraceLine(item.text, item.line);
    if (!parsed.ok) throw new Error(parsed.reason);
    rows.push(copyRow(parsed.trace, projectId, releaseIds, now));
    count += 1;
    if (rows.length === 1000) {
      await writeChunk(out, rows.join('\n') + '\n');
      rows = [];
    }
  }
  if (rows.length > 0) await writeChunk(out, rows.join('\n') + '\n');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return count;
}

async function timedCopy(client: pg.Client, table: string, file: string): Promise<number> {
  const started = process.hrtime.bigint();
  await pipeline(createReadStream(file), client.query(copyFrom(`COPY ${table} (${COPY_COLUMNS.join(', ')}) FROM STDIN`)));
  return seconds(started);
}

// ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const adminUrl = opts.databaseUrl;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'flywheel-bench-'));
  const cleanups = cleanupsOnExit();
  // Added first, so removed last.
  cleanups.add(() => rm(workDir, { recursive: true, force: true }));

  try {
    log(`PostgreSQL ${await serverVersion(adminUrl)}; node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);

    // 1. Scratch database.
    const { name: dbName, url: dbUrl, applied } = await createScratchDatabase(adminUrl, cleanups);
    log(`created ${dbName}, applied ${applied.length} migrations`);

    // 2. Synthetic NDJSON.
    const ndjsonFile = path.join(workDir, 'traces.ndjson');
    let started = process.hrtime.bigint();
    const { sessions } = await generateNdjson(ndjsonFile, N);
    const fileBytes = (await stat(ndjsonFile)).size;
    log(`generated ${fmtInt(N)} traces in ${fmtInt(sessions)} sessions: ${fmtMb(fileBytes)} (${Math.round(fileBytes / N)} bytes/trace) in ${seconds(started).toFixed(1)} s`);

    // 3. The real API server, in this process.
    const db = createDb(dbUrl);
    cleanups.add(() => db.$disconnect());
    // The ingest route never touches Temporal; a lazy client never connects.
    const server = createApiServer({ db, temporal: { client: new TemporalClient(), taskQueue: 'bench' } });
    if (opts.requestTimeout !== undefined) server.requestTimeout = Number(opts.requestTimeout) * 1000;
    log(`API server requestTimeout: ${server.requestTimeout ? `${server.requestTimeout / 1000} s` : 'none'}`);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.add(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const project = await db.project.create({ data: { name: 'bench' } });
    const { plain: ingestKey } = await createApiKey(db, { name: 'bench ingest', role: 'ingest', projectId: project.id });

    global.gc?.();
    const baselineRss = process.memoryUsage().rss;
    let peakRss = baselineRss;
    let peakHeap = process.memoryUsage().heapUsed;
    let sentBytes = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 250);
    const uploadStarted = process.hrtime.bigint();
    const progress = setInterval(() => {
      const s = seconds(uploadStarted);
      const m = process.memoryUsage();
      log(`  ${s.toFixed(0)} s: ${fmtMb(sentBytes)} sent (${((sentBytes / fileBytes) * 100).toFixed(0)}%), ${fmtInt(sentBytes / s / (fileBytes / N))} traces/s so far, rss ${fmtMb(m.rss)}, heap ${fmtMb(m.heapUsed)} used / ${fmtMb(m.heapTotal)} total, external ${fmtMb(m.external)} (array buffers ${fmtMb(m.arrayBuffers)})`);
    }, 15_000);
    async function* countedBody() {
      for await (const chunk of createReadStream(ndjsonFile, { highWaterMark: 256 * 1024 })) {
        sentBytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    log(`POST ${baseUrl}/v1/traces?projectId=${project.id} (baseline rss ${fmtMb(baselineRss)})`);
    const response = await fetch(`${baseUrl}/v1/traces?projectId=${project.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${ingestKey}` },
      body: countedBody() as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit);
    const body = await response.text();
    const endpointSeconds = seconds(uploadStarted);
    clearInterval(sampler);
    clearInterval(progress);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (response.status !== 200) {
      throw new Error(`POST /v1/traces answered ${response.status} after ${endpointSeconds.toFixed(0)} s (${fmtMb(sentBytes)} sent): ${body.slice(0, 300) || '(empty body)'}` +
        (endpointSeconds > 290 && server.requestTimeout > 0 ? ` — Node's http server cuts requests off after requestTimeout = ${server.requestTimeout / 1000} s; see --request-timeout` : ''));
    }
    const summary = JSON.parse(body) as { received: number; accepted: number; updated: number; duplicates: number; rejected: number; errors: unknown[] };
    log(`summary: ${JSON.stringify({ ...summary, errors: summary.errors.slice(0, 3) })}`);

    const problems: string[] = [];
    if (summary.accepted !== N) problems.push(`accepted ${summary.accepted} != ${N}`);
    if (summary.rejected !== 0) problems.push(`rejected ${summary.rejected} != 0`);
    const [counts] = await db.$queryRawUnsafe<{ traces: bigint; signals: bigint; with_signals: bigint; with_negative: bigint; sessions: bigint }[]>(
      `SELECT (SELECT count(*) FROM trace WHERE project_id = $1::uuid) AS traces,
              (SELECT count(*) FROM trace_signal) AS signals,
              (SELECT count(DISTINCT trace_id) FROM trace_signal) AS with_signals,
              (SELECT count(*) FROM trace WHERE project_id = $1::uuid AND cardinality(negative_signals) > 0) AS with_negative,
              (SELECT count(DISTINCT session_id) FROM trace WHERE project_id = $1::uuid) AS sessions`,
      project.id,
    );
    const storedTraces = Number(counts!.traces);
    const signalRows = Number(counts!.signals);
    const withSignals = Number(counts!.with_signals);
    if (storedTraces !== N) problems.push(`SELECT count(*) FROM trace = ${storedTraces} != ${N}`);
    if (signalRows === 0) problems.push('no trace_signal rows: signal derivation did not run');
    const kinds = await db.$queryRawUnsafe<{ kind: string; n: bigint }[]>(`SELECT kind, count(*) AS n FROM trace_signal GROUP BY kind ORDER BY n DESC`);
    log(`stored ${fmtInt(storedTraces)} traces in ${fmtInt(Number(counts!.sessions))} sessions; ${fmtInt(signalRows)} trace_signal rows ` +
      `(${(signalRows / storedTraces).toFixed(2)} per trace), ${fmtInt(withSignals)} traces (${((withSignals / storedTraces) * 100).toFixed(1)}%) with ≥1 signal, ` +
      `${fmtInt(Number(counts!.with_negative))} with a negative signal`);
    log(`signal kinds: ${kinds.map((k) => `${k.kind} ${fmtInt(Number(k.n))}`).join(', ')}`);

    // 4. The same rows through COPY FROM STDIN.
    const releases = await db.$queryRawUnsafe<{ id: string; name: string }[]>(`SELECT id, name FROM release WHERE project_id = $1::uuid`, project.id);
    const copyFile = path.join(workDir, 'traces.copy');
    started = process.hrtime.bigint();
    const copyRows = await writeCopyFile(ndjsonFile, copyFile, project.id, new Map(releases.map((r) => [r.name, r.id])));
    const copyBytes = (await stat(copyFile)).size;
    log(`prepared ${fmtInt(copyRows)} COPY text rows (${fmtMb(copyBytes)}) in ${seconds(started).toFixed(1)} s (not timed)`);

    const pgClient = new pg.Client({ connectionString: dbUrl });
    await pgClient.connect();
    cleanups.add(() => pgClient.end());
    // (a) What the brief compares against: same columns and defaults, plus the unique
    //     (project_id, external_id) index the endpoint's upsert relies on.
    await pgClient.query(`CREATE TABLE scratch_trace (LIKE trace INCLUDING DEFAULTS)`);
    await pgClient.query(`CREATE UNIQUE INDEX scratch_trace_project_external ON scratch_trace (project_id, external_id)`);
    await pgClient.query('CHECKPOINT');
    const copySeconds = await timedCopy(pgClient, 'scratch_trace', copyFile);
    const copyCount = Number((await pgClient.query<{ n: string }>('SELECT count(*) AS n FROM scratch_trace')).rows[0]!.n);
    if (copyCount !== N) problems.push(`scratch_trace has ${copyCount} rows != ${N}`);
    log(`COPY into scratch_trace (LIKE trace INCLUDING DEFAULTS + unique (project_id, external_id)): ${copySeconds.toFixed(1)} s`);
    await pgClient.query('DROP TABLE scratch_trace');
    // (b) For reference: every index trace has (pkey, unique, 3 btrees, GIN), no FKs, no signals.
    await pgClient.query(`CREATE TABLE scratch_trace_all (LIKE trace INCLUDING ALL)`);
    await pgClient.query('CHECKPOINT');
    const copyAllSeconds = await timedCopy(pgClient, 'scratch_trace_all', copyFile);
    log(`COPY into scratch_trace_all (LIKE trace INCLUDING ALL, i.e. all 6 indexes of trace): ${copyAllSeconds.toFixed(1)} s`);
    await pgClient.query('DROP TABLE scratch_trace_all');

    // 5. Results.
    const endpointRate = N / endpointSeconds;
    const copyRate = N / copySeconds;
    const copyAllRate = N / copyAllSeconds;
    const ratio = endpointRate / copyRate;
    const rows: [string, string][] = [
      ['traces', fmtInt(N)],
      ['NDJSON file', fmtMb(fileBytes)],
      ['endpoint POST /v1/traces', `${fmtInt(endpointRate)} traces/s, ${(fileBytes / MB / endpointSeconds).toFixed(1)} MB/s (${endpointSeconds.toFixed(1)} s)`],
      ['COPY FROM STDIN (unique idx)', `${fmtInt(copyRate)} rows/s (${copySeconds.toFixed(1)} s)`],
      ['ratio endpoint / COPY', `${ratio.toFixed(3)} (goal >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'})`],
      ['COPY FROM STDIN (all 6 idx)', `${fmtInt(copyAllRate)} rows/s (${copyAllSeconds.toFixed(1)} s), ratio ${(endpointRate / copyAllRate).toFixed(3)}`],
      ['signal rows per trace', (signalRows / storedTraces).toFixed(2)],
      ['RSS baseline / peak', `${fmtMb(baselineRss)} / ${fmtMb(peakRss)}`],
      ['peak RSS delta', fmtMb(peakRss - baselineRss)],
      ['peak heap used', fmtMb(peakHeap)],
    ];
    printTable(rows);
    if (problems.length > 0) throw new Error(`checks failed: ${problems.join('; ')}`);
    log('checks passed: accepted == N, rejected == 0, count(trace) == N, trace_signal rows present');
  } finally {
    await cleanups.run();
  }
}

runBench(main);
