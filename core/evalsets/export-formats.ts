// Eval-set exports (our JSONL, promptfoo tests, OpenAI Evals samples) and the import of
import { findStringProblems } from '../traces/trace-schema';
// our own JSONL. Export shapes were checked against the tools' docs:
// - promptfoo test case: `description`, `vars`, `assert: [{type, value, threshold?}]`,
//   `metadata` (promptfoo.dev/docs/configuration/test-cases, …/reference). String vars
//   starting with "file://" are loaded as files by promptfoo, and string-array vars expand
//   into one test per element; our vars are plain strings, so the latter cannot happen.
// - OpenAI Evals sample: `{"input": [chat messages], "ideal": string | string[]}`
//   (github.com/openai/evals docs/build-eval.md, evals/registry/data/README.md).
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../stats/agreement';
import { pickCaseContent } from './content-hash';
import type { CaseLabel, EvalCaseContent, ExportCase, SessionTurn } from './types';

// ---------------------------------------------------------------------------------------
// Our JSONL
// ---------------------------------------------------------------------------------------

/** Version of our JSONL line format; written on every line, checked on import. */
export const EVAL_SET_JSONL_FORMAT = 1;

/**
 * One line per case: `formatVersion`, the stored row's `id` and `contentHash`, then every
 * EvalCaseContent field. Lines end with "\n" (none for an empty set).
 */
export function toJsonl(cases: readonly ExportCase[]): string {
  return cases
    .map((c) => JSON.stringify({ formatVersion: EVAL_SET_JSONL_FORMAT, id: c.id, contentHash: c.contentHash, ...pickCaseContent(c) }) + '\n')
    .join('');
}

export interface JsonlLineError {
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

export interface ParsedEvalSet {
  cases: EvalCaseContent[];
  errors: JsonlLineError[];
}

const nullableString = z.string().nullable();
const scoreSchema = z.int({ error: 'must be an integer from 1 to 5' }).min(1, { error: 'must be an integer from 1 to 5' }).max(5, { error: 'must be an integer from 1 to 5' });
const scoresShape = Object.fromEntries(DIMENSIONS.map((d) => [d, scoreSchema])) as Record<Dimension, typeof scoreSchema>;

const labelSchema = z.strictObject({
  reviewerId: z.string().min(1, { error: 'must be a non-empty string' }),
  scores: z.strictObject(scoresShape, { error: `must be an object with integer scores 1..5 for ${DIMENSIONS.join(', ')}` }),
  verdict: z.enum(['pass', 'fail'], { error: 'must be "pass" or "fail"' }),
  failureCategory: nullableString.default(null),
  expected: nullableString.default(null),
  notes: nullableString.default(null),
});

// Hand-checked rather than z.record: zod's record drops a "__proto__" key without a word
// (see core/traces/trace-schema.ts), and the import must not lose data silently.
const sliceSchema = z.unknown().superRefine((v, ctx) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'must be an object of string values, e.g. {"locale": "de"}' });
    return;
  }
  for (const [key, value] of Object.entries(v)) {
    if (typeof value !== 'string') ctx.addIssue({ code: 'custom', path: [key], message: 'must be a string (slice values are strings)' });
  }
});

// Only caseKey and input are required, so a hand-written custom set can be short; every
// other field defaults to what "not given" means. Unknown fields are errors: a typo'd
// field name must not silently drop data.
const lineSchema = z.strictObject({
  formatVersion: z.literal(EVAL_SET_JSONL_FORMAT, { error: `must be ${EVAL_SET_JSONL_FORMAT} (this service's JSONL format)` }).optional(),
  // A stored row's id and hash are informational: an import makes new rows and rehashes.
  id: z.string().optional(),
  contentHash: z.string().optional(),
  caseKey: z.string().min(1, { error: 'must be a non-empty string' }),
  input: z.string(),
  sessionContext: z.array(z.strictObject({ input: z.string(), output: z.string() })).default([]),
  retrievedContext: z.array(z.strictObject({ id: z.string(), text: z.string() })).default([]),
  output: nullableString.default(null),
  expected: nullableString.default(null),
  labels: z.array(labelSchema).default([]),
  verdict: z.enum(['pass', 'fail'], { error: 'must be "pass", "fail" or null' }).nullable().default(null),
  failureCategory: nullableString.default(null),
  slice: sliceSchema.optional(),
  needsAdjudication: z.boolean().default(false),
  sourceTraceId: nullableString.default(null),
  sourceRunId: nullableString.default(null),
});

/**
 * Parses our JSONL. Blank lines are skipped; each other line must be one JSON object
 * matching the case shape. Invalid lines are reported with their 1-based line number and
 * a reason naming the field (`labels[0].scores.clarity: must be an integer from 1 to 5`);
 * valid lines still parse, so one report lists every problem. A caseKey repeated on a
 * later line is an error on that line. `parseEvalSetJsonl(toJsonl(cs)).cases` deep-equals
 * the contents of `cs`.
 */
