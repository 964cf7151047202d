// Answers of a release stored under their natural key: (release, eval case) for supplied
// answers, (release, trace) for a candidate's shadow answers. Bad lines are reported by
// number and skipped; valid ones are stored in batches; a re-send stores nothing new,
// updates what changed and says which. Both kinds are kept apart from traces.
import { answerContentHash, checkReleaseName, parseAnswerLine, parseAnswerRecord, type AnswerKeyField, type ParsedAnswer } from '../../core/releases/answer-lines';
import { redactText, type RedactionSettings } from '../../core/traces/redaction';
import type { Db } from '../../db/client';
import type { Principal } from '../api-keys';
import { badInput } from '../errors';
import { loadRedaction } from '../ingestion/ingest-traces';
import type { NdjsonLine } from '../ingestion/ndjson-lines';
import { requireProject } from '../projects';

const MAX_GRAPHQL_ANSWERS = 1000;
const MAX_REPORTED = 1000;
const BATCH = 1000;

export interface AnswerUploadSummary {
  /** Non-blank lines (or items) read. */
  received: number;
  /** New answers stored. */
  stored: number;
  /** Answers whose output changed: the stored answer was replaced (listed in `updatedAnswers`). */
  updated: number;
  /** Re-sent with the same output: nothing written. */
  unchanged: number;
  /** Lines whose key appears again later in the same upload: the later line is kept. */
  superseded: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  errorsTruncated: boolean;
  updatedAnswers: { line: number; key: string }[];
}

export type AnswerKind = 'case' | 'shadow';

const KEY_FIELD: Record<AnswerKind, AnswerKeyField> = { case: 'caseId', shadow: 'traceId' };

interface PendingAnswer {
  line: number;
  key: string;
  output: string;
  hash: string;
}

interface Resolved {
  /** key -> the row id it refers to (eval case id, trace id). */
  ids: Map<string, string>;
  /** key -> why it is refused. */
  refused: Map<string, string>;
}

/** Which keys name something of this project the release (null: not created yet) may answer. */
async function resolveKeys(db: Db, kind: AnswerKind, projectId: string, releaseId: string | null, keys: string[]): Promise<Resolved> {
  const ids = new Map<string, string>();
  const refused = new Map<string, string>();
  if (kind === 'case') {
    const rows = await db.$queryRawUnsafe<{ id: string; served_by_release: boolean; trace_external_id: string | null }[]>(
      `SELECT c.id, COALESCE(t.release_id = $3::uuid, false) AS served_by_release, t.external_id AS trace_external_id
         FROM eval_case c JOIN eval_set s ON s.id = c.eval_set_id
         LEFT JOIN trace t ON t.id = c.source_trace_id
        WHERE s.project_id = $1::uuid AND c.id = ANY($2::uuid[])`,
      projectId,
      keys,
      releaseId,
    );
    for (const row of rows) {
      // Its production answer is what users saw and reviewers labelled: that one is judged.
      if (row.served_by_release) refused.set(row.id, `case ${row.id} was answered by this release in production (trace ${row.trace_external_id}); that answer is the one evaluated`);
      else ids.set(row.id, row.id);
    }
    for (const key of keys) if (!ids.has(key) && !refused.has(key)) refused.set(key, `no eval case ${key} in this project`);
  } else {
    const rows = await db.trace.findMany({ where: { projectId, externalId: { in: keys } }, select: { id: true, externalId: true, releaseId: true } });
    for (const row of rows) {
      if (releaseId !== null && row.releaseId === releaseId) refused.set(row.externalId, `trace ${row.externalId} was answered by this release itself; a shadow answer compares a candidate with another release's answer`);
      else ids.set(row.externalId, row.id);
    }
    for (const key of keys) if (!ids.has(key) && !refused.has(key)) refused.set(key, `no trace ${key} in this project`);
  }
  return { ids, refused };
}

/** Upserts by natural key; only a changed output is written. Returns the keys inserted and updated. */
async function upsertAnswers(db: Db, kind: AnswerKind, releaseId: string, rows: { id: string; output: string; hash: string }[]): Promise<{ inserted: Set<string>; updated: Set<string> }> {
  const [table, column] = kind === 'case' ? ['release_case_answer', 'eval_case_id'] : ['shadow_answer', 'trace_id'];
  const result = await db.$queryRawUnsafe<{ target: string; inserted: boolean }[]>(
    `INSERT INTO ${table} (id, release_id, ${column}, output, content_hash)
     SELECT gen_random_uuid(), $1::uuid, u.target, u.output, u.hash FROM unnest($2::uuid[], $3::text[], $4::text[]) AS u(target, output, hash)
     ON CONFLICT (release_id, ${column}) DO UPDATE SET output = EXCLUDED.output, content_hash = EXCLUDED.content_hash, updated_at = now()
     WHERE ${table}.content_hash <> EXCLUDED.content_hash
     RETURNING ${column}::text AS target, (xmax = 0) AS inserted`,
    releaseId,
    rows.map((r) => r.id),
    rows.map((r) => r.output),
    rows.map((r) => r.hash),
  );
  return { inserted: new Set(result.filter((r) => r.inserted).map((r) => r.target)), updated: new Set(result.filter((r) => !r.inserted).map((r) => r.target)) };
}

