// Writes validated traces in batches: one transaction per batch, upserts keyed by the
// application's own id, so a re-sent trace is a no-op (same content) or an update
// (changed content) and never a second row.
import type { NormalizedTrace } from '../../core/traces/trace-schema';
import type { Db } from '../../db/client';
import { recomputeSessionSignals, type SignalSettings } from './session-signals';

export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

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

async function upsertReleases(tx: Tx, projectId: string, names: string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  await tx.$executeRawUnsafe(
    `INSERT INTO release (id, project_id, name) SELECT gen_random_uuid(), $1::uuid, n FROM unnest($2::text[]) AS n ON CONFLICT (project_id, name) DO NOTHING`,
    projectId,
    names,
  );
  const rows = await tx.$queryRawUnsafe<{ id: string; name: string }[]>(`SELECT id, name FROM release WHERE project_id = $1::uuid AND name = ANY($2::text[])`, projectId, names);
  return new Map(rows.map((r) => [r.name, r.id]));
}

export async function storeTraceBatch(db: Db, projectId: string, batch: HashedTrace[], settings: SignalSettings): Promise<StoredBatchResult> {
  if (batch.length === 0) return { inserted: 0, updated: 0, unchanged: 0, sessionsRecomputed: 0 };
  return db.$transaction(
    async (tx) => {
      const releaseIds = await upsertReleases(tx, projectId, [...new Set(batch.map((b) => b.trace.release).filter((r): r is string => r !== null))]);
      const col = <T>(pick: (t: NormalizedTrace, h: string) => T) => batch.map((b) => pick(b.trace, b.hash));
      // Feedback in a re-sent trace only overwrites when present, so feedback recorded
      // later through recordFeedback is not lost by a re-send without it.
      const rows = await tx.$queryRawUnsafe<{ external_id: string; session_id: string; inserted: boolean }[]>(
        `INSERT INTO trace (id, project_id, external_id, session_id, turn, timestamp, input, output, release_id, context, slice,
                            latency_ms, model, tokens_in, tokens_out, flags, metadata, content_hash,
                            thumb, rating, feedback_comment, regenerated, copied, escalated, abandoned, updated_at)
         SELECT gen_random_uuid(), $1::uuid, u.external_id, u.session_id, u.turn, u.ts, u.input, u.output, u.release_id, u.context::jsonb, u.slice::jsonb,
                u.latency_ms, u.model, u.tokens_in, u.tokens_out, ARRAY(SELECT jsonb_array_elements_text(u.flags::jsonb)), u.metadata::jsonb, u.content_hash,
                u.thumb::"Thumb", u.rating, u.feedback_comment, u.regenerated, u.copied, u.escalated, u.abandoned, now()
         FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[], $8::uuid[], $9::text[], $10::text[],
                     $11::float8[], $12::text[], $13::int[], $14::int[], $15::text[], $16::text[], $17::text[],
                     $18::text[], $19::int[], $20::text[], $21::bool[], $22::bool[], $23::bool[], $24::bool[])
              AS u(external_id, session_id, turn, ts, input, output, release_id, context, slice, latency_ms, model, tokens_in, tokens_out,
                   flags, metadata, content_hash, thumb, rating, feedback_comment, regenerated, copied, escalated, abandoned)
         ON CONFLICT (project_id, external_id) DO UPDATE SET
           session_id = EXCLUDED.session_id, turn = EXCLUDED.turn, timestamp = EXCLUDED.timestamp, input = EXCLUDED.input,
           output = EXCLUDED.output, release_id = EXCLUDED.release_id, context = EXCLUDED.context, slice = EXCLUDED.slice,
           latency_ms = EXCLUDED.latency_ms, model = EXCLUDED.model, tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out,
           flags = EXCLUDED.flags, metadata = EXCLUDED.metadata, content_hash = EXCLUDED.content_hash,
           thumb = COALESCE(EXCLUDED.thumb, trace.thumb), rating = COALESCE(EXCLUDED.rating, trace.rating),
           feedback_comment = COALESCE(EXCLUDED.feedback_comment, trace.feedback_comment),
           regenerated = EXCLUDED.regenerated OR trace.regenerated, copied = EXCLUDED.copied OR trace.copied,
           escalated = EXCLUDED.escalated OR trace.escalated, abandoned = EXCLUDED.abandoned OR trace.abandoned,
           updated_at = now()
         WHERE trace.content_hash IS DISTINCT FROM EXCLUDED.content_hash
         RETURNING external_id, session_id, (xmax = 0) AS inserted`,
        projectId,
        col((t) => t.id),
        col((t) => t.sessionId),
        col((t) => t.turn),
        col((t) => t.timestamp),
        col((t) => t.input),
        col((t) => t.output),
        col((t) => (t.release ? (releaseIds.get(t.release) ?? null) : null)),
        col((t) => JSON.stringify(t.context)),
        col((t) => JSON.stringify(t.slice)),
        col((t) => t.latencyMs),
        col((t) => t.model),
        col((t) => t.tokens?.input ?? null),
        col((t) => t.tokens?.output ?? null),
        col((t) => JSON.stringify(t.flags)),
        col((t) => (t.metadata === null ? null : JSON.stringify(t.metadata))),
        col((_, h) => h),
        col((t) => t.feedback?.thumb ?? null),
        col((t) => t.feedback?.rating ?? null),
        col((t) => t.feedback?.comment ?? null),
        col((t) => t.events.regenerated),
        col((t) => t.events.copied),
        col((t) => t.events.escalated),
        col((t) => t.events.abandoned),
      );
      const inserted = rows.filter((r) => r.inserted).length;
      const sessions = [...new Set(rows.map((r) => r.session_id))];
      await recomputeSessionSignals(tx, projectId, sessions, settings);
      return { inserted, updated: rows.length - inserted, unchanged: batch.length - rows.length, sessionsRecomputed: sessions.length };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}
