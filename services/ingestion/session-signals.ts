// Re-derives every signal of the given sessions from all their turns, so a later turn (or
// later feedback) corrects what earlier turns said (rephrase, abandoned).
import { deriveSessionSignals, isNegativeSignal, type SessionTurn, type Signal } from '../../core/signals/derive-signals';
import type { Db } from '../../db/client';
import type { SqlClient } from './sql-client';

export interface SignalSettings {
  rephraseThreshold?: number;
  longSessionTurns?: number;
  /** The project's latency p90 at ingestion time; null until the project has latencies. */
  highLatencyMs: number | null;
}

/** A stored turn, with what is needed to tell whether its derived signals changed. */
interface StoredTurn extends SessionTurn {
  sessionId: string;
  externalId: string;
  negativeSignals: string[];
}

interface TurnRow {
  id: string;
  external_id: string;
  session_id: string;
  turn: number | null;
  timestamp: Date;
  input: string;
  latency_ms: number | null;
  thumb: 'up' | 'down' | null;
  rating: number | null;
  regenerated: boolean;
  copied: boolean;
  escalated: boolean;
  abandoned: boolean;
  flags: string[];
  negative_signals: string[];
}

/**
 * Locks these sessions until the transaction ends, so that two uploads (or an upload and
 * feedback) touching one session derive its signals one after the other, each from the
 * other's turns, rather than both from what was committed before either. In key order, so
 * two batches never wait for each other in a circle.
 */
export async function lockSessions(c: SqlClient, projectId: string, sessionIds: readonly string[]): Promise<void> {
  if (sessionIds.length === 0) return;
  await c.query(
    `SELECT count(pg_advisory_xact_lock(k.key)) AS n
       FROM (SELECT DISTINCT hashtextextended($1::text || ':' || s, 0) AS key FROM unnest($2::text[]) AS s ORDER BY 1) AS k`,
    [projectId, sessionIds],
  );
}

/** Every stored turn of these sessions. */
export async function readSessionTurns(c: SqlClient, projectId: string, sessionIds: readonly string[]): Promise<StoredTurn[]> {
  if (sessionIds.length === 0) return [];
  // One index probe per session on (project_id, session_id, turn). With `session_id =
  // ANY(...)` a planner without fresh statistics (a new project, autovacuum off or behind)
  // reads every row of the project through the project_id prefix instead, so each batch
  // cost grew with the table; the fenced LATERAL (OFFSET 0) keeps the probe per session.
  const rows = await c.query<TurnRow>(
    `SELECT t.* FROM (SELECT DISTINCT unnest($2::text[]) AS session_id) AS s
       CROSS JOIN LATERAL (
         SELECT id, external_id, session_id, turn, timestamp, input, latency_ms, thumb::text AS thumb, rating,
                regenerated, copied, escalated, abandoned, flags, negative_signals
           FROM trace WHERE project_id = $1::uuid AND trace.session_id = s.session_id OFFSET 0) AS t`,
    [projectId, sessionIds],
  );
  return rows.map((row) => ({
    traceId: row.id,
    externalId: row.external_id,
    sessionId: row.session_id,
    turn: row.turn,
    timestamp: row.timestamp.toISOString(),
    input: row.input,
    latencyMs: row.latency_ms,
    feedback: { thumb: row.thumb, rating: row.rating },
    events: { regenerated: row.regenerated, copied: row.copied, escalated: row.escalated, abandoned: row.abandoned },
    flags: row.flags,
    negativeSignals: row.negative_signals,
  }));
}

/** Signals per trace id, deriving each session from all of its turns given here. */
export function deriveSignals(turns: readonly (SessionTurn & { sessionId: string })[], settings: SignalSettings): Map<string, Signal[]> {
  const bySession = new Map<string, SessionTurn[]>();
  for (const turn of turns) {
    const list = bySession.get(turn.sessionId);
    if (list) list.push(turn);
    else bySession.set(turn.sessionId, [turn]);
  }
  const out = new Map<string, Signal[]>();
  for (const sessionTurns of bySession.values()) {
    for (const { traceId, signals } of deriveSessionSignals(sessionTurns, settings)) out.set(traceId, signals);
  }
  return out;
}

export const negativeKinds = (signals: readonly Signal[]): string[] => signals.filter((s) => isNegativeSignal(s.kind)).map((s) => s.kind);

export const sameKinds = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Replaces the trace_signal rows of `replaced` trace ids and writes those of `signals`
 * (trace ids with no rows yet need no delete).
 */
