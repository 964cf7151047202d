// Re-derives every signal of the given sessions from all their stored turns, so a
// later turn (or later feedback) corrects what earlier turns said (rephrase, abandoned).
import { deriveSessionSignals, isNegativeSignal, type SessionTurn } from '../../core/signals/derive-signals';
import type { Db } from '../../db/client';
import type { Tx } from './trace-store';

export interface SignalSettings {
  rephraseThreshold?: number;
  longSessionTurns?: number;
  /** The project's latency p90 at ingestion time; null until the project has latencies. */
  highLatencyMs: number | null;
}

interface TurnRow {
  id: string;
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
}

export async function recomputeSessionSignals(tx: Tx, projectId: string, sessionIds: string[], settings: SignalSettings): Promise<void> {
  if (sessionIds.length === 0) return;
  // One index probe per session on (project_id, session_id, turn). With `session_id =
  // ANY(...)` a planner without fresh statistics (a new project, autovacuum off or behind)
  // reads every row of the project through the project_id prefix instead, so each batch
  // cost grew with the table; the fenced LATERAL (OFFSET 0) keeps the probe per session.
  const rows = await tx.$queryRawUnsafe<TurnRow[]>(
    `SELECT t.* FROM (SELECT DISTINCT unnest($2::text[]) AS session_id) AS s
       CROSS JOIN LATERAL (
         SELECT id, session_id, turn, timestamp, input, latency_ms, thumb::text AS thumb, rating, regenerated, copied, escalated, abandoned, flags
           FROM trace WHERE project_id = $1::uuid AND trace.session_id = s.session_id OFFSET 0) AS t`,
    projectId,
    sessionIds,
  );
  const bySession = new Map<string, SessionTurn[]>();
  for (const row of rows) {
    const turns = bySession.get(row.session_id) ?? [];
    turns.push({
      traceId: row.id,
      turn: row.turn,
      timestamp: row.timestamp.toISOString(),
      input: row.input,
      latencyMs: row.latency_ms,
      feedback: { thumb: row.thumb, rating: row.rating },
      events: { regenerated: row.regenerated, copied: row.copied, escalated: row.escalated, abandoned: row.abandoned },
      flags: row.flags,
    });
    bySession.set(row.session_id, turns);
  }
  const traceIds: string[] = [];
  const kinds: string[] = [];
  const values: (number | null)[] = [];
  const derivations: string[] = [];
  const negativeByTrace = new Map<string, string[]>();
  for (const turns of bySession.values()) {
    for (const { traceId, signals } of deriveSessionSignals(turns, settings)) {
      negativeByTrace.set(traceId, signals.filter((s) => isNegativeSignal(s.kind)).map((s) => s.kind));
      for (const signal of signals) {
        traceIds.push(traceId);
        kinds.push(signal.kind);
        values.push(typeof signal.value === 'number' ? signal.value : null);
        derivations.push(signal.derivation);
      }
    }
  }
  const allIds = rows.map((r) => r.id);
  // Joined to the id list so each id probes the primary key, even before the table has statistics.
  await tx.$executeRawUnsafe(`DELETE FROM trace_signal s USING unnest($1::uuid[]) AS u(id) WHERE s.trace_id = u.id`, allIds);
  if (traceIds.length > 0) {
    await tx.$executeRawUnsafe(
      `INSERT INTO trace_signal (trace_id, kind, value, derivation) SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[])`,
      traceIds,
      kinds,
      values,
      derivations,
    );
  }
  // Only rows whose negative signals change are written: negative_signals is GIN-indexed,
  // so every write is a non-HOT update touching all of trace's indexes, and most new
  // traces keep the column's default '{}'.
  await tx.$executeRawUnsafe(
    `UPDATE trace SET negative_signals = n.kinds
       FROM (SELECT u.id, ARRAY(SELECT jsonb_array_elements_text(u.kinds::jsonb)) AS kinds
               FROM unnest($1::uuid[], $2::text[]) AS u(id, kinds)) AS n
      WHERE trace.id = n.id AND trace.negative_signals IS DISTINCT FROM n.kinds`,
    allIds,
    allIds.map((id) => JSON.stringify(negativeByTrace.get(id) ?? [])),
  );
}

/** The project's p90 latency (null with fewer than 20 measured traces). */
export async function projectLatencyP90(db: Db | Tx, projectId: string): Promise<number | null> {
  const rows = await db.$queryRawUnsafe<{ p90: number | null; n: bigint }[]>(
    `SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) AS p90, count(latency_ms) AS n FROM trace WHERE project_id = $1::uuid`,
    projectId,
  );
  const row = rows[0];
  return row && Number(row.n) >= 20 && row.p90 !== null ? Math.round(row.p90) : null;
}
