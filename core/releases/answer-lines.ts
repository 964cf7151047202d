// Answers of a release, one per line (or GraphQL item): `{caseId, output}` for eval
// cases, `{traceId, output}` for production inputs (shadow answers). Validation is
// strict, like traces: an unknown field is refused by name, and a reason says what to fix.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_RELEASE_CHARS, MAX_TRACE_ID_CHARS, stringProblem } from '../traces/trace-schema';

export type AnswerKeyField = 'caseId' | 'traceId';

const MAX_ANSWER_CHARS = 200_000;

export type ParsedAnswer = { ok: true; line: number; key: string; output: string } | { ok: false; line: number; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const output = z
  .string({ error: 'output must be a string' })
  .min(1, { error: 'output must not be empty' })
  .max(MAX_ANSWER_CHARS, { error: `output must be at most ${MAX_ANSWER_CHARS} characters` });

const SCHEMAS: Record<AnswerKeyField, z.ZodType<Record<string, string>>> = {
  caseId: z.strictObject({ caseId: z.string({ error: 'caseId must be a string' }).regex(UUID, { error: 'caseId must be an eval case id (a UUID)' }), output }),
  traceId: z.strictObject({
    traceId: z.string({ error: 'traceId must be a string' }).min(1, { error: 'traceId must not be empty' }).max(MAX_TRACE_ID_CHARS, { error: `traceId must be at most ${MAX_TRACE_ID_CHARS} characters` }),
    output,
  }),
};

function describe(issues: readonly z.core.$ZodIssue[], value: unknown, keyField: AnswerKeyField): string {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isObject) return `expected a JSON object {"${keyField}": ..., "output": ...}`;
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `\`${k.slice(0, 60)}\``).join(', ')} (expected ${keyField} and output)`;
      if (i.code === 'invalid_type' && (value as Record<string, unknown>)[String(i.path[0])] === undefined) return `missing required field \`${String(i.path[0])}\``;
      return i.message;
    })
    .join('; ');
}

/** One answer record; `label` is how the caller counts ("line 4", "item 4"). */
export function parseAnswerRecord(value: unknown, keyField: AnswerKeyField, line: number, label: 'line' | 'item' = 'line'): ParsedAnswer {
  const parsed = SCHEMAS[keyField].safeParse(value);
  if (!parsed.success) return { ok: false, line, reason: `${label} ${line}: ${describe(parsed.error.issues, value, keyField)}` };
  const key = parsed.data[keyField]!;
  const text = parsed.data.output!;
  const problem = stringProblem(text) ?? stringProblem(key);
  if (problem) return { ok: false, line, reason: `${label} ${line}: ${stringProblem(text) ? 'output' : keyField} ${problem}` };
  return { ok: true, line, key: keyField === 'caseId' ? key.toLowerCase() : key, output: text };
}

/** One JSONL line; null for a blank line (skipped, not counted). */
export function parseAnswerLine(text: string, keyField: AnswerKeyField, line: number): ParsedAnswer | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, line, reason: `line ${line}: invalid JSON (${(error as Error).message.slice(0, 200)})` };
  }
  return parseAnswerRecord(value, keyField, line);
}

/** The same text always hashes the same: the natural key's "has it changed?" test. */
export function answerContentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A release name as traces use it; returns the trimmed name or the reason it is refused. */
export function checkReleaseName(name: string): { ok: true; name: string } | { ok: false; reason: string } {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > MAX_RELEASE_CHARS) return { ok: false, reason: `release must be 1 to ${MAX_RELEASE_CHARS} characters` };
  const problem = stringProblem(trimmed);
  if (problem) return { ok: false, reason: `release ${problem}` };
  return { ok: true, name: trimmed };
}