export async function writeSignalRows(c: SqlClient, replaced: readonly string[], signals: ReadonlyMap<string, readonly Signal[]>): Promise<void> {
  // The rows are found by one primary-key probe per id (a fenced LATERAL, like
  // readSessionTurns), then deleted by position: without statistics the planner would
  // rather scan the whole table for a join or `= ANY`.
  if (replaced.length > 0) {
    await c.query(
      `DELETE FROM trace_signal WHERE ctid = ANY(ARRAY(
         SELECT s.ctid FROM unnest($1::uuid[]) AS u(id) CROSS JOIN LATERAL (SELECT ctid FROM trace_signal WHERE trace_id = u.id OFFSET 0) AS s))`,
      [replaced],
    );
  }
  const traceIds: string[] = [];
  const kinds: string[] = [];
  const values: (number | null)[] = [];
  const derivations: string[] = [];
  for (const [traceId, list] of signals) {
    for (const signal of list) {
      traceIds.push(traceId);
      kinds.push(signal.kind);
      values.push(typeof signal.value === 'number' ? signal.value : null);
      derivations.push(signal.derivation);
    }
  }
  if (traceIds.length > 0) {
    await c.query(
      `INSERT INTO trace_signal (trace_id, kind, value, derivation) SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[])`,
      [traceIds, kinds, values, derivations],
    );
  }
}

interface SignalRow {
  kind: string;
  value: number | null;
  derivation: string;
}

/** Stored trace_signal rows of these traces, each trace's sorted by kind. */
export async function readSignalRows(c: SqlClient, traceIds: readonly string[]): Promise<Map<string, SignalRow[]>> {
  const out = new Map<string, SignalRow[]>();
  if (traceIds.length === 0) return out;
  const rows = await c.query<SignalRow & { trace_id: string }>(
    `SELECT s.* FROM unnest($1::uuid[]) AS u(id)
       CROSS JOIN LATERAL (SELECT trace_id, kind, value, derivation FROM trace_signal WHERE trace_id = u.id OFFSET 0) AS s
      ORDER BY s.trace_id, s.kind`,
    [traceIds],
  );
  for (const { trace_id, ...row } of rows) {
    const list = out.get(trace_id);
    if (list) list.push(row);
    else out.set(trace_id, [row]);
  }
  return out;
}

/** Whether stored rows say exactly what these derived signals say. */
export function sameSignalRows(stored: readonly SignalRow[] | undefined, derived: readonly Signal[]): boolean {
  const rows = stored ?? [];
  if (rows.length !== derived.length) return false;
  const sorted = [...derived].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  return sorted.every((d, i) => {
    const r = rows[i]!;
    return r.kind === d.kind && r.derivation === d.derivation && r.value === (typeof d.value === 'number' ? d.value : null);
  });
}

/**
 * Sets negative_signals on these traces. Callers pass only rows whose set changed:
 * negative_signals is GIN-indexed, so every write is a non-HOT update touching all of
 * trace's indexes.
 */
export async function writeNegativeSignals(c: SqlClient, rows: readonly { id: string; kinds: readonly string[] }[]): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `UPDATE trace SET negative_signals = n.kinds::text[]
       FROM unnest($1::uuid[], $2::text[]) AS n(id, kinds)
      WHERE trace.id = n.id`,
    [rows.map((r) => r.id), rows.map((r) => pgTextArray(r.kinds))],
  );
}

/** A text[] literal (`{"a","b"}`), for arrays of arrays that unnest() cannot take. */
export function pgTextArray(items: readonly string[]): string {
  let out = '';
  for (const item of items) out += `${out === '' ? '' : ','}"${item.replace(/["\\]/g, '\\$&')}"`;
  return `{${out}}`;
}

/** Re-derives the signals of these sessions from what is stored. */
export async function recomputeSessionSignals(c: SqlClient, projectId: string, sessionIds: readonly string[], settings: SignalSettings): Promise<void> {
  await lockSessions(c, projectId, sessionIds);
  const turns = await readSessionTurns(c, projectId, sessionIds);
  if (turns.length === 0) return;
  const signals = deriveSignals(turns, settings);
  await writeSignalRows(c, turns.map((t) => t.traceId), signals);
  await writeNegativeSignals(
    c,
    turns.flatMap((t) => {
      const kinds = negativeKinds(signals.get(t.traceId) ?? []);
      return sameKinds(kinds, t.negativeSignals) ? [] : [{ id: t.traceId, kinds }];
    }),
  );
}

/** The project's p90 latency (null with fewer than 20 measured traces). */
export async function projectLatencyP90(db: Db, projectId: string): Promise<number | null> {
  const rows = await db.$queryRawUnsafe<{ p90: number | null; n: bigint }[]>(
    `SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) AS p90, count(latency_ms) AS n FROM trace WHERE project_id = $1::uuid`,
    projectId,
  );
  const row = rows[0];
  return row && Number(row.n) >= 20 && row.p90 !== null ? Math.round(row.p90) : null;
}
