// Sampling benchmark: draws the default 200-trace sample (core/sampling/policy defaults,
// sliced by `intent`) from a period of N synthetic traces through the real activity,
// createSamplingActivities(db).sampleProductionTraces, and times it against the 1 s goal.
//   npx tsx bench/sampling.ts [--traces 1000000] [--runs 5] [--database-url postgresql://...]
// The bench creates a scratch database flywheel_bench_<random> on that server, applies
// the project's migrations, loads the traces with INSERT ... SELECT FROM generate_series
// (deterministic: the same N gives the same rows, ids included), and drops the database
// at the end (also on Ctrl-C). `--keep` leaves it, `--reuse <db>` samples an existing one.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { Command } from 'commander';
import { createSamplingActivities } from '../activities/sampling';
import { parseSamplingPolicy, type SamplingPolicy } from '../core/sampling/policy';
import type { SampleReport } from '../core/sampling/sample-report';
import { createDb, type Db } from '../db/client';
import { withDatabase } from '../db/database-url';
import { applyMigrations } from '../db/schema-engine';
import { cleanupsOnExit, createScratchDatabase, databaseUrlOption, fmtInt, integerOption, log, printTable, runBench, seconds, serverVersion, withClient } from './common';

const program = new Command()
  .name('bench:sampling')
  .description('Sampling latency: the default 200-trace sample from a period of N traces, against a 1 s goal')
  .option('--traces <n>', 'number of synthetic traces (about 95% inside the sampled month)', '1000000')
  .option('--runs <n>', 'warm runs (the median is reported)', '5')
  .addOption(databaseUrlOption())
  .option('--keep', 'keep the scratch database at the end (its name is printed)', false)
  .option('--reuse <database>', 'sample an already loaded scratch database (from --keep) instead of creating one')
  .option('--plans', 'print the full EXPLAIN (ANALYZE, BUFFERS) plans, not just their summary lines', false)
  .parse();
const opts = program.opts<{ traces: string; runs: string; databaseUrl: string; keep: boolean; reuse?: string; plans: boolean }>();
const N = integerOption('--traces', opts.traces, 1000);
const RUNS = integerOption('--runs', opts.runs);

const GOAL_MS = 1000;
const PERIOD_START = '2026-11-01T00:00:00.000Z';
const PERIOD_END = '2026-12-01T00:00:00.000Z';
// 2.5% of the traces fall before the period and 2.5% after it.
const OUTSIDE_SHARE = 0.025;
const LABELLED = 1000;
const FIXED_SEED = 'bench-fixed-seed';

const fmtMs = (ms: number) => `${ms.toFixed(0)} ms`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---------------------------------------------------------------------------------
// Synthetic traffic, generated inside PostgreSQL.
//
// u(k) is a uniform draw in [0, 1) from hashint8 of the row number (or, negated, of the
// session number), so the data is the same on every run without a PRNG state.
// Sessions have 4 turns; intent, tier, locale and the session-level signals are drawn
// per session, the rest per turn. Fractions of the traces:
//   intent       billing 60%, technical 20%, account 10%, shipping 9.8%, data_deletion 0.2%
//   signals      thumbs_down 5%, rephrase 8% (turns 2+ only, ~10.7% of those), abandoned 15%
//                (sessions), long_session 3% (sessions), high_latency 10%, guardrail_flagged 1%
const u = (key: string, k: number) => `((hashint8(${key} * 16 + ${k})::bigint & 1048575) / 1048576.0)`;
const T = (k: number) => u('g.i::bigint', k);
const S = (k: number) => u('(-s.no)::bigint', k);
const WORDS = [
  'invoice', 'refund', 'charge', 'card', 'payment', 'plan', 'subscription', 'upgrade', 'cancel', 'password', 'login', 'email',
  'two-factor', 'device', 'order', 'package', 'delivery', 'tracking', 'address', 'courier', 'return', 'label', 'timeout', 'webhook',
  'export', 'dashboard', 'permission', 'invite', 'role', 'receipt', 'currency', 'coupon', 'discount', 'tax', 'bank', 'transfer',
];
const word = (k: number) => `(ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}])[1 + (hashint8(g.i::bigint * 16 + ${k})::bigint & 1048575) % ${WORDS.length}]`;
const ANSWER =
  'Thanks for reaching out. Here is what I found in your account and in our help center: the change you asked about is ' +
  'handled from the settings page, under billing and plans. If the option is not shown there, your role may not allow it; ' +
  'an administrator of your team can grant the permission. Changes take effect at the start of the next billing cycle and ' +
  'you will receive a confirmation email with a receipt. Let me know if anything else is unclear and I will gladly help.';