export function parseEvalSetJsonl(text: string): ParsedEvalSet {
  const cases: EvalCaseContent[] = [];
  const errors: JsonlLineError[] = [];
  const firstLineOf = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      errors.push({ line, reason: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ line, reason: `must be a JSON object (one case per line), got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` });
      return;
    }
    // NUL cannot be stored, a lone surrogate is not Unicode: refused here, by line, not by the database.
    const unstorable = findStringProblems(value);
    if (unstorable.length) {
      errors.push({ line, reason: unstorable.map((issue) => issue.message).join('; ') });
      return;
    }
    const parsed = lineSchema.safeParse(value);
    if (!parsed.success) {
      errors.push({ line, reason: describeIssues(parsed.error.issues) });
      return;
    }
    const d = parsed.data;
    const first = firstLineOf.get(d.caseKey);
    if (first !== undefined) {
      errors.push({ line, reason: `caseKey ${JSON.stringify(d.caseKey)} already used on line ${first}` });
      return;
    }
    firstLineOf.set(d.caseKey, line);
    cases.push({
      caseKey: d.caseKey,
      input: d.input,
      sessionContext: d.sessionContext,
      retrievedContext: d.retrievedContext,
      output: d.output,
      expected: d.expected,
      labels: d.labels.map((l): CaseLabel => ({ ...l, scores: { ...l.scores } })),
      verdict: d.verdict,
      failureCategory: d.failureCategory,
      // Object.fromEntries keeps every key (even "__proto__") as an own data property.
      slice: Object.fromEntries(Object.entries((d.slice ?? {}) as Record<string, string>)),
      needsAdjudication: d.needsAdjudication,
      sourceTraceId: d.sourceTraceId,
      sourceRunId: d.sourceRunId,
    });
  });
  return { cases, errors };
}

