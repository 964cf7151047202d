// Importing existing labels and judge verdicts: JSONL through GraphQL (text, or a URL on
// loopback) or streamed to POST /v1/labels (the CLI). Lines are read one at a time and
// stored in batches, so a file of any size takes flat memory. Bad rows are reported by
// line and skipped; valid rows are upserted by their natural key, so a re-import changes
// nothing it does not need to.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MappingSchema, PRESETS, mapRow, type FieldMapping, type MappedJudgment } from '../../core/imports/field-mapping';
import { findStringProblems } from '../../core/traces/trace-schema';
import type { Db } from '../../db/client';
import type { Principal } from '../api-keys';
import { ServiceError, badInput } from '../errors';
import { splitNdjsonLines, type NdjsonLine } from '../ingestion/ndjson-lines';
import { requireProject } from '../projects';

export interface ImportSummary {
  received: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The first MAX_ERRORS bad lines, each with its number and reason. */
  errors: { line: number; reason: string }[];
  errorsTruncated: boolean;
}

const MAX_ERRORS = 1000;
const BATCH = 1000;
/** A URL import is streamed (flat memory); it must finish within this time. */
const FETCH_TIMEOUT_MS = 10 * 60_000;
/** A label row is small; a longer line is refused by number and never held in memory. */
export const MAX_LABEL_LINE_BYTES = 1024 * 1024;

/** The lines of an in-memory JSONL text (GraphQL's `jsonl` argument, at most 8 MB), numbered from 1. */
function* textLines(text: string): Generator<NdjsonLine> {
  for (const [index, line] of text.split('\n').entries()) yield { line: index + 1, text: line };
}

