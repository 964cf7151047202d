// Writes validated traces in batches: one transaction per batch, keyed by the
// application's own id, so a re-sent trace is a no-op (same content) or an update
// (changed content) and never a second row.
//
// Each batch derives its sessions' signals before writing, so a new trace is written once,
// with its negative signals, and only earlier turns whose signals changed are rewritten:
// 1. which ids exist, with their content hash and feedback (an update keeps feedback
//    recorded later, see mergeStored);
// 2. the stored turns of every session the batch touches (locked, see lockSessions);
// 3. signals derived from those turns plus the batch's;
// 4. the batch's new traces, streamed in with COPY, and its changed ones, upserted;
// 5. signal rows for the batch's traces, and for stored turns whose signals changed.
// If another upload wrote one of these ids between 1 and 4, the plan no longer holds: a
// new one makes the COPY fail on the unique key (the caller retries the batch), a changed
// one has the touched sessions re-derived from what is stored instead.
import { randomUUID } from 'node:crypto';
import type { SessionTurn, Signal } from '../../core/signals/derive-signals';
import type { NormalizedTrace } from '../../core/traces/trace-schema';
import {
  deriveSignals,
  lockSessions,
  negativeKinds,
  pgTextArray,
  readSessionTurns,
  readSignalRows,
  recomputeSessionSignals,
  sameKinds,
  sameSignalRows,
  writeNegativeSignals,
  writeSignalRows,
  type SignalSettings,
} from './session-signals';
import { copyField, type CopySqlClient, type SqlClient } from './sql-client';

export interface StoredBatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  sessionsRecomputed: number;
}

export interface HashedTrace {
  trace: NormalizedTrace;
  hash: string;
}

/** Release ids by name, kept for a whole upload (releases are never renamed or removed alone). */
export type ReleaseIds = Map<string, string>;

async function resolveReleases(c: SqlClient, projectId: string, names: readonly string[], known: ReleaseIds): Promise<void> {
  const missing = names.filter((n) => !known.has(n));
  if (missing.length === 0) return;
  await c.query(
    `INSERT INTO release (id, project_id, name) SELECT gen_random_uuid(), $1::uuid, n FROM unnest($2::text[]) AS n ON CONFLICT (project_id, name) DO NOTHING`,
    [projectId, missing],
  );
  const rows = await c.query<{ id: string; name: string }>(`SELECT id, name FROM release WHERE project_id = $1::uuid AND name = ANY($2::text[])`, [projectId, missing]);
  for (const r of rows) known.set(r.name, r.id);
}

interface ExistingRow {
  id: string;
  external_id: string;
  session_id: string;
  content_hash: string;
  thumb: 'up' | 'down' | null;
  rating: number | null;
  feedback_comment: string | null;
  regenerated: boolean;
  copied: boolean;
  escalated: boolean;
  abandoned: boolean;
}

/** A trace as it will be stored: id, and feedback merged with the stored row's. */
interface PlannedRow {
  id: string;
  trace: NormalizedTrace;
  hash: string;
  thumb: 'up' | 'down' | null;
  rating: number | null;
  comment: string | null;
  events: NormalizedTrace['events'];
  insert: boolean;
}

// Feedback in a re-sent trace only overwrites when present, so feedback recorded later
// through recordFeedback is not lost by a re-send without it (the upsert below does the
// same in SQL; this is what derivation sees).
function mergeStored(trace: NormalizedTrace, hash: string, stored: ExistingRow | undefined): PlannedRow {
  const fb = trace.feedback;
  const e = trace.events;
  if (!stored) {
    return { id: randomUUID(), trace, hash, thumb: fb?.thumb ?? null, rating: fb?.rating ?? null, comment: fb?.comment ?? null, events: e, insert: true };
  }
  return {
    id: stored.id,
    trace,
    hash,
    thumb: fb?.thumb ?? stored.thumb,
    rating: fb?.rating ?? stored.rating,
    comment: fb?.comment ?? stored.feedback_comment,
    events: {
      regenerated: e.regenerated || stored.regenerated,
      copied: e.copied || stored.copied,
      escalated: e.escalated || stored.escalated,
      abandoned: e.abandoned || stored.abandoned,
    },
    insert: false,
  };
}