/** The release's id, creating it on first use; two uploads at once both find the one row. */
async function ensureRelease(db: Db, projectId: string, name: string): Promise<string> {
  await db.$executeRawUnsafe(`INSERT INTO release (id, project_id, name) VALUES (gen_random_uuid(), $1::uuid, $2) ON CONFLICT (project_id, name) DO NOTHING`, projectId, name);
  return (await db.release.findUniqueOrThrow({ where: { projectId_name: { projectId, name } }, select: { id: true } })).id;
}

async function storeAnswers(
  db: Db,
  projectId: string,
  releaseName: string,
  kind: AnswerKind,
  parsed: AsyncIterable<ParsedAnswer | null> | Iterable<ParsedAnswer | null>,
): Promise<AnswerUploadSummary> {
  const summary: AnswerUploadSummary = { received: 0, stored: 0, updated: 0, unchanged: 0, superseded: 0, rejected: 0, errors: [], errorsTruncated: false, updatedAnswers: [] };
  const redaction: RedactionSettings = await loadRedaction(db, projectId);
  let releaseId: string | null = null;
  let batch = new Map<string, PendingAnswer>();
  const reject = (line: number, reason: string) => {
    summary.rejected += 1;
    if (summary.errors.length < MAX_REPORTED) summary.errors.push({ line, reason });
    else summary.errorsTruncated = true;
  };
  const flush = async () => {
    if (batch.size === 0) return;
    const pending = [...batch.values()];
    batch = new Map();
    releaseId ??= (await db.release.findUnique({ where: { projectId_name: { projectId, name: releaseName } }, select: { id: true } }))?.id ?? null;
    const resolved = await resolveKeys(db, kind, projectId, releaseId, pending.map((p) => p.key));
    const accepted = pending.filter((p) => {
      const refusal = resolved.refused.get(p.key);
      if (refusal) reject(p.line, `line ${p.line}: ${refusal}`);
      return !refusal;
    });
    if (accepted.length === 0) return;
    // The release is created with its first stored answer (a candidate may have no traces yet).
    releaseId ??= await ensureRelease(db, projectId, releaseName);
    const { inserted, updated } = await upsertAnswers(db, kind, releaseId, accepted.map((p) => ({ id: resolved.ids.get(p.key)!, output: p.output, hash: p.hash })));
    for (const p of accepted) {
      const id = resolved.ids.get(p.key)!;
      if (inserted.has(id)) summary.stored += 1;
      else if (updated.has(id)) {
        summary.updated += 1;
        if (summary.updatedAnswers.length < MAX_REPORTED) summary.updatedAnswers.push({ line: p.line, key: p.key });
      } else summary.unchanged += 1;
    }
  };

  for await (const answer of parsed) {
    if (answer === null) continue;
    summary.received += 1;
    if (!answer.ok) {
      reject(answer.line, answer.reason);
      continue;
    }
    // Redacted like traces, before hashing and storing, so answers compare like for like.
    const output = redactText(answer.output, redaction);
    if (batch.has(answer.key)) {
      summary.superseded += 1;
      batch.delete(answer.key);
    }
    batch.set(answer.key, { line: answer.line, key: answer.key, output, hash: answerContentHash(output) });
    if (batch.size >= BATCH) await flush();
  }
  await flush();
  // Refusals found at a batch's flush come after the parse errors of later lines: read in line order.
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}

async function* parseLines(lines: AsyncIterable<NdjsonLine>, keyField: AnswerKeyField, maxLineBytes: number): AsyncGenerator<ParsedAnswer | null> {
  for await (const item of lines) {
    if ('oversizeBytes' in item) yield { ok: false, line: item.line, reason: `line ${item.line}: line is ${item.oversizeBytes} bytes, over the ${maxLineBytes}-byte limit` };
    else yield parseAnswerLine(item.text, keyField, item.line);
  }
}

async function checkUpload(db: Db, principal: Principal, projectId: string, release: string): Promise<string> {
  await requireProject(db, principal, projectId, 'ingest');
  const name = checkReleaseName(release);
  if (!name.ok) throw badInput(name.reason);
  return name.name;
}

/** GraphQL: at most MAX_GRAPHQL_ANSWERS items, item n reported as "item n". */
export async function supplyAnswerItems(db: Db, principal: Principal, input: { projectId: string; release: string; kind: AnswerKind; items: readonly unknown[] }): Promise<AnswerUploadSummary> {
  const release = await checkUpload(db, principal, input.projectId, input.release);
  if (input.items.length > MAX_GRAPHQL_ANSWERS) throw badInput(`at most ${MAX_GRAPHQL_ANSWERS} answers per call; upload more as JSONL over HTTP`);
  const keyField = KEY_FIELD[input.kind];
  return storeAnswers(db, input.projectId, release, input.kind, input.items.map((item, i) => parseAnswerRecord(item, keyField, i + 1, 'item')));
}

/** HTTP: JSONL lines streamed from the request body. */
export async function supplyAnswerLines(
  db: Db,
  principal: Principal,
  input: { projectId: string; release: string; kind: AnswerKind; lines: AsyncIterable<NdjsonLine>; maxLineBytes: number },
): Promise<AnswerUploadSummary> {
  const release = await checkUpload(db, principal, input.projectId, input.release);
  return storeAnswers(db, input.projectId, release, input.kind, parseLines(input.lines, KEY_FIELD[input.kind], input.maxLineBytes));
}
