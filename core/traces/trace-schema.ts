// Production trace format: one JSON object per NDJSON line. Validation is strict on
// purpose — a typo'd field name must fail loudly rather than silently drop data — and
// every rejection carries a reason a human can act on without reading this file.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface TraceContextItem {
  id: string;
  text: string;
}

export interface TraceTokens {
  input: number;
  output: number;
}

export type Thumb = 'up' | 'down';

export interface TraceFeedback {
  thumb: Thumb | null;
  rating: number | null;
  comment: string | null;
}

export interface TraceEvents {
  regenerated: boolean;
  copied: boolean;
  escalated: boolean;
  abandoned: boolean;
}

/**
 * A validated trace with every optional field filled in. Its JSON form is itself a
 * valid trace line that parses back to an identical object (optional fields accept null).
 */
export interface NormalizedTrace {
  id: string;
  sessionId: string;
  /** UTC, millisecond precision (`Date#toISOString`), matching Postgres timestamptz(3). */
  timestamp: string;
  input: string;
  output: string;
  turn: number | null;
  release: string | null;
  context: TraceContextItem[];
  slice: Record<string, string>;
  latencyMs: number | null;
  model: string | null;
  tokens: TraceTokens | null;
  flags: string[];
  /** null when the trace carries no thumb, rating or comment. */
  feedback: TraceFeedback | null;
  /** Absent events are false. */
  events: TraceEvents;
  metadata: JsonValue | null;
}

export interface TraceLimits {
  /** Maximum UTF-8 size of one NDJSON line, in bytes. */
  maxLineBytes: number;
}

export const DEFAULT_TRACE_LIMITS: TraceLimits = { maxLineBytes: 1024 * 1024 };

export const MAX_TRACE_ID_CHARS = 200;
// Session ids are btree-indexed; Postgres refuses index rows over ~2.7 kB, and 500
// characters stays under that even at 4 bytes per character.
export const MAX_SESSION_ID_CHARS = 500;
// Release names are unique-indexed per project; same reasoning as session ids.
export const MAX_RELEASE_CHARS = 200;
export const MAX_FEEDBACK_COMMENT_CHARS = 10_000;
// Deeply nested metadata is never intentional and makes recursive consumers (jsonb,
// stable hashing) fragile, so it is refused at the door.
export const MAX_JSON_DEPTH = 64;

export type TraceIssueCode = 'missing_field' | 'unknown_field' | 'invalid_value' | 'invalid_string' | 'too_deep';

/** One problem with a trace; `path` is the dotted field path ('' for the whole object). */
export interface TraceIssue {
  code: TraceIssueCode;
  path: string;
  message: string;
}

export type TraceRejectCode = 'too_large' | 'empty_line' | 'invalid_json' | 'not_object' | 'invalid_trace';

export type ValidateTraceResult =
  | { ok: true; trace: NormalizedTrace }
  | { ok: false; code: TraceRejectCode; reason: string; issues: TraceIssue[] };

export type ParseTraceLineResult =
  | { ok: true; line: number; trace: NormalizedTrace }
  | { ok: false; line: number; code: TraceRejectCode; reason: string; issues: TraceIssue[] };

// ---------------------------------------------------------------------------------
// Timestamps

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

export type IsoTimestampResult = { ok: true; iso: string } | { ok: false; detail: string };

/**
 * Parses an ISO 8601 / RFC 3339 date-time that carries a timezone and returns it as UTC
 * `toISOString()`. Hand-rolled because `Date.parse` accepts "2024-02-30" (rolling it into
 * March), "24:00" and timezone-less strings it then reads as local time. Fractions of a
 * millisecond are truncated; results must fall within years 0001–9999.
 */