function insertTracesSql(n: number): string {
  const outside = Math.round(n * OUTSIDE_SHARE);
  const periodMs = Date.parse(PERIOD_END) - Date.parse(PERIOD_START);
  const stepMs = periodMs / (n - 2 * outside);
  return `
INSERT INTO trace (id, project_id, external_id, session_id, turn, timestamp, input, output, release_id, context, slice,
                   latency_ms, model, tokens_in, tokens_out, flags, metadata, content_hash, thumb, rating,
                   regenerated, copied, escalated, abandoned, negative_signals)
SELECT md5('bench-trace:' || g.i)::uuid, $1::uuid, 'tr-' || lpad(g.i::text, 9, '0'), 'sess-' || lpad(s.no::text, 8, '0'), s.turn,
       '${PERIOD_START}'::timestamptz + ((g.i - ${outside} - 1) * ${stepMs}) * interval '1 millisecond',
       x.input, 'Answer to question ' || g.i || '. ' || '${ANSWER}', $2::uuid,
       CASE WHEN ${T(1)} < 0.6 THEN jsonb_build_array(jsonb_build_object('id', 'kb-' || (g.i % 5000), 'text', 'Help center article about ' || x.intent || ' and ' || ${word(2)} || ' for customers on the ' || x.tier || ' plan.')) ELSE '[]'::jsonb END,
       jsonb_build_object('intent', x.intent, 'tier', x.tier, 'locale', x.locale),
       CASE WHEN x.slow THEN 5000 + ${T(3)} * 15000 ELSE 300 + ${T(3)} * 2700 END,
       (ARRAY['gpt-4o-mini', 'claude-sonnet', 'gpt-4.1'])[1 + g.i % 3], 200 + g.i % 2300, 60 + g.i % 440,
       CASE WHEN x.flagged THEN ARRAY['prompt_injection'] ELSE ARRAY[]::text[] END,
       CASE WHEN g.i % 2 = 0 THEN jsonb_build_object('client', (ARRAY['web', 'ios', 'android'])[1 + g.i % 3]) END,
       md5(x.input || g.i), CASE WHEN x.thumbs_down THEN 'down'::"Thumb" WHEN ${T(4)} < 0.05 THEN 'up'::"Thumb" END, NULL,
       false, ${T(5)} < 0.1, false, x.abandoned,
       array_remove(ARRAY[CASE WHEN x.thumbs_down THEN 'thumbs_down' END, CASE WHEN x.rephrase THEN 'rephrase' END,
                          CASE WHEN x.abandoned THEN 'abandoned' END, CASE WHEN x.long_session THEN 'long_session' END,
                          CASE WHEN x.slow THEN 'high_latency' END, CASE WHEN x.flagged THEN 'guardrail_flagged' END], NULL)
  FROM generate_series(1, ${n}) AS g(i)
 CROSS JOIN LATERAL (SELECT (g.i - 1) / 4 AS no, (g.i - 1) % 4 + 1 AS turn) s
 CROSS JOIN LATERAL (
   SELECT CASE WHEN ${S(1)} < 0.6 THEN 'billing' WHEN ${S(1)} < 0.8 THEN 'technical' WHEN ${S(1)} < 0.9 THEN 'account'
               WHEN ${S(1)} < 0.998 THEN 'shipping' ELSE 'data_deletion' END AS intent,
          (ARRAY['free', 'pro', 'team', 'enterprise'])[1 + (hashint8((-s.no)::bigint * 16 + 2)::bigint & 1048575) % 4] AS tier,
          (ARRAY['en', 'de', 'fr', 'ja'])[1 + (hashint8((-s.no)::bigint * 16 + 3)::bigint & 1048575) % 4] AS locale,
          ${T(6)} < 0.05 AS thumbs_down, s.turn > 1 AND ${T(7)} < 0.107 AS rephrase, ${S(4)} < 0.15 AS abandoned,
          ${S(5)} < 0.03 AS long_session, ${T(8)} < 0.10 AS slow, ${T(9)} < 0.01 AS flagged,
          'Question ' || g.i || ' about ' || ${word(10)} || ' and ' || ${word(11)} || ': why does my ' || ${word(12)} || ' show '
            || ${word(13)} || ' after the ' || ${word(14)} || ' change?' AS input
 ) x`;
}