function turnOf(p: PlannedRow): SessionTurn & { sessionId: string } {
  return {
    traceId: p.id,
    sessionId: p.trace.sessionId,
    turn: p.trace.turn,
    timestamp: p.trace.timestamp,
    input: p.trace.input,
    latencyMs: p.trace.latencyMs,
    feedback: { thumb: p.thumb, rating: p.rating },
    events: p.events,
    flags: p.trace.flags,
  };
}

const COPY_COLUMNS =
  'id, project_id, external_id, session_id, turn, timestamp, input, output, release_id, context, slice, latency_ms, model, ' +
  'tokens_in, tokens_out, flags, metadata, content_hash, thumb, rating, feedback_comment, regenerated, copied, escalated, abandoned, negative_signals';

/** New traces, as COPY text rows: cheaper for PostgreSQL than an upsert from arrays, and for Node than array parameters. */
async function copyNewTraces(c: CopySqlClient, projectId: string, rows: readonly PlannedRow[], releaseIds: ReleaseIds, signals: ReadonlyMap<string, readonly Signal[]>): Promise<void> {
  let text = '';
  for (const p of rows) {
    const t = p.trace;
    const fields: (string | number | boolean | null)[] = [
      p.id, projectId, t.id, t.sessionId, t.turn, t.timestamp, t.input, t.output, t.release ? (releaseIds.get(t.release) ?? null) : null,
      JSON.stringify(t.context), JSON.stringify(t.slice), t.latencyMs, t.model, t.tokens?.input ?? null, t.tokens?.output ?? null,
      pgTextArray(t.flags), t.metadata === null ? null : JSON.stringify(t.metadata), p.hash,
      p.thumb, p.rating, p.comment, p.events.regenerated, p.events.copied, p.events.escalated, p.events.abandoned,
      pgTextArray(negativeKinds(signals.get(p.id) ?? [])),
    ];
    for (let i = 0; i < fields.length; i++) text += (i === 0 ? '' : '\t') + copyField(fields[i]!);
    text += '\n';
  }
  await c.copy(`COPY trace (${COPY_COLUMNS}) FROM STDIN`, text);
}

