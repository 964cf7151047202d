// Ingestion derives each batch's signals before writing it (services/ingestion/trace-store).
// Whatever the batching, re-sends and feedback, the stored signals must be exactly what
// deriving every session afresh from the stored turns gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolOf } from '../../db/client';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import { recomputeSessionSignals, type SignalSettings } from '../../services/ingestion/session-signals';
import { inTransaction, pgSqlClient, type CopySqlClient } from '../../services/ingestion/sql-client';
import { storeTraceBatch } from '../../services/ingestion/trace-store';
import { traceContentHash, validateTrace, type NormalizedTrace } from '../../core/traces/trace-schema';
import { recordFeedback } from '../../services/traces';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';

type Snapshot = Record<string, { negative: string[]; signals: string[] }>;

// Without latencies: high_latency depends on the project's p90 at the time of each batch,
// which a re-derivation afterwards cannot reproduce (and is not what is compared here).
const tracesWithoutLatency = (n: number, prefix: string) => syntheticTraces(n, { prefix }).map(({ latencyMs: _, ...t }) => t);

describe('signals written at ingestion', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  const newProject = async (name: string) => (await database.db.project.create({ data: { name } })).id;

  async function snapshot(projectId: string): Promise<Snapshot> {
    const rows = await database.db.trace.findMany({ where: { projectId }, include: { signals: true } });
    return Object.fromEntries(
      rows.map((t) => [t.externalId, { negative: t.negativeSignals, signals: t.signals.map((s) => `${s.kind}=${s.value}:${s.derivation}`).sort() }]),
    );
  }

  /** Re-derives every session of the project from what is stored, in a transaction rolled back. */
  async function rederived(projectId: string, settings: SignalSettings): Promise<Snapshot> {
    const pool = poolOf(database.db);
    let result: Snapshot = {};
    await inTransaction(pool, async (client) => {
      const sessions = (await client.query<{ session_id: string }>('SELECT DISTINCT session_id FROM trace WHERE project_id = $1', [projectId])).rows.map((r) => r.session_id);
      await recomputeSessionSignals(pgSqlClient(client), projectId, sessions, settings);
      const rows = await client.query<{ external_id: string; negative_signals: string[]; signals: string[] | null }>(
        `SELECT t.external_id, t.negative_signals, array_agg(s.kind || '=' || coalesce(s.value::text, 'null') || ':' || s.derivation ORDER BY 1) FILTER (WHERE s.kind IS NOT NULL) AS signals
           FROM trace t LEFT JOIN trace_signal s ON s.trace_id = t.id WHERE t.project_id = $1 GROUP BY t.id`,
        [projectId],
      );
      result = Object.fromEntries(rows.rows.map((r) => [r.external_id, { negative: r.negative_signals, signals: (r.signals ?? []).sort() }]));
      throw new RollBack();
    }).catch((error: unknown) => {
      if (!(error instanceof RollBack)) throw error;
    });
    return result;
  }
  class RollBack extends Error {}

  const hashed = (items: unknown[]) =>
    items.map((item) => {
      const r = validateTrace(item);
      if (!r.ok) throw new Error(r.reason);
      return { trace: r.trace as NormalizedTrace, hash: traceContentHash(r.trace) };
    });
  type ExistingRow = Record<string, unknown>;
  // The client, with the batch's lookup of existing ids rewritten (another upload's timing).
  const blind = (c: CopySqlClient, rewrite: (rows: ExistingRow[]) => ExistingRow[]): CopySqlClient => ({
    copy: c.copy,
    query: async <T>(sql: string, params?: readonly unknown[]) => {
      const rows = await c.query<T>(sql, params);
      return (sql.includes('content_hash, thumb::text') ? rewrite(rows as ExistingRow[]) : rows) as T[];
    },
  });

  // Same-looking numbers print alike from JS (value: 0.93) and SQL (value::text): compare both ways round.
  const normalised = (s: Snapshot) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { negative: v.negative, signals: v.signals.map((x) => x.replace(/=(-?[\d.e+-]+|null):/, (_, n: string) => `=${n === 'null' ? 'null' : Number(n)}:`)) }]));

  it('sessions split over many small batches end up as if derived in one go', async () => {
    // Sessions interleave, so most of them span several batches of 7.
    const traces = tracesWithoutLatency(300, 'b-');
    const interleaved = [...traces.filter((_, i) => i % 2 === 0), ...traces.filter((_, i) => i % 2 === 1)];
    const small = await newProject('small-batches');
    const whole = await newProject('one-batch');
    expect((await ingestParsedTraces(database.db, small, validateTraceItems(interleaved), { batchSize: 7 })).accepted).toBe(300);
    expect((await ingestParsedTraces(database.db, whole, validateTraceItems(traces), { batchSize: 10_000 })).accepted).toBe(300);
    const settings = { highLatencyMs: null };
    const stored = normalised(await snapshot(small));
    expect(stored).toEqual(normalised(await rederived(small, settings)));
    expect(stored).toEqual(normalised(await snapshot(whole)));
    expect(Object.values(stored).some((t) => t.signals.some((s) => s.startsWith('rephrase=')))).toBe(true);
  });

  it('stays consistent through re-sends with changes, moved turns and feedback recorded in between', async () => {
    const projectId = await newProject('changes');
    const traces = tracesWithoutLatency(120, 'c-');
    await ingestParsedTraces(database.db, projectId, validateTraceItems(traces), { batchSize: 25 });
    const principal = { keyId: 'k', role: 'admin' as const, projectId: null };
    await recordFeedback(database.db, principal as never, projectId, { traceId: 'c-3', thumb: 'down', rating: 1, events: { escalated: true } });
    const changed = traces.map((t, i) => {
      if (i % 9 === 0) return { ...t, output: `${String(t.output)} (edited)` };
      if (i % 13 === 0) return { ...t, sessionId: 'moved-here', turn: i };
      if (i === 3) return { ...t, output: 'changed without feedback' };
      return t;
    });
    const summary = await ingestParsedTraces(database.db, projectId, validateTraceItems([...changed, { ...(traces[5] as object), id: 'c-new', turn: 99 }]), { batchSize: 11 });
    expect(summary.accepted).toBe(1);
    expect(summary.updated).toBeGreaterThan(15);
    const stored = normalised(await snapshot(projectId));
    expect(stored).toEqual(normalised(await rederived(projectId, { highLatencyMs: null })));
    // The re-send without feedback kept the feedback recorded in between.
    expect(stored['c-3']!.negative).toEqual(expect.arrayContaining(['thumbs_down', 'low_rating', 'escalated']));
  });

  it('refuses a batch whose "new" traces another upload stored first, and stores it when run again', async () => {
    const projectId = await newProject('race-new');
    const traces = tracesWithoutLatency(40, 'r-');
    await ingestParsedTraces(database.db, projectId, validateTraceItems(traces.slice(0, 20)));
    const batch = hashed(traces.map((t) => ({ ...t, output: `${String(t.output)} v2` })));
    const pool = poolOf(database.db);
    // As if those 20 had not existed yet when the batch looked its ids up.
    await expect(inTransaction(pool, (client) => storeTraceBatch(blind(pgSqlClient(client), () => []), projectId, batch, { highLatencyMs: null }, new Map()))).rejects.toMatchObject({ code: '23505' });
    expect(await database.db.trace.count({ where: { projectId } })).toBe(20);
    const again = await inTransaction(pool, (client) => storeTraceBatch(pgSqlClient(client), projectId, batch, { highLatencyMs: null }, new Map()));
    expect(again).toMatchObject({ inserted: 20, updated: 20, unchanged: 0 });
    expect(normalised(await snapshot(projectId))).toEqual(normalised(await rederived(projectId, { highLatencyMs: null })));
  });

  it('re-derives from storage when a changed trace turned out unchanged by the time it was written', async () => {
    const projectId = await newProject('race-changed');
    const traces = tracesWithoutLatency(30, 'rc-');
    await ingestParsedTraces(database.db, projectId, validateTraceItems(traces));
    const batch = hashed([...traces, { ...(traces[0] as object), id: 'rc-extra', turn: 50 }]);
    const pool = poolOf(database.db);
    // The lookup reports stale hashes: every known trace looks changed, but the upsert finds it equal.
    const result = await inTransaction(pool, (client) => {
      const c = pgSqlClient(client);
      return storeTraceBatch(blind(c, (rows) => rows.map((r) => ({ ...r, content_hash: 'stale' }))), projectId, batch, { highLatencyMs: null }, new Map());
    });
    expect(result).toMatchObject({ inserted: 1, updated: 0, unchanged: 30 });
    expect(normalised(await snapshot(projectId))).toEqual(normalised(await rederived(projectId, { highLatencyMs: null })));
  });

  it('derives from feedback recorded between the batch\'s first look and its lock', async () => {
    const projectId = await newProject('race-feedback');
    const traces = tracesWithoutLatency(10, 'rf-').map((t) => ({ ...t, feedback: undefined }));
    await ingestParsedTraces(database.db, projectId, validateTraceItems(traces));
    const principal = { keyId: 'k', role: 'admin' as const, projectId: null };
    await recordFeedback(database.db, principal as never, projectId, { traceId: 'rf-0', thumb: 'down' });
    // The first look still sees rf-0 without its thumb; the look after the lock sees it.
    let looks = 0;
    const pool = poolOf(database.db);
    await inTransaction(pool, (client) =>
      storeTraceBatch(blind(pgSqlClient(client), (rows) => (++looks === 1 ? rows.map((r) => ({ ...r, thumb: null })) : rows)), projectId, hashed([{ ...traces[0], output: 'changed' }]), { highLatencyMs: null }, new Map()),
    );
    expect(looks).toBe(2);
    const stored = normalised(await snapshot(projectId));
    expect(stored['rf-0']!.negative).toContain('thumbs_down');
    expect(stored).toEqual(normalised(await rederived(projectId, { highLatencyMs: null })));
  });

  it('two uploads of overlapping traces at once store each trace once', async () => {
    const projectId = await newProject('concurrent');
    // The same ids in the same order: both uploads look up each batch while the other is
    // writing it, so one of them has its COPY refused and runs the batch again.
    const traces = tracesWithoutLatency(400, 'p-');
    const [a, b, c] = await Promise.all([
      ingestParsedTraces(database.db, projectId, validateTraceItems(traces), { batchSize: 50 }),
      ingestParsedTraces(database.db, projectId, validateTraceItems(traces), { batchSize: 50 }),
      ingestParsedTraces(database.db, projectId, validateTraceItems(traces.slice(100)), { batchSize: 30 }),
    ]);
    expect(a.accepted + b.accepted + c.accepted).toBe(400);
    expect(a.duplicates + b.duplicates + c.duplicates).toBe(400 + 300);
    expect(await database.db.trace.count({ where: { projectId } })).toBe(400);
    expect(normalised(await snapshot(projectId))).toEqual(normalised(await rederived(projectId, { highLatencyMs: null })));
  });
});
