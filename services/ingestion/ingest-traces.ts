// Ingestion: validate each trace, store valid ones in batches (each batch atomic), and
// report what was accepted, updated, unchanged and rejected (with line and reason).
import { DEFAULT_TRACE_LIMITS, parseTraceLine, traceContentHash, validateTrace, type ParseTraceLineResult } from '../../core/traces/trace-schema';
import { RedactionSettingsSchema, redactTrace, type RedactionSettings } from '../../core/traces/redaction';
import { poolOf, type Db } from '../../db/client';
import type { NdjsonLine } from './ndjson-lines';
import { projectLatencyP90, type SignalSettings } from './session-signals';
import { inTransaction, pgSqlClient } from './sql-client';
import { storeTraceBatch, type HashedTrace, type ReleaseIds } from './trace-store';

export const MAX_REPORTED_ERRORS = 1000;

export interface IngestSummary {
  /** Non-blank lines (or items) read. */
  received: number;
  /** New traces stored. */
  accepted: number;
  /** Known ids whose content changed: the stored trace was updated. */
  updated: number;
  /** Known ids re-sent with identical content (or repeated in the same upload): nothing written. */
  duplicates: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  errorsTruncated: boolean;
}

export interface IngestOptions {
  maxLineBytes?: number;
  batchSize?: number;
  onProgress?: (summary: IngestSummary) => void;
}

export function emptySummary(): IngestSummary {
  return { received: 0, accepted: 0, updated: 0, duplicates: 0, rejected: 0, errors: [], errorsTruncated: false };
}

/** The project's redaction settings; stored ones were validated when set. */
export async function loadRedaction(db: Db, projectId: string): Promise<RedactionSettings> {
  const project = await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { ingestSettings: true } });
  return RedactionSettingsSchema.parse((project.ingestSettings as { redaction?: unknown }).redaction ?? {});
}

async function loadSignalSettings(db: Db, projectId: string): Promise<SignalSettings> {
  const project = await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { signalSettings: true } });
  const stored = (project.signalSettings ?? {}) as { rephraseThreshold?: number; longSessionTurns?: number };
  return {
    rephraseThreshold: stored.rephraseThreshold,
    longSessionTurns: stored.longSessionTurns,
    highLatencyMs: await projectLatencyP90(db, projectId),
  };
}

const UNIQUE_VIOLATION = '23505';
const STORE_ATTEMPTS = 3;

// A batch's new traces go in with COPY, which fails whole if another upload stored one of
// the same ids since the batch looked them up; the batch then runs again (it sees them).
async function storeWithRetry<T>(store: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store();
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION || attempt >= STORE_ATTEMPTS) throw error;
    }
  }
}

/** Stores parsed results (from NDJSON lines or GraphQL items); returns the summary. */
export async function ingestParsedTraces(
  db: Db,
  projectId: string,
  results: AsyncIterable<ParseTraceLineResult> | Iterable<ParseTraceLineResult>,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const batchSize = options.batchSize ?? 1000;
  const summary = emptySummary();
  const settings = await loadSignalSettings(db, projectId);
  const redaction = await loadRedaction(db, projectId);
  const pool = poolOf(db);
  const releaseIds: ReleaseIds = new Map();
  // Within one batch an id may appear once in the upsert; the last version of a line wins.
  let batch = new Map<string, HashedTrace>();
  // One batch is stored while the next one is parsed (Node validates and hashes on one core,
  // PostgreSQL writes on the other); a batch starts only once the one before has committed,
  // since a session may continue across them.
  let storing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | null = null;

  const reject = (line: number, reason: string) => {
    summary.rejected += 1;
    if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push({ line, reason });
    else summary.errorsTruncated = true;
  };
  const store = async (traces: HashedTrace[]) => {
    const stored = await storeWithRetry(() => inTransaction(pool, (client) => storeTraceBatch(pgSqlClient(client), projectId, traces, settings, releaseIds)));
    summary.accepted += stored.inserted;
    summary.updated += stored.updated;
    summary.duplicates += stored.unchanged;
    // The first latencies of a new project set its p90 for the rest of the upload.
    if (settings.highLatencyMs === null) settings.highLatencyMs = await projectLatencyP90(db, projectId);
    options.onProgress?.(summary);
  };
  const flush = async () => {
    if (batch.size === 0) return;
    const traces = [...batch.values()];
    batch = new Map();
    await storing;
    if (failure) throw failure.error;
    // Caught at once (a rejection nobody awaits yet would end the process) and rethrown
    // at the next flush.
    storing = store(traces).catch((error: unknown) => {
      failure = { error };
    });
  };

  try {
    for await (const result of results) {
      if (!result.ok && result.code === 'empty_line') continue;
      summary.received += 1;
      if (!result.ok) {
        reject(result.line, result.reason);
        continue;
      }
      // Redacted before hashing and storing: the original text never reaches the database.
      const trace = redactTrace(result.trace, redaction);
      const hash = traceContentHash(trace);
      const earlier = batch.get(trace.id);
      if (earlier) {
        summary.duplicates += 1;
        if (earlier.hash === hash) continue;
        batch.delete(trace.id);
      }
      batch.set(trace.id, { trace, hash });
      if (batch.size >= batchSize) await flush();
    }
    await flush();
  } finally {
    // Also when the body broke off: the batch in flight commits (or fails) whole first.
    await storing;
  }
  if (failure) throw (failure as { error: unknown }).error;
  return summary;
}

export async function* parseNdjsonLines(lines: AsyncIterable<NdjsonLine>, maxLineBytes: number): AsyncGenerator<ParseTraceLineResult> {
  for await (const item of lines) {
    if ('oversizeBytes' in item) {
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
      yield { ok: false, line: item.line, code: 'too_large', reason: `line ${item.line}: line is ${mb(item.oversizeBytes)}, over the ${mb(maxLineBytes)} limit`, issues: [] };
    } else yield parseTraceLine(item.text, item.line, { maxLineBytes });
  }
}

/** GraphQL items: item i is reported as "line i+1" so both paths read alike. */
export function* validateTraceItems(items: readonly unknown[]): Generator<ParseTraceLineResult> {
  for (const [index, item] of items.entries()) {
    const result = validateTrace(item);
    const line = index + 1;
    yield result.ok ? { ok: true, line, trace: result.trace } : { ok: false, line, code: result.code, reason: `item ${line}: ${result.reason}`, issues: result.issues };
  }
}

export const DEFAULT_MAX_LINE_BYTES = DEFAULT_TRACE_LIMITS.maxLineBytes;