export function parseIsoTimestamp(s: string): IsoTimestampResult {
  const m = ISO_DATE_TIME.exec(s);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return { ok: false, detail: 'a date without a time' };
    return { ok: false, detail: 'not an ISO 8601 date-time' };
  }
  const [, ys, mos, ds, hs, mis, ss, frac, tz] = m;
  if (tz === undefined) return { ok: false, detail: 'no timezone offset; add "Z" for UTC' };
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12) return { ok: false, detail: `month ${month} is out of range` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, detail: `day ${day} does not exist in ${ys}-${mos}` };
  }
  if (hour > 23) return { ok: false, detail: `hour ${hour} is out of range` };
  if (minute > 59) return { ok: false, detail: `minute ${minute} is out of range` };
  if (second > 59) return { ok: false, detail: `second ${second} is out of range` };
  let offsetMinutes = 0;
  if (tz !== 'Z' && tz !== 'z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return { ok: false, detail: `timezone offset ${tz} is out of range` };
    offsetMinutes = sign * (oh * 60 + om);
  }
  // Date.UTC maps years 0–99 to 1900–1999, so set the full year separately. Year 2000 is a
  // leap year, so Feb 29 survives until the real year is applied.
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  d.setUTCFullYear(year);
  const ms = d.getTime() - offsetMinutes * 60_000;
  const utcYear = new Date(ms).getUTCFullYear();
  if (!Number.isFinite(ms) || utcYear < 1 || utcYear > 9999) {
    return { ok: false, detail: 'outside the supported years 0001–9999' };
  }
  return { ok: true, iso: new Date(ms).toISOString() };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------
// Schema. Each leaf's error text is the expectation ("a non-negative number"); the
// formatter turns it into "`latencyMs` must be a non-negative number, got string".

const E_ID = `a string of 1 to ${MAX_TRACE_ID_CHARS} characters`;
const E_SESSION = `a string of 1 to ${MAX_SESSION_ID_CHARS} characters`;
const E_RELEASE = `a string of 1 to ${MAX_RELEASE_CHARS} characters`;
const E_STRING = 'a string';
const E_NON_NEG_INT = 'a non-negative integer';
const E_NON_NEG_NUMBER = 'a non-negative number';
const E_TIMESTAMP = 'an ISO 8601 date-time with a timezone, e.g. "2024-05-01T12:00:00Z"';
const E_THUMB = '"up" or "down"';
const E_RATING = 'an integer from 1 to 5';
const E_COMMENT = `a string of at most ${MAX_FEEDBACK_COMMENT_CHARS} characters`;
const E_BOOLEAN = 'a boolean';
const E_FLAG = 'a non-empty string';

const boundedString = (min: number, max: number, error: string) =>
  z.string({ error }).min(min, { error }).max(max, { error });
const nonNegativeInt = () => z.number({ error: E_NON_NEG_INT }).int({ error: E_NON_NEG_INT }).min(0, { error: E_NON_NEG_INT });

const timestampSchema = z.string({ error: E_TIMESTAMP }).superRefine((s, ctx) => {
  const r = parseIsoTimestamp(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: E_TIMESTAMP, params: { detail: r.detail } });
});

const contextItemSchema = z.strictObject(
  { id: z.string({ error: E_STRING }), text: z.string({ error: E_STRING }) },
  { error: 'an object {"id": string, "text": string}' },
);

const E_SLICE = 'an object of string values, e.g. {"intent": "billing", "locale": "de"}';
// Hand-checked rather than z.record: zod's record drops a "__proto__" key without a word,
// and silently losing data is exactly what strict validation is here to prevent.
const sliceSchema = z.unknown().optional().superRefine((v, ctx) => {
  if (v === undefined || v === null) return;
  if (!isPlainObject(v)) {
    ctx.addIssue({ code: 'custom', message: E_SLICE });
    return;
  }
  for (const [key, value] of Object.entries(v)) {
    if (key === '') ctx.addIssue({ code: 'custom', message: E_SLICE, params: { detail: 'it has an empty key' } });
    else if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: 'a string (slice values are strings)', path: [key], params: { typeOnly: true } });
    }
  }
});

