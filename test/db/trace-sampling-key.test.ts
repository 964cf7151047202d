// trace_sampling_key is what sampling scans; it is written only by triggers on trace, so
// these tests drive trace through every kind of write and check the copy each time.
import { cp, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negativeMaskOf } from '../../activities/sampling';
import { NEGATIVE_SIGNAL_KINDS } from '../../core/signals/derive-signals';
import { MIGRATIONS_DIR, applyMigrations } from '../../db/schema-engine';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';

const MIGRATION = '20261202170247_trace_sampling_key';

// Rows where trace and its sampling key disagree (or one is missing): must always be 0.
const MISMATCHES = `
  SELECT count(*)::int AS n
    FROM trace t
    FULL JOIN (trace_sampling_key k JOIN trace_slice s ON s.id = k.slice_id) ON k.trace_id = t.id
   WHERE t.id IS NULL OR k.trace_id IS NULL
      OR (t.project_id, t.project_id, t.timestamp, t.slice, trace_negative_mask(t.negative_signals))
         IS DISTINCT FROM (k.project_id, s.project_id, k.timestamp, s.slice, k.negative_mask)`;

describe('trace_sampling_key (kept by triggers on trace)', () => {
  let database: TestDatabase;
  let projectId: string;
  const mismatches = async () => (await database.db.$queryRawUnsafe<{ n: number }[]>(MISMATCHES))[0]!.n;
  const keys = () => database.db.traceSamplingKey.count();

  beforeAll(async () => {
    database = await createTestDatabase();
    projectId = (await database.db.project.create({ data: { name: 'keys' } })).id;
  });
  afterAll(async () => database?.drop());

  it('maps each negative signal kind to its bit, in NEGATIVE_SIGNAL_KINDS order, and ignores other kinds', async () => {
    for (const [i, kind] of NEGATIVE_SIGNAL_KINDS.entries()) {
      const [row] = await database.db.$queryRawUnsafe<{ mask: number }[]>(`SELECT trace_negative_mask(ARRAY[$1, 'follow_up', 'thumbs_up']) AS mask`, kind);
      expect(row!.mask).toBe(1 << i);
      expect(negativeMaskOf([kind])).toBe(1 << i);
    }
    const [all] = await database.db.$queryRawUnsafe<{ mask: number }[]>(`SELECT trace_negative_mask($1::text[]) AS mask`, [...NEGATIVE_SIGNAL_KINDS]);
    expect(all!.mask).toBe(negativeMaskOf(NEGATIVE_SIGNAL_KINDS));
    expect(() => negativeMaskOf(['follow_up'])).toThrow(RangeError);
  });

  it('follows ingestion: inserts, signal updates, re-sent traces with changed content', async () => {
    const traces = syntheticTraces(300, { prefix: 'k-' });
    expect((await ingestParsedTraces(database.db, projectId, validateTraceItems(traces))).accepted).toBe(300);
    expect(await keys()).toBe(300);
    expect(await mismatches()).toBe(0);
    expect(await database.db.traceSamplingKey.count({ where: { negativeMask: { gt: 0 } } })).toBeGreaterThan(0);

    // Changed slice and timestamp on a re-send, and a later turn that changes the
    // previous turn's signals (no longer the session's last: not abandoned).
    const first = traces[0] as { id: string; sessionId: string; turn: number };
    const resent = traces.slice(0, 50).map((t) => ({ ...t, slice: { intent: 'changed' }, timestamp: '2026-10-30T12:00:00Z' }));
    const later = { ...first, id: 'k-later', turn: 99, input: 'and one more thing', timestamp: '2026-10-31T12:00:00Z' };
    const summary = await ingestParsedTraces(database.db, projectId, validateTraceItems([...resent, later]));
    expect(summary).toMatchObject({ accepted: 1, updated: 50 });
    expect(await mismatches()).toBe(0);
    const changed = await database.db.traceSlice.findFirstOrThrow({ where: { projectId, slice: { equals: { intent: 'changed' } } } });
    expect(await database.db.traceSamplingKey.count({ where: { sliceId: changed.id } })).toBe(50);
    // One dictionary entry per distinct slice of the project.
    const distinct = await database.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(DISTINCT slice)::int AS n FROM trace WHERE project_id = $1::uuid`, projectId);
    expect(await database.db.traceSlice.count({ where: { projectId } })).toBeGreaterThanOrEqual(distinct[0]!.n);
  });

  it('follows plain updates, deletes and a project deleted with its traces', async () => {
    await database.db.$executeRawUnsafe(`UPDATE trace SET negative_signals = ARRAY['guardrail_flagged', 'rephrase'] WHERE external_id IN ('k-1', 'k-2')`);
    await database.db.trace.updateMany({ where: { externalId: 'k-3' }, data: { slice: { intent: 'moved' } } });
    // An update that leaves the sampling fields alone changes nothing there.
    await database.db.trace.updateMany({ where: { projectId }, data: { model: 'm' } });
    expect(await mismatches()).toBe(0);
    const flagged = await database.db.$queryRawUnsafe<{ negative_mask: number }[]>(`SELECT k.negative_mask FROM trace_sampling_key k JOIN trace t ON t.id = k.trace_id WHERE t.external_id = 'k-1'`);
    expect(flagged[0]!.negative_mask).toBe(negativeMaskOf(['guardrail_flagged', 'rephrase']));

    await database.db.trace.deleteMany({ where: { externalId: { in: ['k-4', 'k-5'] } } });
    expect(await keys()).toBe(299);
    expect(await mismatches()).toBe(0);
    const other = (await database.db.project.create({ data: { name: 'gone' } })).id;
    await ingestParsedTraces(database.db, other, validateTraceItems(syntheticTraces(20, { prefix: 'g-' })));
    expect(await keys()).toBe(319);
    await database.db.project.delete({ where: { id: other } });
    expect(await keys()).toBe(299);
    expect(await database.db.traceSlice.count({ where: { projectId: other } })).toBe(0);
    expect(await mismatches()).toBe(0);
  });
});

describe('the trace_sampling_key migration', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createEmptyDatabase('flywheel_sampling_key');
  });
  afterAll(async () => database?.drop());

  it('copies the traces stored before it', async () => {
    // The migrations up to the one before, then traces, then the rest.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-before-'));
    const names = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    for (const name of names.filter((n) => n < MIGRATION)) {
      await mkdir(path.join(dir, name));
      await cp(path.join(MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
    }
    await cp(path.join(MIGRATIONS_DIR, 'migration_lock.toml'), path.join(dir, 'migration_lock.toml'));
    await applyMigrations(database.url, dir);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const project = (await client.query<{ id: string }>(`INSERT INTO project (id, name) VALUES (gen_random_uuid(), 'before') RETURNING id`)).rows[0]!.id;
      await client.query(
        `INSERT INTO trace (id, project_id, external_id, session_id, timestamp, input, output, content_hash, slice, negative_signals, updated_at)
         SELECT gen_random_uuid(), $1, 'b-' || i, 's', '2026-10-01'::timestamptz + i * interval '1 minute', 'q', 'a', 'h',
                jsonb_build_object('intent', 'i' || (i % 3)), CASE WHEN i % 2 = 0 THEN ARRAY['abandoned'] ELSE ARRAY[]::text[] END, now()
           FROM generate_series(1, 40) i`,
        [project],
      );
      expect(await applyMigrations(database.url)).toContain(MIGRATION);
      expect((await client.query<{ n: number }>(MISMATCHES)).rows[0]!.n).toBe(0);
      expect((await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM trace_sampling_key WHERE negative_mask = $1`, [negativeMaskOf(['abandoned'])])).rows[0]!.n).toBe(20);
    } finally {
      await client.end();
    }
  });
});