async function upsertTraces(c: SqlClient, projectId: string, rows: readonly PlannedRow[], releaseIds: ReleaseIds, signals: ReadonlyMap<string, readonly Signal[]>) {
  const col = <T>(pick: (p: PlannedRow, t: NormalizedTrace) => T) => rows.map((p) => pick(p, p.trace));
  return c.query<{ id: string; external_id: string; inserted: boolean }>(
    `INSERT INTO trace (id, project_id, external_id, session_id, turn, timestamp, input, output, release_id, context, slice,
                        latency_ms, model, tokens_in, tokens_out, flags, metadata, content_hash,
                        thumb, rating, feedback_comment, regenerated, copied, escalated, abandoned, negative_signals, updated_at)
     SELECT u.id, $1::uuid, u.external_id, u.session_id, u.turn, u.ts, u.input, u.output, u.release_id, u.context::jsonb, u.slice::jsonb,
            u.latency_ms, u.model, u.tokens_in, u.tokens_out, u.flags::text[], u.metadata::jsonb, u.content_hash,
            u.thumb::"Thumb", u.rating, u.feedback_comment, u.regenerated, u.copied, u.escalated, u.abandoned, u.negative_signals::text[], now()
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[],
                 $12::float8[], $13::text[], $14::int[], $15::int[], $16::text[], $17::text[], $18::text[],
                 $19::text[], $20::int[], $21::text[], $22::bool[], $23::bool[], $24::bool[], $25::bool[], $26::text[])
          AS u(id, external_id, session_id, turn, ts, input, output, release_id, context, slice, latency_ms, model, tokens_in, tokens_out,
               flags, metadata, content_hash, thumb, rating, feedback_comment, regenerated, copied, escalated, abandoned, negative_signals)
     ON CONFLICT (project_id, external_id) DO UPDATE SET
       session_id = EXCLUDED.session_id, turn = EXCLUDED.turn, timestamp = EXCLUDED.timestamp, input = EXCLUDED.input,
       output = EXCLUDED.output, release_id = EXCLUDED.release_id, context = EXCLUDED.context, slice = EXCLUDED.slice,
       latency_ms = EXCLUDED.latency_ms, model = EXCLUDED.model, tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out,
       flags = EXCLUDED.flags, metadata = EXCLUDED.metadata, content_hash = EXCLUDED.content_hash,
       thumb = COALESCE(EXCLUDED.thumb, trace.thumb), rating = COALESCE(EXCLUDED.rating, trace.rating),
       feedback_comment = COALESCE(EXCLUDED.feedback_comment, trace.feedback_comment),
       regenerated = EXCLUDED.regenerated OR trace.regenerated, copied = EXCLUDED.copied OR trace.copied,
       escalated = EXCLUDED.escalated OR trace.escalated, abandoned = EXCLUDED.abandoned OR trace.abandoned,
       negative_signals = EXCLUDED.negative_signals, updated_at = now()
     WHERE trace.content_hash IS DISTINCT FROM EXCLUDED.content_hash
     RETURNING id, external_id, (xmax = 0) AS inserted`,
    [
      projectId,
      col((p) => p.id),
      col((_, t) => t.id),
      col((_, t) => t.sessionId),
      col((_, t) => t.turn),
      col((_, t) => t.timestamp),
      col((_, t) => t.input),
      col((_, t) => t.output),
      col((_, t) => (t.release ? (releaseIds.get(t.release) ?? null) : null)),
      col((_, t) => JSON.stringify(t.context)),
      col((_, t) => JSON.stringify(t.slice)),
      col((_, t) => t.latencyMs),
      col((_, t) => t.model),
      col((_, t) => t.tokens?.input ?? null),
      col((_, t) => t.tokens?.output ?? null),
      col((_, t) => pgTextArray(t.flags)),
      col((_, t) => (t.metadata === null ? null : JSON.stringify(t.metadata))),
      col((p) => p.hash),
      col((_, t) => t.feedback?.thumb ?? null),
      col((_, t) => t.feedback?.rating ?? null),
      col((_, t) => t.feedback?.comment ?? null),
      col((_, t) => t.events.regenerated),
      col((_, t) => t.events.copied),
      col((_, t) => t.events.escalated),
      col((_, t) => t.events.abandoned),
      col((p) => pgTextArray(negativeKinds(signals.get(p.id) ?? []))),
    ],
  );
}

/** The stored rows of these ids, by id. */
async function lookUp(c: SqlClient, projectId: string, externalIds: readonly string[]): Promise<Map<string, ExistingRow>> {
  const rows = await c.query<ExistingRow>(
    // One probe of the unique index per id (fenced like readSessionTurns: without
    // statistics the planner scans the whole project for `external_id = ANY(...)`).
    `SELECT t.* FROM unnest($2::text[]) AS e(external_id)
       CROSS JOIN LATERAL (
         SELECT id, external_id, session_id, content_hash, thumb::text AS thumb, rating, feedback_comment, regenerated, copied, escalated, abandoned
           FROM trace WHERE project_id = $1::uuid AND trace.external_id = e.external_id OFFSET 0) AS t`,
    [projectId, externalIds],
  );
  return new Map(rows.map((row) => [row.external_id, row]));
}