export const tokensSchema = z.strictObject(
  { input: nonNegativeInt(), output: nonNegativeInt() },
  { error: 'an object {"input": integer, "output": integer}' },
);

/** Explicit feedback as it appears on a trace (and in `recordFeedback`). */
export const feedbackSchema = z.strictObject(
  {
    thumb: z.enum(['up', 'down'], { error: E_THUMB }).nullish(),
    rating: z.number({ error: E_RATING }).int({ error: E_RATING }).min(1, { error: E_RATING }).max(5, { error: E_RATING }).nullish(),
    comment: z.string({ error: E_COMMENT }).max(MAX_FEEDBACK_COMMENT_CHARS, { error: E_COMMENT }).nullish(),
  },
  { error: 'an object like {"thumb": "down", "rating": 2, "comment": "..."}' },
);

/** Implicit UI events as they appear on a trace (and in `recordFeedback`). */
export const eventsSchema = z.strictObject(
  {
    regenerated: z.boolean({ error: E_BOOLEAN }).nullish(),
    copied: z.boolean({ error: E_BOOLEAN }).nullish(),
    escalated: z.boolean({ error: E_BOOLEAN }).nullish(),
    abandoned: z.boolean({ error: E_BOOLEAN }).nullish(),
  },
  { error: 'an object of booleans, e.g. {"copied": true}' },
);

/** The wire format of one trace. Optional fields also accept null, meaning absent. */
export const traceRecordSchema = z.strictObject(
  {
    id: boundedString(1, MAX_TRACE_ID_CHARS, E_ID),
    sessionId: boundedString(1, MAX_SESSION_ID_CHARS, E_SESSION),
    timestamp: timestampSchema,
    input: z.string({ error: E_STRING }),
    output: z.string({ error: E_STRING }),
    turn: nonNegativeInt().nullish(),
    release: boundedString(1, MAX_RELEASE_CHARS, E_RELEASE).nullish(),
    context: z.array(contextItemSchema, { error: 'an array of {"id", "text"} objects' }).nullish(),
    slice: sliceSchema,
    latencyMs: z.number({ error: E_NON_NEG_NUMBER }).min(0, { error: E_NON_NEG_NUMBER }).nullish(),
    model: z.string({ error: E_STRING }).nullish(),
    tokens: tokensSchema.nullish(),
    flags: z.array(boundedString(1, Number.MAX_SAFE_INTEGER, E_FLAG), { error: 'an array of strings' }).nullish(),
    feedback: feedbackSchema.nullish(),
    events: eventsSchema.nullish(),
    metadata: z.unknown().optional(),
  },
  { error: 'a JSON object' },
);

export type TraceRecord = z.infer<typeof traceRecordSchema>;

// Known keys per object kind, for "did you mean" hints on unknown fields.
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(traceRecordSchema.shape),
  tokens: Object.keys(tokensSchema.shape),
  feedback: Object.keys(feedbackSchema.shape),
  events: Object.keys(eventsSchema.shape),
  context: Object.keys(contextItemSchema.shape),
};

// ---------------------------------------------------------------------------------
// Issue formatting

type PathSegment = PropertyKey;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function quoteKey(key: string): string {
  const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
  return JSON.stringify(shown);
}

/** `["context", 2, "text"]` → `context[2].text`; odd keys are JSON-quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      if (IDENTIFIER.test(key) && key.length <= 60) out += out === '' ? key : `.${key}`;
      else out += out === '' ? quoteKey(key) : `[${quoteKey(key)}]`;
    }
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') {
    const shown = v.length > 60 ? `${v.slice(0, 60)}…` : v;
    return JSON.stringify(shown);
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return typeName(v);
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (unknown.length > 64) return undefined;
  const u = unknown.toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const key of known) {
    const d = editDistance(u, key.toLowerCase());
    if (d <= 2 && (best === undefined || d < best.d)) best = { key, d };
  }
  return best?.key;
}

function knownKeysFor(path: readonly PathSegment[], known: Readonly<Record<string, readonly string[]>>): readonly string[] {
  const named = path.filter((s): s is string => typeof s === 'string');
  return known[named.join('.')] ?? [];
}

/** Minimal structural view of a zod issue, so helpers do not depend on zod internals. */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly keys?: readonly string[];
  readonly expected?: string;
  readonly params?: Record<string, unknown>;
}