interface Loaded {
  projectId: string;
  loadSeconds: number;
}

/** Project, release, N traces, LABELLED labels (sample_item -> label_task -> label), VACUUM ANALYZE. */
async function load(url: string): Promise<Loaded> {
  return withClient(url, async (c) => {
    const project = (await c.query<{ id: string }>(`INSERT INTO project (id, name) VALUES (gen_random_uuid(), 'bench') RETURNING id`)).rows[0]!.id;
    const release = (await c.query<{ id: string }>(`INSERT INTO release (id, project_id, name) VALUES (gen_random_uuid(), $1, 'assistant-2026.11') RETURNING id`, [project])).rows[0]!.id;
    await c.query(`SET maintenance_work_mem = '512MB'`);
    const started = process.hrtime.bigint();

    // Secondary indexes are dropped for the bulk insert and rebuilt from their own
    // definitions (the primary key stays: foreign keys reference it).
    const indexes = (await c.query<{ indexname: string; indexdef: string }>(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'trace'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)`,
    )).rows;
    for (const i of indexes) await c.query(`DROP INDEX "${i.indexname}"`);
    let step = process.hrtime.bigint();
    await c.query(insertTracesSql(N), [project, release]);
    log(`  inserted ${fmtInt(N)} traces in ${seconds(step).toFixed(1)} s`);
    step = process.hrtime.bigint();
    for (const i of indexes) await c.query(i.indexdef);
    log(`  rebuilt ${indexes.length} secondary indexes (${indexes.map((i) => i.indexname).join(', ')}) in ${seconds(step).toFixed(1)} s`);

    // Labels of an earlier run, on traces spread over the period: the sample must skip them.
    step = process.hrtime.bigint();
    const outside = Math.round(N * OUTSIDE_SHARE);
    const stride = Math.floor((N - 2 * outside) / LABELLED);
    const earlier = (await c.query<{ id: string }>(
      `INSERT INTO flywheel_run (id, project_id, workflow_id, status, stage, period_start, period_end, updated_at)
       VALUES (gen_random_uuid(), $1, 'bench-earlier-run', 'completed', 'done', '2026-10-01', '2026-11-01', now()) RETURNING id`,
      [project],
    )).rows[0]!.id;
    await c.query(
      `WITH picked AS (
         SELECT t.id AS trace_id, k FROM generate_series(1, ${LABELLED}) k JOIN trace t ON t.id = md5('bench-trace:' || (${outside} + k * ${stride}))::uuid),
       items AS (
         INSERT INTO sample_item (id, run_id, trace_id, stratum, reason, slice_value, rank)
         SELECT gen_random_uuid(), $1, trace_id, 'baseline', 'bench', 'billing', k FROM picked RETURNING id, trace_id),
       tasks AS (
         INSERT INTO label_task (id, run_id, project_id, sample_item_id, trace_id, slot, status, reviewer_id, finished_at)
         SELECT gen_random_uuid(), $1, $2, id, trace_id, 1, 'done', '00000000-0000-4000-8000-000000000001', now() FROM items RETURNING id, trace_id)
       INSERT INTO label (id, task_id, run_id, trace_id, reviewer_id, correctness, relevance, clarity, calibration, length, verdict)
       SELECT gen_random_uuid(), id, $1, trace_id, '00000000-0000-4000-8000-000000000001', 4, 4, 4, 4, 3, 'pass' FROM tasks`,
      [earlier, project],
    );
    log(`  labelled ${fmtInt(LABELLED)} traces (sample_item -> label_task -> label) in ${seconds(step).toFixed(1)} s`);
    step = process.hrtime.bigint();
    await c.query('VACUUM ANALYZE');
    log(`  VACUUM ANALYZE in ${seconds(step).toFixed(1)} s`);
    return { projectId: project, loadSeconds: seconds(started) };
  });
}

async function describeData(url: string, projectId: string): Promise<void> {
  await withClient(url, async (c) => {
    const size = (await c.query<{ heap: string; indexes: string }>(
      `SELECT pg_size_pretty(pg_table_size('trace')) AS heap, pg_size_pretty(pg_indexes_size('trace')) AS indexes`,
    )).rows[0]!;
    const q = await c.query<{ in_period: string; sessions: string; with_signal: string }>(
      `SELECT count(*) FILTER (WHERE timestamp >= $2 AND timestamp < $3) AS in_period, count(DISTINCT session_id) AS sessions,
              count(*) FILTER (WHERE cardinality(negative_signals) > 0) AS with_signal
         FROM trace WHERE project_id = $1`,
      [projectId, PERIOD_START, PERIOD_END],
    );
    const r = q.rows[0]!;
    const signals = await c.query<{ s: string; n: string }>(`SELECT s, count(*) AS n FROM trace, unnest(negative_signals) s GROUP BY s ORDER BY n DESC`);
    const intents = await c.query<{ s: string; n: string }>(`SELECT slice->>'intent' AS s, count(*) AS n FROM trace GROUP BY 1 ORDER BY n DESC`);
    const pct = (n: string) => `${((Number(n) / N) * 100).toFixed(1)}%`;
    log(`data: ${fmtInt(N)} traces (${fmtInt(Number(r.in_period))} in ${PERIOD_START.slice(0, 10)} .. ${PERIOD_END.slice(0, 10)}), ${fmtInt(Number(r.sessions))} sessions; trace heap ${size.heap}, its indexes ${size.indexes}`);
    log(`  intent: ${intents.rows.map((x) => `${x.s} ${pct(x.n)}`).join(', ')}`);
    log(`  signals: ${signals.rows.map((x) => `${x.s} ${pct(x.n)}`).join(', ')}; ${pct(r.with_signal)} with any`);
  });
}

// ---------------------------------------------------------------------------------
// Timing the activity

interface RecordedQuery {
  sql: string;
  /** SET LOCAL statements run before it in the same transaction (replayed for EXPLAIN). */
  settings: string[];
  params: unknown[];
  ms: number;
  startNs: bigint;
  endNs: bigint;
}

/**
 * The Prisma client, with every $queryRawUnsafe the activity makes recorded for EXPLAIN,
 * also inside interactive transactions (with the SET LOCAL statements run before it).
 */
function recording(db: Db, sink: RecordedQuery[], settings: string[] = []): Db {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === '$queryRawUnsafe') {
        return async (sql: string, ...params: unknown[]) => {
          const started = process.hrtime.bigint();
          try {
            return await target.$queryRawUnsafe(sql, ...params);
          } finally {
            const endNs = process.hrtime.bigint();
            sink.push({ sql, settings: [...settings], params, ms: Number(endNs - started) / 1e6, startNs: started, endNs });
          }
        };
      }
      if (prop === '$executeRawUnsafe') {
        return (sql: string, ...params: unknown[]) => {
          if (/^\s*SET\s+LOCAL\b/i.test(sql)) settings.push(sql);
          return target.$executeRawUnsafe(sql, ...params);
        };
      }
      if (prop === '$transaction') {
        return (arg: unknown, options?: unknown) =>
          typeof arg === 'function'
            ? target.$transaction((tx) => (arg as (tx: unknown) => Promise<unknown>)(recording(tx as unknown as Db, sink, [])), options as never)
            : target.$transaction(arg as never, options as never);
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

interface Sampled {
  ms: number;
  report: SampleReport;
  runId: string;
  queries: RecordedQuery[];
}

async function sampleOnce(db: Db, projectId: string, label: string, policy: SamplingPolicy): Promise<Sampled> {
  const run = await db.flywheelRun.create({
    data: { projectId, workflowId: `bench-sample-${label}-${randomBytes(4).toString('hex')}`, stage: 'sampling', periodStart: new Date(PERIOD_START), periodEnd: new Date(PERIOD_END) },
  });
  const queries: RecordedQuery[] = [];
  const activities = createSamplingActivities(recording(db, queries));
  const started = process.hrtime.bigint();
  const report = await activities.sampleProductionTraces({ runId: run.id, projectId, periodStart: PERIOD_START, periodEnd: PERIOD_END, policy });
  return { ms: seconds(started) * 1000, report, runId: run.id, queries };
}

/** Where a call's time went: the raw SQL reads (concurrent ones overlap) and the rest. */
function splitOf(s: Sampled): string {
  // Reads that run concurrently (Promise.all) overlap: count the union of their intervals.
  const spans = [...s.queries].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  let unionNs = 0n;
  let end = 0n;
  for (const q of spans) {
    const from = q.startNs > end ? q.startNs : end;
    if (q.endNs > from) unionNs += q.endNs - from;
    if (q.endNs > end) end = q.endNs;
  }
  const sqlMs = Number(unionNs) / 1e6;
  return `SQL reads ${fmtMs(sqlMs)} [${s.queries.map((q) => fmtMs(q.ms)).join(', ')}], the rest (dedupe, writes) ${fmtMs(s.ms - sqlMs)}`;
}

const fmtCounts = (xs: Record<string, number>) =>
  Object.entries(xs)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** Ordered sample of a run as one hash: equal fingerprints = the very same sample. */
async function fingerprint(url: string, runId: string): Promise<string> {
  return withClient(url, async (c) => {
    const rows = await c.query<{ line: string }>(
      `SELECT t.external_id || ':' || s.stratum || ':' || s.slice_value AS line FROM sample_item s JOIN trace t ON t.id = s.trace_id WHERE s.run_id = $1 ORDER BY s.rank`,
      [runId],
    );
    return createHash('sha256').update(rows.rows.map((r) => r.line).join('\n')).digest('hex').slice(0, 16);
  });
}

async function explain(url: string, queries: RecordedQuery[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const [i, q] of queries.entries()) {
      await c.query('BEGIN');
      for (const setting of q.settings) await c.query(setting);
      const plan = (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params)).rows.map((r) => r['QUERY PLAN']);
      await c.query('ROLLBACK');
      const firstLine = q.sql.replace(/\s+/g, ' ').trim().slice(0, 110);
      log(`EXPLAIN query ${i + 1}/${queries.length} (${fmtMs(q.ms)} in the last warm call${q.settings.length ? `; ${q.settings.join('; ')}` : ''}): ${firstLine}…`);
      if (opts.plans) {
        for (const line of plan) console.log(`    ${line}`);
      } else {
        const top = plan[0]!.trim();
        const buffers = plan.find((l) => l.trim().startsWith('Buffers:'))?.trim();
        const timing = plan.filter((l) => /^(Planning|Execution) Time|^JIT:|^\s+Timing:/.test(l)).map((l) => l.trim());
        for (const line of [top, buffers, ...timing]) if (line) console.log(`    ${line}`);
      }
    }
  });
}

// ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const adminUrl = opts.databaseUrl;
  const cleanups = cleanupsOnExit();

  try {
    log(`PostgreSQL ${await serverVersion(adminUrl)}; node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`);

    let dbUrl: string;
    let projectId: string;
    let loadSeconds: number | null = null;
    if (opts.reuse) {
      const dbName = opts.reuse;
      dbUrl = withDatabase(adminUrl, dbName);
      projectId = await withClient(dbUrl, async (c) => (await c.query<{ id: string }>(`SELECT id FROM project WHERE name = 'bench'`)).rows[0]!.id);
      const applied = await applyMigrations(dbUrl);
      log(`reusing ${dbName} (project ${projectId})${applied.length ? `; applied ${applied.join(', ')}` : ''}`);
    } else {
      const { name: dbName, url, applied } = await createScratchDatabase(adminUrl, cleanups, { keep: opts.keep });
      dbUrl = url;
      if (opts.keep) log(`--keep: ${dbName} stays; reuse it with --reuse ${dbName}`);
      log(`created ${dbName}, applied ${applied.length} migrations; loading ${fmtInt(N)} traces`);
      ({ projectId, loadSeconds } = await load(dbUrl));
      log(`loaded in ${loadSeconds.toFixed(1)} s`);
    }
    await describeData(dbUrl, projectId);

    const parsed = parseSamplingPolicy({});
    if (!parsed.ok) throw new Error(parsed.reason);
    const policy = parsed.policy;
    log(`policy: sampleSize ${policy.sampleSize}, sliceDimension ${policy.sliceDimension}, sliceFloor ${policy.sliceFloor}, baselineShare ${policy.baselineShare}; seed = run id`);

    const db = createDb(dbUrl);
    cleanups.add(() => db.$disconnect());

    // Cold: the first call of this process (new connections, no cached plans). The
    // server's shared buffers and the OS page cache are whatever the load left.
    const cold = await sampleOnce(db, projectId, 'cold', policy);
    log(`cold: ${fmtMs(cold.ms)} (${splitOf(cold)}); sampled ${cold.report.sampled} of ${fmtInt(cold.report.eligible)} eligible (${cold.report.excluded.alreadyLabelled} already labelled, ${cold.report.excluded.nearDuplicates} near-duplicates dropped)`);
    log(`  by stratum: ${fmtCounts(cold.report.byStratum)}`);
    log(`  by slice:   ${fmtCounts(cold.report.bySlice)}`);
    if (cold.report.shortfalls.length) log(`  shortfalls: ${cold.report.shortfalls.join(' | ')}`);

    const warm: Sampled[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const s = await sampleOnce(db, projectId, `warm${i}`, policy);
      warm.push(s);
      log(`warm ${i}/${RUNS}: ${fmtMs(s.ms)} (sampled ${s.report.sampled}; ${splitOf(s)})`);
    }
    const warmMs = warm.map((w) => w.ms);
    const warmMedian = median(warmMs);

    // Reproducibility: the same seed twice must give the same ordered sample.
    const fixedPolicy = { ...policy, seed: FIXED_SEED };
    const fixedA = await sampleOnce(db, projectId, 'fixedA', fixedPolicy);
    const fixedB = await sampleOnce(db, projectId, 'fixedB', fixedPolicy);
    const [fpA, fpB] = [await fingerprint(dbUrl, fixedA.runId), await fingerprint(dbUrl, fixedB.runId)];
    log(`seed '${FIXED_SEED}': sample fingerprint ${fpA} / ${fpB} (${fpA === fpB ? 'identical' : 'DIFFERENT'}; ${fmtMs(fixedA.ms)}, ${fmtMs(fixedB.ms)}); by stratum ${fmtCounts(fixedA.report.byStratum)}`);

    await explain(dbUrl, warm.at(-1)!.queries);

    const problems: string[] = [];
    for (const s of [cold, ...warm, fixedA, fixedB]) {
      if (s.report.sampled !== policy.sampleSize) problems.push(`a run sampled ${s.report.sampled} != ${policy.sampleSize}`);
    }
    if (fpA !== fpB) problems.push('the same seed gave two different samples');
    const labelledInSample = await withClient(dbUrl, async (c) =>
      Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM sample_item s JOIN flywheel_run r ON r.id = s.run_id WHERE r.workflow_id LIKE 'bench-sample-%' AND EXISTS (SELECT 1 FROM label l WHERE l.trace_id = s.trace_id)`)).rows[0]!.n),
    );
    if (labelledInSample > 0) problems.push(`${labelledInSample} already-labelled traces were sampled`);

    const rows: [string, string][] = [
      ['traces (in period)', `${fmtInt(N)} (${fmtInt(cold.report.eligible + cold.report.excluded.alreadyLabelled)})`],
      ...(loadSeconds !== null ? [['load (INSERT…SELECT, indexes, labels, VACUUM ANALYZE)', `${loadSeconds.toFixed(1)} s`] as [string, string]] : []),
      ['sample size', `${cold.report.sampled} of ${policy.sampleSize}`],
      ['cold (first call)', `${fmtMs(cold.ms)} (${(cold.ms / GOAL_MS).toFixed(2)}× the 1 s goal)`],
      [`warm median of ${RUNS}`, `${fmtMs(warmMedian)} (${(warmMedian / GOAL_MS).toFixed(2)}× the 1 s goal: ${warmMedian < GOAL_MS ? 'met' : 'NOT met'})`],
      ['warm min / max', `${fmtMs(Math.min(...warmMs))} / ${fmtMs(Math.max(...warmMs))}`],
      ['same seed → same sample', fpA === fpB ? `yes (${fpA})` : 'NO'],
    ];
    printTable(rows);
    if (problems.length > 0) throw new Error(`checks failed: ${problems.join('; ')}`);
    log('checks passed: every run sampled N, same seed gave the same sample, no labelled trace was sampled');
  } finally {
    await cleanups.run();
  }
}

runBench(main);