/** Stores one batch (distinct ids) in the transaction of `c`. */
export async function storeTraceBatch(c: CopySqlClient, projectId: string, batch: readonly HashedTrace[], settings: SignalSettings, releaseIds: ReleaseIds): Promise<StoredBatchResult> {
  if (batch.length === 0) return { inserted: 0, updated: 0, unchanged: 0, sessionsRecomputed: 0 };
  await resolveReleases(c, projectId, [...new Set(batch.map((b) => b.trace.release).filter((r): r is string => r !== null))], releaseIds);

  const existing = await lookUp(c, projectId, batch.map((b) => b.trace.id));
  const planned = batch.filter((b) => existing.get(b.trace.id)?.content_hash !== b.hash).map((b) => mergeStored(b.trace, b.hash, existing.get(b.trace.id)));
  if (planned.length === 0) return { inserted: 0, updated: 0, unchanged: batch.length, sessionsRecomputed: 0 };

  // A changed trace may also have moved out of a session: that session is re-derived too.
  const sessions = new Set(planned.map((p) => p.trace.sessionId));
  for (const p of planned) if (!p.insert) sessions.add(existing.get(p.trace.id)!.session_id);
  const plannedIds = new Set(planned.map((p) => p.trace.id));
  await lockSessions(c, projectId, [...sessions]);
  // Known traces again, now that their sessions are locked: feedback recorded since the
  // first look must be what derivation sees (a trace that meanwhile moved or became equal
  // sends this batch to the re-derivation below).
  const fresh = planned.filter((p) => p.insert);
  let changed = planned.filter((p) => !p.insert);
  let stale = false;
  if (changed.length > 0) {
    const now = await lookUp(c, projectId, changed.map((p) => p.trace.id));
    changed = changed.map((p) => {
      const row = now.get(p.trace.id);
      const before = existing.get(p.trace.id)!;
      if (!row || row.id !== before.id || row.session_id !== before.session_id || row.content_hash === p.hash) stale = true;
      return row ? mergeStored(p.trace, p.hash, row) : p;
    });
  }
  const stored = (await readSessionTurns(c, projectId, [...sessions])).filter((t) => !plannedIds.has(t.externalId));
  const signals = deriveSignals([...stored, ...fresh.map(turnOf), ...changed.map(turnOf)], settings);

  if (fresh.length > 0) await copyNewTraces(c, projectId, fresh, releaseIds, signals);
  const written = changed.length > 0 ? await upsertTraces(c, projectId, changed, releaseIds, signals) : [];
  const byExternalId = new Map(written.map((w) => [w.external_id, w]));
  const asPlanned = !stale && written.length === changed.length && changed.every((p) => byExternalId.get(p.trace.id)?.id === p.id && byExternalId.get(p.trace.id)?.inserted === false);
  const inserted = fresh.length + written.filter((w) => w.inserted).length;
  const result = { inserted, updated: fresh.length + written.length - inserted, unchanged: batch.length - fresh.length - written.length, sessionsRecomputed: sessions.size };
  if (!asPlanned) {
    await recomputeSessionSignals(c, projectId, [...sessions], settings);
    return result;
  }

  // Signal rows: all of the batch's, and stored turns' only where something changed
  // (usually just the previous last turn of each session: no longer abandoned).
  const storedRows = await readSignalRows(c, stored.map((t) => t.traceId));
  const changedStored = stored.filter((t) => !sameSignalRows(storedRows.get(t.traceId), signals.get(t.traceId) ?? []));
  const rows = new Map<string, readonly Signal[]>();
  for (const p of [...fresh, ...changed]) rows.set(p.id, signals.get(p.id) ?? []);
  for (const t of changedStored) rows.set(t.traceId, signals.get(t.traceId) ?? []);
  await writeSignalRows(c, [...changed.map((p) => p.id), ...changedStored.map((t) => t.traceId)], rows);
  await writeNegativeSignals(
    c,
    stored.flatMap((t) => {
      const kinds = negativeKinds(signals.get(t.traceId) ?? []);
      return sameKinds(kinds, t.negativeSignals) ? [] : [{ id: t.traceId, kinds }];
    }),
  );
  return result;
}