/**
 * Turns schema issues into human-readable {@link TraceIssue}s, looking up the offending
 * value in `root` so messages can say what was received ("got string", "got -5").
 * `knownKeys` (object path with indices dropped → its keys) powers "did you mean" hints.
 */
export function describeSchemaIssues(
  issues: readonly SchemaIssue[],
  root: unknown,
  knownKeys: Readonly<Record<string, readonly string[]>> = KNOWN_KEYS,
): TraceIssue[] {
  const out: TraceIssue[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysFor(issue.path, knownKeys);
      for (const key of issue.keys ?? []) {
        const full = formatPath([...issue.path, key]);
        const hint = suggestKey(key, known);
        const suffix = hint === undefined ? '' : ` (did you mean \`${formatPath([...issue.path, hint])}\`?)`;
        out.push({ code: 'unknown_field', path: full, message: `unknown field \`${full}\`${suffix}` });
      }
      continue;
    }
    const value = valueAt(root, issue.path);
    if (value === undefined && issue.code === 'invalid_type') {
      out.push({ code: 'missing_field', path, message: `missing required field \`${path}\`` });
      continue;
    }
    let got: string;
    // Wrong-type reports name the type ("got string"). A number that is the right type
    // but fails a numeric check (1.5 for an integer, Infinity) is shown as its value.
    const numericCheck =
      typeof value === 'number' &&
      (issue.code !== 'invalid_type' || issue.expected === 'number' || issue.expected === 'int');
    if (numericCheck) got = describeValue(value);
    else if (issue.code === 'invalid_type' || issue.params?.['typeOnly'] === true) got = typeName(value);
    else if ((issue.code === 'too_small' || issue.code === 'too_big') && typeof value === 'string') {
      got = `a string of ${value.length} characters`;
    } else if ((issue.code === 'too_small' || issue.code === 'too_big') && Array.isArray(value)) {
      got = `an array of ${value.length} items`;
    } else got = describeValue(value);
    const detail = typeof issue.params?.['detail'] === 'string' ? ` (${issue.params['detail']})` : '';
    const subject = path === '' ? 'the value' : `\`${path}\``;
    out.push({ code: 'invalid_value', path, message: `${subject} must be ${issue.message}, got ${got}${detail}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------
// String hygiene: Postgres text/jsonb refuse \u0000, and lone surrogates are not valid
// Unicode (they would be mangled to U+FFFD on the way out), so both are rejected.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored, or undefined if it is fine. */
export function stringProblem(s: string): string | undefined {
  const nul = s.indexOf('\u0000');
  if (nul !== -1) return `contains a NUL character (\\u0000) at position ${nul}, which Postgres cannot store`;
  const m = LONE_SURROGATE.exec(s);
  if (m) {
    const hex = m[0].charCodeAt(0).toString(16).toUpperCase();
    return `contains a lone surrogate (U+${hex}) at position ${m.index}, which is not valid Unicode`;
  }
  return undefined;
}

const MAX_SCAN_ISSUES = 10;

/**
 * Walks a parsed JSON value (iteratively: a 1 MB line can nest 500k levels) and reports
 * bad strings — values and keys — and nesting deeper than {@link MAX_JSON_DEPTH}.
 */
export function findStringProblems(root: unknown, maxDepth = MAX_JSON_DEPTH): TraceIssue[] {
  const issues: TraceIssue[] = [];
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && issues.length < MAX_SCAN_ISSUES) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) {
        const p = formatPath(path);
        issues.push({ code: 'invalid_string', path: p, message: `\`${p === '' ? 'value' : p}\` ${problem}` });
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxDepth) {
      const p = formatPath(path.slice(0, 1));
      issues.push({ code: 'too_deep', path: p, message: `\`${p}\` is nested more than ${maxDepth} levels deep` });
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const problem = stringProblem(key);
      if (problem) {
        const p = formatPath(path);
        issues.push({
          code: 'invalid_string',
          path: p,
          message: `${p === '' ? 'a top-level key' : `a key in \`${p}\``} ${problem}`,
        });
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------
// Validation and parsing

const MAX_REASON_ISSUES = 5;
const MAX_REASON_CHARS = 1000;

// Reasons end up in API responses and the database, so they must be storable text too.
function sanitize(s: string): string {
  const clean = s.replace(/\u0000/g, '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
  return clean.length > MAX_REASON_CHARS ? `${clean.slice(0, MAX_REASON_CHARS)}…` : clean;
}

function joinIssues(issues: readonly TraceIssue[]): string {
  const shown = issues.slice(0, MAX_REASON_ISSUES).map((i) => i.message);
  const more = issues.length - shown.length;
  return sanitize(shown.join('; ') + (more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : ''));
}

// Unknown fields first: a typo'd key is usually the root cause of a "missing" one.
const ISSUE_ORDER: Record<TraceIssueCode, number> = {
  unknown_field: 0,
  missing_field: 1,
  invalid_string: 2,
  too_deep: 2,
  invalid_value: 3,
};

function normalize(rec: TraceRecord, raw: Record<string, unknown>): NormalizedTrace {
  const ts = parseIsoTimestamp(rec.timestamp);
  if (!ts.ok) throw new Error('unreachable: timestamp validated by schema');
  const fb = rec.feedback;
  const hasFeedback = fb != null && (fb.thumb != null || fb.rating != null || fb.comment != null);
  // Slice comes from the raw object: zod drops a "__proto__" key, and we never want to
  // lose data silently. Object.fromEntries defines it as an ordinary own property.
  const rawSlice = raw['slice'];
  const slice: Record<string, string> = isPlainObject(rawSlice)
    ? Object.fromEntries(Object.entries(rawSlice).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};
  return {
    id: rec.id,
    sessionId: rec.sessionId,
    timestamp: ts.iso,
    input: rec.input,
    output: rec.output,
    turn: rec.turn ?? null,
    release: rec.release ?? null,
    context: (rec.context ?? []).map((c) => ({ id: c.id, text: c.text })),
    slice,
    latencyMs: rec.latencyMs ?? null,
    model: rec.model ?? null,
    tokens: rec.tokens ? { input: rec.tokens.input, output: rec.tokens.output } : null,
    flags: [...(rec.flags ?? [])],
    feedback: hasFeedback ? { thumb: fb.thumb ?? null, rating: fb.rating ?? null, comment: fb.comment ?? null } : null,
    events: {
      regenerated: rec.events?.regenerated ?? false,
      copied: rec.events?.copied ?? false,
      escalated: rec.events?.escalated ?? false,
      abandoned: rec.events?.abandoned ?? false,
    },
    metadata: raw['metadata'] === undefined ? null : (raw['metadata'] as JsonValue),
  };
}

// ---------------------------------------------------------------------------------
// Fast path. Checking every field through zod costs ~15 µs a trace, most of ingestion's
// CPU after JSON.parse. Well-formed traces take this path instead: it accepts a subset of
// what the schema accepts (anything unusual returns null and goes through the schema, which
// also writes the reasons) and builds the very object normalize() builds. Property tests
// compare the two paths (test/core/traces/trace-fast-path.test.ts).

const TRACE_KEYS = new Set(Object.keys(traceRecordSchema.shape));
const FEEDBACK_KEYS = new Set(Object.keys(feedbackSchema.shape));
const EVENT_KEYS = new Set(Object.keys(eventsSchema.shape));
// NUL or any surrogate: then stringProblem() decides (a surrogate pair is fine).
const NEEDS_STRING_CHECK = /[\u0000\uD800-\uDFFF]/;

const cleanString = (v: unknown): v is string => typeof v === 'string' && (!NEEDS_STRING_CHECK.test(v) || stringProblem(v) === undefined);
// zod counts string lengths in code points, never more than code units: within bounds
// in code units is within bounds in code points.
const stringOfLength = (v: unknown, min: number, max: number): v is string => cleanString(v) && v.length >= min && v.length <= max;
const nonNegativeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const absent = (v: unknown): v is null | undefined => v === undefined || v === null;
const plainObject = (v: unknown): v is Record<string, unknown> => isPlainObject(v) && Object.getPrototypeOf(v) === Object.prototype;

function onlyKeys(v: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  for (const key in v) if (!known.has(key)) return false;
  return true;
}

function fastNormalize(rec: Record<string, unknown>): NormalizedTrace | null {
  if (!plainObject(rec) || !onlyKeys(rec, TRACE_KEYS)) return null;
  const { id, sessionId, timestamp, input, output, turn, release, context, slice, latencyMs, model, tokens, flags, feedback, events, metadata } = rec;
  if (!stringOfLength(id, 1, MAX_TRACE_ID_CHARS) || !stringOfLength(sessionId, 1, MAX_SESSION_ID_CHARS)) return null;
  if (!cleanString(input) || !cleanString(output) || !cleanString(timestamp)) return null;
  const ts = parseIsoTimestamp(timestamp);
  if (!ts.ok) return null;
  if (!absent(turn) && !nonNegativeInteger(turn)) return null;
  if (!absent(release) && !stringOfLength(release, 1, MAX_RELEASE_CHARS)) return null;
  if (!absent(model) && !cleanString(model)) return null;
  if (!absent(latencyMs) && !(typeof latencyMs === 'number' && Number.isFinite(latencyMs) && latencyMs >= 0)) return null;

  const contextItems: TraceContextItem[] = [];
  if (!absent(context)) {
    if (!Array.isArray(context)) return null;
    for (const item of context) {
      if (!plainObject(item) || !cleanString(item['id']) || !cleanString(item['text'])) return null;
      for (const key in item) if (key !== 'id' && key !== 'text') return null;
      contextItems.push({ id: item['id'], text: item['text'] });
    }
  }
  const sliceValues: Record<string, string> = {};
  if (!absent(slice)) {
    if (!plainObject(slice)) return null;
    for (const key in slice) {
      const value = slice[key];
      // "__proto__" is legal but only the schema path keeps it as an own key.
      if (key === '' || key === '__proto__' || !cleanString(key) || !cleanString(value)) return null;
      sliceValues[key] = value;
    }
  }
  let tokenCounts: TraceTokens | null = null;
  if (!absent(tokens)) {
    if (!plainObject(tokens) || !nonNegativeInteger(tokens['input']) || !nonNegativeInteger(tokens['output'])) return null;
    for (const key in tokens) if (key !== 'input' && key !== 'output') return null;
    tokenCounts = { input: tokens['input'], output: tokens['output'] };
  }
  const flagList: string[] = [];
  if (!absent(flags)) {
    if (!Array.isArray(flags)) return null;
    for (const flag of flags) {
      if (!stringOfLength(flag, 1, Number.MAX_SAFE_INTEGER)) return null;
      flagList.push(flag);
    }
  }
  let fb: TraceFeedback | null = null;
  if (!absent(feedback)) {
    if (!plainObject(feedback) || !onlyKeys(feedback, FEEDBACK_KEYS)) return null;
    const { thumb, rating, comment } = feedback;
    if (!absent(thumb) && thumb !== 'up' && thumb !== 'down') return null;
    if (!absent(rating) && !(nonNegativeInteger(rating) && rating >= 1 && rating <= 5)) return null;
    if (!absent(comment) && !stringOfLength(comment, 0, MAX_FEEDBACK_COMMENT_CHARS)) return null;
    if (!absent(thumb) || !absent(rating) || !absent(comment)) fb = { thumb: thumb ?? null, rating: rating ?? null, comment: comment ?? null };
  }
  const ev: TraceEvents = { regenerated: false, copied: false, escalated: false, abandoned: false };
  if (!absent(events)) {
    if (!plainObject(events) || !onlyKeys(events, EVENT_KEYS)) return null;
    for (const key of ['regenerated', 'copied', 'escalated', 'abandoned'] as const) {
      const value = events[key];
      if (absent(value)) continue;
      if (typeof value !== 'boolean') return null;
      ev[key] = value;
    }
  }
  // Metadata is free-form: the same string and depth checks as the schema path (one level
  // down, so the depth limit counts from the trace).
  if (metadata !== undefined && findStringProblems(metadata, MAX_JSON_DEPTH - 1).length > 0) return null;
  return {
    id,
    sessionId,
    timestamp: ts.iso,
    input,
    output,
    turn: turn ?? null,
    release: release ?? null,
    context: contextItems,
    slice: sliceValues,
    latencyMs: latencyMs ?? null,
    model: model ?? null,
    tokens: tokenCounts,
    flags: flagList,
    feedback: fb,
    events: ev,
    metadata: metadata === undefined ? null : (metadata as JsonValue),
  };
}

/** Validates an already-parsed JSON value as a trace. Never throws. */
export function validateTrace(obj: unknown): ValidateTraceResult {
  const fast = isPlainObject(obj) ? fastNormalize(obj) : null;
  return fast ? { ok: true, trace: fast } : validateTraceBySchema(obj);
}

/** {@link validateTrace} through the schema alone: the reference the fast path is tested against. */
export function validateTraceBySchema(obj: unknown): ValidateTraceResult {
  if (!isPlainObject(obj)) {
    const message = `a trace must be a JSON object, got ${typeName(obj)}`;
    return { ok: false, code: 'not_object', reason: message, issues: [{ code: 'invalid_value', path: '', message }] };
  }
  const issues = findStringProblems(obj);
  const parsed = traceRecordSchema.safeParse(obj);
  if (!parsed.success) issues.push(...describeSchemaIssues(parsed.error.issues, obj));
  if (issues.length > 0 || !parsed.success) {
    const sorted = issues
      .map((issue, i) => ({ issue, i }))
      .sort((a, b) => ISSUE_ORDER[a.issue.code] - ISSUE_ORDER[b.issue.code] || a.i - b.i)
      .map((x) => x.issue);
    return { ok: false, code: 'invalid_trace', reason: joinIssues(sorted), issues: sorted };
  }
  return { ok: true, trace: normalize(parsed.data, obj) };
}

const MB = 1024 * 1024;
const KB = 1024;

function formatSize(bytes: number): string {
  if (bytes >= MB) return `${Number((bytes / MB).toFixed(1))} MB`;
  if (bytes >= KB) return `${Number((bytes / KB).toFixed(1))} KB`;
  return `${bytes} bytes`;
}

function sizeMessage(bytes: number, limit: number): string {
  const shown = formatSize(bytes);
  const limitShown = formatSize(limit);
  // "1 MB, over the 1 MB limit" would read as a bug; fall back to exact byte counts.
  const size = shown === limitShown ? `${bytes} bytes` : shown;
  const lim = shown === limitShown ? `${limit}-byte` : limitShown;
  return `line is ${size}, over the ${lim} limit`;
}

function reject(
  line: number,
  code: TraceRejectCode,
  issues: TraceIssue[],
  reason = joinIssues(issues),
): ParseTraceLineResult {
  return { ok: false, line, code, reason: `line ${line}: ${reason}`, issues };
}

/**
 * Parses one NDJSON line into a {@link NormalizedTrace}. Never throws: every failure is
 * `{ ok: false, line, code, reason }` with a reason like "line 7: missing required field
 * `sessionId`". A UTF-8 BOM and surrounding whitespace (incl. a CRLF's "\r") are ignored;
 * blank lines come back as code 'empty_line' so callers can skip them.
 */
export function parseTraceLine(
  line: string,
  lineNumber: number,
  limits: TraceLimits = DEFAULT_TRACE_LIMITS,
): ParseTraceLineResult {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > limits.maxLineBytes) {
    const message = sizeMessage(bytes, limits.maxLineBytes);
    return reject(lineNumber, 'too_large', [{ code: 'invalid_value', path: '', message }]);
  }
  const text = line.startsWith('\uFEFF') ? line.slice(1) : line;
  if (text.trim() === '') {
    return reject(lineNumber, 'empty_line', [{ code: 'invalid_value', path: '', message: 'empty line' }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
    return reject(lineNumber, 'invalid_json', [{ code: 'invalid_value', path: '', message: sanitize(message) }]);
  }
  const r = validateTrace(value);
  if (r.ok) return { ok: true, line: lineNumber, trace: r.trace };
  return reject(lineNumber, r.code, r.issues, r.reason);
}

// ---------------------------------------------------------------------------------
// Content hashing

/** JSON with object keys sorted (recursively), so equal values serialise identically. */
export function stableStringify(value: JsonValue | NormalizedTrace): string {
  return stringifySorted(value);
}

function stringifySorted(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stringifySorted(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue; // as JSON.stringify does
    parts.push(`${JSON.stringify(key)}:${stringifySorted(v)}`);
  }
  return `{${parts.join(',')}}`;
}

const q = JSON.stringify;
const orNull = (v: string | number | null) => (v === null ? 'null' : q(v));

/**
 * {@link stableStringify} of a trace, written out field by field in sorted-key order: the
 * same string (test/core/traces/trace-fast-path.test.ts), without sorting every object's
 * keys. Only `slice` and `metadata` have keys not known here.
 */
export function canonicalTraceJson(t: NormalizedTrace): string {
  let context = '';
  for (const c of t.context) context += `${context === '' ? '' : ','}{"id":${q(c.id)},"text":${q(c.text)}}`;
  let flags = '';
  for (const f of t.flags) flags += `${flags === '' ? '' : ','}${q(f)}`;
  const e = t.events;
  const fb = t.feedback;
  return (
    `{"context":[${context}]` +
    `,"events":{"abandoned":${e.abandoned},"copied":${e.copied},"escalated":${e.escalated},"regenerated":${e.regenerated}}` +
    `,"feedback":${fb === null ? 'null' : `{"comment":${orNull(fb.comment)},"rating":${orNull(fb.rating)},"thumb":${orNull(fb.thumb)}}`}` +
    `,"flags":[${flags}],"id":${q(t.id)},"input":${q(t.input)},"latencyMs":${orNull(t.latencyMs)}` +
    `,"metadata":${stringifySorted(t.metadata)},"model":${orNull(t.model)},"output":${q(t.output)},"release":${orNull(t.release)}` +
    `,"sessionId":${q(t.sessionId)},"slice":${stringifySorted(t.slice)},"timestamp":${q(t.timestamp)}` +
    `,"tokens":${t.tokens === null ? 'null' : `{"input":${q(t.tokens.input)},"output":${q(t.tokens.output)}}`},"turn":${orNull(t.turn)}}`
  );
}

/**
 * SHA-256 (hex) of the trace's sorted-key JSON. Identical re-sent traces hash equal (so
 * ingest can skip them); any content change, including metadata, changes the hash.
 */
export function traceContentHash(trace: NormalizedTrace): string {
  return createHash('sha256').update(canonicalTraceJson(trace), 'utf8').digest('hex');
}