export function resolveMapping(kind: 'pairwise' | 'pointwise', preset: string | null | undefined, mapping: unknown): FieldMapping {
  if (mapping !== undefined && mapping !== null) {
    const parsed = MappingSchema.safeParse(mapping);
    if (!parsed.success) throw badInput(`invalid mapping: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }
  const chosen = PRESETS[preset ?? 'default']?.[kind];
  if (!chosen) throw badInput(`no ${kind} mapping in preset "${preset}"; presets: ${Object.keys(PRESETS).join(', ')}`);
  return chosen;
}

/** Only loopback URLs: the service must not be made to fetch from elsewhere. The body is streamed, line by line. */
async function fetchLoopback(url: string): Promise<AsyncIterable<NdjsonLine>> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badInput('url is not a valid URL');
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  if (!loopback || !['http:', 'https:'].includes(parsed.protocol)) throw badInput('only http(s) URLs on loopback (127.0.0.0/8, ::1, localhost) may be imported from');
  // A redirect could point anywhere: refused, so the loopback rule cannot be stepped around.
  const response = await fetch(parsed, { redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }).catch((error: Error) => {
    throw badInput(`fetching ${parsed.href} failed: ${error.message}`);
  });
  if (response.status >= 300 && response.status < 400) throw badInput(`fetching ${parsed.href} answered a redirect (${response.status}); redirects are not followed`);
  if (!response.ok || !response.body) throw badInput(`fetching ${parsed.href} answered ${response.status}`);
  return splitNdjsonLines(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), MAX_LABEL_LINE_BYTES);
}

export async function importLabels(
  db: Db,
  principal: Principal,
  input: { projectId: string; dataset: string; kind: string; preset?: string | null; mapping?: unknown; lines: AsyncIterable<NdjsonLine> | Iterable<NdjsonLine> },
): Promise<ImportSummary> {
  await requireProject(db, principal, input.projectId, 'ingest');
  if (input.kind !== 'pairwise' && input.kind !== 'pointwise') throw badInput('kind must be pairwise or pointwise');
  const dataset = input.dataset.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,99}$/.test(dataset)) throw badInput('dataset must be 1-100 letters, digits, spaces, _ . : or -');
  const mapping = resolveMapping(input.kind, input.preset, input.mapping);
  const summary: ImportSummary = { received: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0, errors: [], errorsTruncated: false };
  const reject = (line: number, reason: string) => {
    summary.rejected += 1;
    if (summary.errors.length < MAX_ERRORS) summary.errors.push({ line, reason: `line ${line}: ${reason}` });
    else summary.errorsTruncated = true;
  };
  let batch = new Map<string, MappedJudgment>();
  const flush = async () => {
    if (batch.size === 0) return;
    const rows = [...batch.values()];
    batch = new Map();
    const hash = (j: MappedJudgment) => createHash('sha256').update(JSON.stringify(j)).digest('hex');
    const col = <T>(pick: (j: MappedJudgment) => T) => rows.map(pick);
    const result = await db.$queryRawUnsafe<{ inserted: boolean }[]>(
      `INSERT INTO imported_judgment (id, project_id, dataset, kind, item_id, answer_a, answer_b, rater_id, rater_kind, winner, inconsistent,
                                      correctness, relevance, clarity, calibration, length, verdict, group_key, content_hash)
       SELECT gen_random_uuid(), $1::uuid, $2, $3, u.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[],
                                                         $11::int[], $12::int[], $13::int[], $14::int[], $15::int[], $16::text[], $17::text[], $18::text[]) AS u
       ON CONFLICT (project_id, dataset, kind, item_id, answer_a, answer_b, rater_id) DO UPDATE SET
         rater_kind = EXCLUDED.rater_kind, winner = EXCLUDED.winner, inconsistent = EXCLUDED.inconsistent, correctness = EXCLUDED.correctness,
         relevance = EXCLUDED.relevance, clarity = EXCLUDED.clarity, calibration = EXCLUDED.calibration, length = EXCLUDED.length,
         verdict = EXCLUDED.verdict, group_key = EXCLUDED.group_key, content_hash = EXCLUDED.content_hash, updated_at = now()
       WHERE imported_judgment.content_hash <> EXCLUDED.content_hash
       RETURNING (xmax = 0) AS inserted`,
      input.projectId,
      dataset,
      input.kind,
      col((j) => j.itemId),
      col((j) => j.answerA),
      col((j) => j.answerB),
      col((j) => j.raterId),
      col((j) => j.raterKind),
      col((j) => j.winner),
      col((j) => j.inconsistent),
      col((j) => j.scores.correctness ?? null),
      col((j) => j.scores.relevance ?? null),
      col((j) => j.scores.clarity ?? null),
      col((j) => j.scores.calibration ?? null),
      col((j) => j.scores.length ?? null),
      col((j) => j.verdict),
      col((j) => j.group),
      col(hash),
    );
    const inserted = result.filter((r) => r.inserted).length;
    summary.imported += inserted;
    summary.updated += result.length - inserted;
    summary.unchanged += rows.length - result.length;
  };

  for await (const item of input.lines) {
    const line = item.line;
    if ('oversizeBytes' in item) {
      summary.received += 1;
      reject(line, `line is ${(item.oversizeBytes / 1024 / 1024).toFixed(1)} MB, over the ${MAX_LABEL_LINE_BYTES / 1024 / 1024} MB limit`);
      continue;
    }
    const text = item.text.trim();
    if (!text) continue;
    summary.received += 1;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      reject(line, `invalid JSON: ${(error as Error).message}`);
      continue;
    }
    const unstorable = findStringProblems(row);
    if (unstorable.length) {
      reject(line, unstorable.map((issue) => issue.message).join('; '));
      continue;
    }
    const mapped = mapRow(row, mapping, input.kind);
    if (!mapped.ok) {
      reject(line, mapped.reason);
      continue;
    }
    const j = mapped.judgment;
    const key = [j.itemId, j.answerA, j.answerB, j.raterId].join('\u0000');
    // The same rater on the same item twice in one file: the later line wins, counted unchanged.
    if (batch.has(key)) summary.unchanged += 1;
    batch.set(key, j);
    if (batch.size >= BATCH) await flush();
  }
  await flush();
  if (summary.received === 0) throw new ServiceError('BAD_USER_INPUT', 'the file has no rows');
  return summary;
}

/**
 * GraphQL's importLabels: the rows come as text (at most 8 MB) or from a URL on loopback.
 * Fetching a URL is for admins only: the service reads it with its own network position,
 * and fragments of what comes back would show in the line errors.
 */
export async function importLabelsFromRequest(
  db: Db,
  principal: Principal,
  input: { projectId: string; dataset: string; kind: string; preset?: string | null; mapping?: unknown; jsonl?: string | null; url?: string | null },
): Promise<ImportSummary> {
  const hasText = input.jsonl !== undefined && input.jsonl !== null;
  const hasUrl = input.url !== undefined && input.url !== null;
  if (hasText === hasUrl) throw badInput('give either jsonl or url');
  await requireProject(db, principal, input.projectId, hasUrl ? 'operate' : 'ingest');
  const lines = hasText ? textLines(input.jsonl!) : await fetchLoopback(input.url!);
  return importLabels(db, principal, { ...input, lines });
}