const MAX_REASONS = 5;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, MAX_REASONS).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field`).join('; ');
    }
    const path = formatPath(issue.path);
    return `${path === '' ? 'line' : path}: ${issue.message}`;
  });
  const more = issues.length - MAX_REASONS;
  return parts.join('; ') + (more > 0 ? `; and ${more} more problem(s)` : '');
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Shared rendering
// ---------------------------------------------------------------------------------------

/** Retrieved documents as prompt text: "[id]\ntext" blocks separated by blank lines. */
export function renderRetrievedContext(context: readonly { id: string; text: string }[]): string {
  return context.map((c) => `[${c.id}]\n${c.text}`).join('\n\n');
}

/** Earlier turns as a plain transcript, "User: …" / "Assistant: …" lines in order. */
export function renderHistory(turns: readonly SessionTurn[]): string {
  return turns.map((t) => `User: ${t.input}\nAssistant: ${t.output}`).join('\n');
}

/**
 * The reference answer a case offers: the reviewers' `expected`, else the production
 * `output` — but only if no label failed it. A failed answer must never become the
 * "ideal" an exported eval rewards. Null when there is no safe reference.
 */
export function referenceAnswer(c: EvalCaseContent): string | null {
  if (c.expected !== null && c.expected.trim() !== '') return c.expected;
  const failed = c.verdict === 'fail' || c.labels.some((l) => l.verdict === 'fail');
  return !failed && c.output !== null && c.output.trim() !== '' ? c.output : null;
}

// ---------------------------------------------------------------------------------------
// promptfoo
// ---------------------------------------------------------------------------------------

export interface PromptfooAssertion {
  type: 'llm-rubric' | 'similar';
  value: string;
  threshold?: number;
}

export interface PromptfooTestCase {
  description: string;
  vars: { input: string; context: string; history: string };
  assert: PromptfooAssertion[];
  /** Filterable with `promptfoo eval --filter-metadata key=value`. */
  metadata: Record<string, string | boolean>;
}

/** Embedding-similarity bar for the `similar` assert (promptfoo's own default is 0.75). */
export const PROMPTFOO_SIMILAR_THRESHOLD = 0.8;

const DESCRIPTION_INPUT_CHARS = 80;

/**
 * One promptfoo test case per eval case. vars: `input`, `context` (rendered retrieved
 * documents), `history` (transcript of earlier turns); all strings, "" when absent.
 * Asserts, in order of preference:
 * - reviewers wrote `expected` → `llm-rubric` with the expected behaviour;
 * - no `expected`, no failing label, production output present → `similar` to that
 *   approved output at {@link PROMPTFOO_SIMILAR_THRESHOLD};
 * - no `expected` and some label failed → `llm-rubric` asking not to repeat the failure
 *   (category and the failing answer quoted);
 * - otherwise (e.g. unlabelled import) → no assert; `metadata.needsAdjudication` tells.
 * Rubric/reference text that contains nunjucks syntax is wrapped in {% raw %} because
 * promptfoo renders assertion values as templates.
 * metadata: caseId, caseKey, contentHash, verdict ("pass" | "fail" | "undecided"),
 * needsAdjudication, and failureCategory / sourceTraceId / "slice.<dim>" when present.
 */
export function toPromptfooTests(cases: readonly ExportCase[]): PromptfooTestCase[] {
  return cases.map((c) => ({
    description: `${c.caseKey}: ${truncate(oneLine(c.input), DESCRIPTION_INPUT_CHARS)}`,
    vars: { input: c.input, context: renderRetrievedContext(c.retrievedContext), history: renderHistory(c.sessionContext) },
    assert: promptfooAsserts(c),
    metadata: promptfooMetadata(c),
  }));
}

function promptfooAsserts(c: EvalCaseContent): PromptfooAssertion[] {
  if (c.expected !== null && c.expected.trim() !== '') {
    return [{ type: 'llm-rubric', value: templateSafe(`The response meets the expected behaviour reviewers wrote for this request:\n${c.expected}`) }];
  }
  const reference = referenceAnswer(c);
  if (reference !== null) return [{ type: 'similar', value: templateSafe(reference), threshold: PROMPTFOO_SIMILAR_THRESHOLD }];
  const failing = c.labels.find((l) => l.verdict === 'fail');
  if (failing !== undefined || c.verdict === 'fail') {
    const category = c.failureCategory ?? failing?.failureCategory ?? null;
    const what = category === null ? 'the failure reviewers found' : `the failure reviewers found (${category})`;
    const quoted = c.output === null ? '' : `\nThe failing production answer was:\n${c.output}`;
    return [{ type: 'llm-rubric', value: templateSafe(`The response does not repeat ${what} in the production answer to this request.${quoted}`) }];
  }
  return [];
}

function promptfooMetadata(c: ExportCase): Record<string, string | boolean> {
  const m: Record<string, string | boolean> = {
    caseId: c.id,
    caseKey: c.caseKey,
    contentHash: c.contentHash,
    verdict: c.verdict ?? 'undecided',
    needsAdjudication: c.needsAdjudication,
  };
  if (c.failureCategory !== null) m['failureCategory'] = c.failureCategory;
  if (c.sourceTraceId !== null) m['sourceTraceId'] = c.sourceTraceId;
  for (const [dim, value] of Object.entries(c.slice).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    m[`slice.${dim}`] = value;
  }
  return m;
}

// promptfoo renders assertion values with nunjucks; raw blocks keep "{{ … }}" in user
// text literal instead of failing or rendering to "".
function templateSafe(text: string): string {
  return /\{[{%#]/.test(text) && !text.includes('endraw') ? `{% raw %}${text}{% endraw %}` : text;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------
// OpenAI Evals
// ---------------------------------------------------------------------------------------

export interface OpenAiChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface OpenAiEvalsSample {
  input: OpenAiChatMessage[];
  ideal: string;
}

export interface OpenAiEvalsExport {
  samples: OpenAiEvalsSample[];
  /** Cases left out, with why (no safe reference answer). */
  skipped: { caseKey: string; reason: string }[];
}

/** System message of every sample; the retrieved context, if any, is appended to it. */
export const OPENAI_EVALS_SYSTEM_PROMPT = "You are the assistant in this conversation. Reply to the user's last message.";

/**
 * OpenAI Evals samples: `input` is chat format — one system message (the prompt above plus
 * the rendered retrieved context), the earlier turns as user/assistant pairs, then the
 * case's input as the last user message. `ideal` is {@link referenceAnswer}: `expected`,
 * else the production output when no label failed it. Cases with neither are skipped and
 * reported (an empty or failing ideal would make Match/Includes evals meaningless).
 */
export function openAiEvalsSamples(cases: readonly EvalCaseContent[]): OpenAiEvalsExport {
  const out: OpenAiEvalsExport = { samples: [], skipped: [] };
  for (const c of cases) {
    const ideal = referenceAnswer(c);
    if (ideal === null) {
      out.skipped.push({ caseKey: c.caseKey, reason: 'no expected answer, and the production output was failed by a reviewer (or is empty)' });
      continue;
    }
    const context = renderRetrievedContext(c.retrievedContext);
    const system = context === '' ? OPENAI_EVALS_SYSTEM_PROMPT : `${OPENAI_EVALS_SYSTEM_PROMPT}\n\nRetrieved context:\n${context}`;
    const input: OpenAiChatMessage[] = [{ role: 'system', content: system }];
    for (const t of c.sessionContext) {
      input.push({ role: 'user', content: t.input }, { role: 'assistant', content: t.output });
    }
    input.push({ role: 'user', content: c.input });
    out.samples.push({ input, ideal });
  }
  return out;
}

/** {@link openAiEvalsSamples} as JSONL (one sample per line, "\n"-terminated); skipped cases are left out. */
export function toOpenAiEvalsSamples(cases: readonly EvalCaseContent[]): string {
  return openAiEvalsSamples(cases)
    .samples.map((s) => JSON.stringify(s) + '\n')
    .join('');
}
