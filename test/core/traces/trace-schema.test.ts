import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRACE_LIMITS,
  findStringProblems,
  parseIsoTimestamp,
  parseTraceLine,
  stableStringify,
  traceContentHash,
  validateTrace,
  type NormalizedTrace,
  type ParseTraceLineResult,
} from '../../../core/traces/trace-schema';

const BASE = {
  id: 'tr_1',
  sessionId: 'sess_1',
  timestamp: '2024-05-01T12:00:00Z',
  input: 'How do I reset my password?',
  output: 'Go to Settings → Security.',
} as const;

const line = (obj: unknown) => JSON.stringify(obj);

function ok(r: ParseTraceLineResult): NormalizedTrace {
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r.trace;
}

function reason(r: ParseTraceLineResult): string {
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
}

describe('parseTraceLine: accepted traces', () => {
  it('normalises a minimal trace with defaults', () => {
    const t = ok(parseTraceLine(line(BASE), 1));
    expect(t).toEqual({
      ...BASE,
      timestamp: '2024-05-01T12:00:00.000Z',
      turn: null,
      release: null,
      context: [],
      slice: {},
      latencyMs: null,
      model: null,
      tokens: null,
      flags: [],
      feedback: null,
      events: { regenerated: false, copied: false, escalated: false, abandoned: false },
      metadata: null,
    });
  });

  it('keeps every optional field', () => {
    const full = {
      ...BASE,
      turn: 3,
      release: 'support-bot@2024-05-01',
      context: [{ id: 'kb-12', text: 'Password resets live under Security.' }],
      slice: { intent: 'billing', tier: 'enterprise', locale: 'de' },
      latencyMs: 1234.5,
      model: 'claude-x',
      tokens: { input: 120, output: 45 },
      flags: ['pii'],
      feedback: { thumb: 'down', rating: 2, comment: 'wrong menu' },
      events: { regenerated: true, copied: false, escalated: true },
      metadata: { nested: [1, 'two', { three: null }] },
    };
    const t = ok(parseTraceLine(line(full), 1));
    expect(t).toMatchObject({ ...full, timestamp: '2024-05-01T12:00:00.000Z' });
    expect(t.events).toEqual({ regenerated: true, copied: false, escalated: true, abandoned: false });
  });

  it('treats null optional fields as absent', () => {
    const nulls = { ...BASE, turn: null, release: null, context: null, slice: null, latencyMs: null, model: null };
    const more = { tokens: null, flags: null, feedback: null, events: null, metadata: null };
    const t = ok(parseTraceLine(line({ ...nulls, ...more }), 1));
    expect(t).toEqual(ok(parseTraceLine(line(BASE), 1)));
  });

  it('normalises empty feedback to null and partial feedback to explicit nulls', () => {
    expect(ok(parseTraceLine(line({ ...BASE, feedback: {} }), 1)).feedback).toBeNull();
    expect(ok(parseTraceLine(line({ ...BASE, feedback: { rating: 5 } }), 1)).feedback).toEqual({
      thumb: null,
      rating: 5,
      comment: null,
    });
  });

  it.each([
    ['2024-05-01T14:00:00+02:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T07:30:00-0430', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T17:00+05', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01t12:00:00.123456789z', '2024-05-01T12:00:00.123Z'], // sub-ms truncated
    ['2024-02-29T23:59:59.9Z', '2024-02-29T23:59:59.900Z'],
    ['2024-01-01T00:30:00+01:00', '2023-12-31T23:30:00.000Z'],
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00.000Z'], // not mapped to 1999
  ])('accepts timestamp %s as %s', (ts, iso) => {
    expect(ok(parseTraceLine(line({ ...BASE, timestamp: ts }), 1)).timestamp).toBe(iso);
  });

  it('accepts emoji, RTL text and combining characters verbatim', () => {
    const input = 'مرحبا 👋🏽 שלום — e\u0301 Zalgo: Z\u0351\u0300\u0336a 👨‍👩‍👧';
    const t = ok(parseTraceLine(line({ ...BASE, input, output: '\u202Eevil\u202C', slice: { locale: 'ar' } }), 1));
    expect(t.input).toBe(input);
    expect(t.output).toBe('\u202Eevil\u202C');
  });

  it('accepts a valid surrogate pair written as JSON escapes', () => {
    const t = ok(parseTraceLine(line(BASE).replace('"input":"How', '"input":"\\ud83d\\ude00 How'), 1));
    expect(t.input.startsWith('😀')).toBe(true);
  });

  it('ignores a UTF-8 BOM and CRLF line ending', () => {
    expect(ok(parseTraceLine(`\uFEFF${line(BASE)}\r`, 1)).id).toBe('tr_1');
  });

  it('keeps a "__proto__" slice key as plain data', () => {
    const t = ok(parseTraceLine(line(BASE).replace(/}$/, ',"slice":{"__proto__":"x","a":"b"}}'), 1));
    expect(Object.keys(t.slice).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(t.slice)).toBe(Object.prototype);
  });

  it('accepts an id of exactly 200 characters and lines exactly at the limit', () => {
    expect(parseTraceLine(line({ ...BASE, id: 'x'.repeat(200) }), 1).ok).toBe(true);
    const l = line(BASE);
    expect(parseTraceLine(l, 1, { maxLineBytes: Buffer.byteLength(l) }).ok).toBe(true);
  });
});

describe('parseTraceLine: rejections', () => {
  it('rejects malformed JSON with the parser message', () => {
    const r = parseTraceLine('{"id": "a", ', 3);
    expect(r).toMatchObject({ ok: false, line: 3, code: 'invalid_json' });
    expect(reason(r)).toMatch(/^line 3: invalid JSON: /);
    expect(reason(parseTraceLine('{"id": x}', 3))).toMatch(/^line 3: invalid JSON: Unexpected token/);
  });

  it('reports empty lines with their own code', () => {
    expect(parseTraceLine('   ', 5)).toMatchObject({ ok: false, code: 'empty_line', reason: 'line 5: empty line' });
  });

  it.each(['id', 'sessionId', 'timestamp', 'input', 'output'] as const)('rejects a missing `%s`', (field) => {
    const obj: Record<string, unknown> = { ...BASE };
    delete obj[field];
    const r = parseTraceLine(line(obj), 7);
    expect(r).toMatchObject({ ok: false, code: 'invalid_trace' });
    expect(reason(r)).toBe(`line 7: missing required field \`${field}\``);
  });

  it.each([
    [[1, 2], 'array'],
    [null, 'null'],
    ['a string', 'string'],
    [42, 'number'],
    [true, 'boolean'],
  ])('rejects a top-level %j', (value, type) => {
    const r = parseTraceLine(JSON.stringify(value), 2);
    expect(r).toMatchObject({ ok: false, code: 'not_object' });
    expect(reason(r)).toBe(`line 2: a trace must be a JSON object, got ${type}`);
  });

  it.each([
    [{ latencyMs: '12' }, '`latencyMs` must be a non-negative number, got string'],
    [{ latencyMs: -3 }, '`latencyMs` must be a non-negative number, got -3'],
    [{ id: 5 }, '`id` must be a string of 1 to 200 characters, got number'],
    [{ id: '' }, '`id` must be a string of 1 to 200 characters, got a string of 0 characters'],
    [{ id: 'x'.repeat(201) }, '`id` must be a string of 1 to 200 characters, got a string of 201 characters'],
    [{ sessionId: ['s'] }, '`sessionId` must be a string of 1 to 500 characters, got array'],
    [{ input: null }, '`input` must be a string, got null'],
    [{ output: { text: 'x' } }, '`output` must be a string, got object'],
    [{ turn: -1 }, '`turn` must be a non-negative integer, got -1'],
    [{ turn: 1.5 }, '`turn` must be a non-negative integer, got 1.5'],
    [{ turn: '2' }, '`turn` must be a non-negative integer, got string'],
    [{ release: '' }, '`release` must be a string of 1 to 200 characters, got a string of 0 characters'],
    [{ model: 3 }, '`model` must be a string, got number'],
    [{ context: 'doc' }, '`context` must be an array of {"id", "text"} objects, got string'],
    [{ context: [{ id: 'a', text: 1 }] }, '`context[0].text` must be a string, got number'],
    [{ context: [{ id: 'a' }] }, 'missing required field `context[0].text`'],
    [{ slice: ['billing'] }, '`slice` must be an object of string values, e.g. {"intent": "billing", "locale": "de"}, got array'],
    [{ slice: { tier: 3 } }, '`slice.tier` must be a string (slice values are strings), got 3'],
    [{ slice: { 'my key': true } }, '`slice["my key"]` must be a string (slice values are strings), got boolean'],
    [{ slice: { '': 'x' } }, '`slice` must be an object of string values, e.g. {"intent": "billing", "locale": "de"}, got object (it has an empty key)'],
    [{ tokens: { input: -1, output: 2 } }, '`tokens.input` must be a non-negative integer, got -1'],
    [{ tokens: { input: 1 } }, 'missing required field `tokens.output`'],
    [{ tokens: 10 }, '`tokens` must be an object {"input": integer, "output": integer}, got number'],
    [{ flags: 'pii' }, '`flags` must be an array of strings, got string'],
    [{ flags: ['pii', ''] }, '`flags[1]` must be a non-empty string, got a string of 0 characters'],
    [{ feedback: 'bad' }, '`feedback` must be an object like {"thumb": "down", "rating": 2, "comment": "..."}, got string'],
    [{ feedback: { thumb: 'sideways' } }, '`feedback.thumb` must be "up" or "down", got "sideways"'],
    [{ feedback: { rating: 0 } }, '`feedback.rating` must be an integer from 1 to 5, got 0'],
    [{ feedback: { rating: 6 } }, '`feedback.rating` must be an integer from 1 to 5, got 6'],
    [{ feedback: { rating: 2.5 } }, '`feedback.rating` must be an integer from 1 to 5, got 2.5'],
    [{ feedback: { rating: '5' } }, '`feedback.rating` must be an integer from 1 to 5, got string'],
    [{ feedback: { comment: 7 } }, '`feedback.comment` must be a string of at most 10000 characters, got number'],
    [{ events: { copied: 'yes' } }, '`events.copied` must be a boolean, got string'],
    [{ events: [true] }, '`events` must be an object of booleans, e.g. {"copied": true}, got array'],
  ])('rejects %j', (patch, message) => {
    expect(reason(parseTraceLine(line({ ...BASE, ...patch }), 9))).toBe(`line 9: ${message}`);
  });

  it('rejects a non-finite number (1e999 parses to Infinity)', () => {
    const r = parseTraceLine(line(BASE).replace(/}$/, ',"latencyMs":1e999}'), 1);
    expect(reason(r)).toBe('line 1: `latencyMs` must be a non-negative number, got Infinity');
  });

  it.each([
    ['yesterday', 'not an ISO 8601 date-time'],
    ['2024-05-01', 'a date without a time'],
    ['2024-05-01T12:00:00', 'no timezone offset; add "Z" for UTC'],
    ['2024-02-30T00:00:00Z', 'day 30 does not exist in 2024-02'],
    ['2023-02-29T00:00:00Z', 'day 29 does not exist in 2023-02'],
    ['2024-13-01T00:00:00Z', 'month 13 is out of range'],
    ['2024-05-01T24:00:00Z', 'hour 24 is out of range'],
    ['2024-05-01T12:60:00Z', 'minute 60 is out of range'],
    ['2024-05-01T12:00:60Z', 'second 60 is out of range'],
    ['2024-05-01T12:00:00+25:00', 'timezone offset +25:00 is out of range'],
    ['0000-01-01T00:00:00Z', 'outside the supported years 0001–9999'],
    ['Wed, 01 May 2024 12:00:00 GMT', 'not an ISO 8601 date-time'],
  ])('rejects timestamp %j (%s)', (ts, detail) => {
    expect(reason(parseTraceLine(line({ ...BASE, timestamp: ts }), 4))).toBe(
      `line 4: \`timestamp\` must be an ISO 8601 date-time with a timezone, e.g. "2024-05-01T12:00:00Z", got ${JSON.stringify(ts)} (${detail})`,
    );
  });

  it('rejects a numeric timestamp', () => {
    expect(reason(parseTraceLine(line({ ...BASE, timestamp: 1714564800000 }), 4))).toMatch(
      /`timestamp` must be an ISO 8601 date-time .*, got number$/,
    );
  });

  it('rejects unknown top-level keys, naming them and suggesting the intended field', () => {
    const { sessionId, ...rest } = BASE;
    const r = parseTraceLine(line({ ...rest, sesionId: sessionId }), 7);
    expect(r).toMatchObject({ ok: false, code: 'invalid_trace' });
    expect(reason(r)).toBe(
      'line 7: unknown field `sesionId` (did you mean `sessionId`?); missing required field `sessionId`',
    );
    expect(reason(parseTraceLine(line({ ...BASE, latency_ms: 5, colour: 'red' }), 2))).toBe(
      'line 2: unknown field `latency_ms` (did you mean `latencyMs`?); unknown field `colour`',
    );
    expect(reason(parseTraceLine(line(BASE).replace(/}$/, ',"__proto__":{}}'), 2))).toBe(
      'line 2: unknown field `__proto__`',
    );
  });

  it('rejects unknown nested keys in strict sub-objects', () => {
    expect(reason(parseTraceLine(line({ ...BASE, feedback: { raitng: 1 } }), 1))).toBe(
      'line 1: unknown field `feedback.raitng` (did you mean `feedback.rating`?)',
    );
    expect(reason(parseTraceLine(line({ ...BASE, events: { escalate: true } }), 1))).toBe(
      'line 1: unknown field `events.escalate` (did you mean `events.escalated`?)',
    );
    expect(reason(parseTraceLine(line({ ...BASE, tokens: { input: 1, output: 2, total: 3 } }), 1))).toBe(
      'line 1: unknown field `tokens.total`',
    );
  });

  it('rejects an oversize line before parsing it', () => {
    const big = 'x'.repeat(Math.round(2.1 * 1024 * 1024));
    const r = parseTraceLine(big, 4);
    expect(r).toMatchObject({ ok: false, code: 'too_large' });
    expect(reason(r)).toBe('line 4: line is 2.1 MB, over the 1 MB limit');
    // Multi-byte characters count in UTF-8 bytes, not UTF-16 units.
    expect(reason(parseTraceLine('é'.repeat(600), 1, { maxLineBytes: 1000 }))).toBe(
      'line 1: line is 1.2 KB, over the 1000 bytes limit',
    );
    // When rounding would make size and limit look equal, exact byte counts are shown.
    expect(reason(parseTraceLine('x'.repeat(DEFAULT_TRACE_LIMITS.maxLineBytes + 1), 1))).toBe(
      'line 1: line is 1048577 bytes, over the 1048576-byte limit',
    );
  });

  it('rejects NUL characters anywhere, including metadata values and keys', () => {
    expect(reason(parseTraceLine(line({ ...BASE, input: 'a\u0000b' }), 6))).toBe(
      'line 6: `input` contains a NUL character (\\u0000) at position 1, which Postgres cannot store',
    );
    expect(reason(parseTraceLine(line({ ...BASE, metadata: { a: [{ b: '\u0000' }] } }), 6))).toBe(
      'line 6: `metadata.a[0].b` contains a NUL character (\\u0000) at position 0, which Postgres cannot store',
    );
    expect(reason(parseTraceLine(line({ ...BASE, metadata: { 'k\u0000': 1 } }), 6))).toBe(
      'line 6: a key in `metadata` contains a NUL character (\\u0000) at position 1, which Postgres cannot store',
    );
  });

  it('rejects lone surrogates, whether escaped in JSON or raw in the line', () => {
    const escaped = line(BASE).replace('"output":"Go', '"output":"\\ud800Go');
    expect(reason(parseTraceLine(escaped, 8))).toBe(
      'line 8: `output` contains a lone surrogate (U+D800) at position 0, which is not valid Unicode',
    );
    const raw = line({ ...BASE, sessionId: 'ab\uDC00' });
    expect(reason(parseTraceLine(raw, 8))).toBe(
      'line 8: `sessionId` contains a lone surrogate (U+DC00) at position 2, which is not valid Unicode',
    );
  });

  it('never echoes NUL or lone surrogates back in a reason', () => {
    const r = parseTraceLine('\u0000\uD800 not json', 1);
    expect(reason(r)).toMatch(/^line 1: invalid JSON/);
    expect(findStringProblems(reason(r))).toEqual([]);
  });

  it('rejects metadata nested deeper than 64 levels', () => {
    const deep = JSON.parse('['.repeat(100) + ']'.repeat(100)) as unknown;
    expect(reason(parseTraceLine(line({ ...BASE, metadata: deep }), 1))).toBe(
      'line 1: `metadata` is nested more than 64 levels deep',
    );
    // Pathologically deep JSON must not blow the stack.
    const deeper = `{"id":"a","sessionId":"s","timestamp":"2024-05-01T12:00:00Z","input":"","output":"","metadata":${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
    expect(parseTraceLine(deeper, 1)).toMatchObject({ ok: false, code: 'invalid_trace' });
  });

  it('lists several problems and caps the reason at five', () => {
    const r = parseTraceLine(line({ id: 1, sessionId: 2, timestamp: 3, input: 4, output: 5, turn: -1, model: 6 }), 1);
    expect(reason(r)).toMatch(/^line 1: `id` must be .*; `sessionId` must be .*; and 2 more problems$/);
    if (!r.ok) expect(r.issues).toHaveLength(7);
  });
});

describe('validateTrace', () => {
  it('validates parsed objects without a line prefix', () => {
    expect(validateTrace({ ...BASE }).ok).toBe(true);
    const r = validateTrace({ ...BASE, latencyMs: 'slow' });
    expect(r).toMatchObject({ ok: false, reason: '`latencyMs` must be a non-negative number, got string' });
    expect(validateTrace(undefined)).toMatchObject({ ok: false, code: 'not_object' });
  });
});

describe('parseIsoTimestamp', () => {
  it('agrees with Date for every valid instant it produces', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }), (d) => {
        expect(parseIsoTimestamp(d.toISOString())).toEqual({ ok: true, iso: d.toISOString() });
      }),
    );
  });
});

describe('traceContentHash', () => {
  const t = ok(parseTraceLine(line({ ...BASE, slice: { b: '2', a: '1' }, metadata: { z: 1, y: [2] } }), 1));

  it('is a sha256 hex digest, independent of key order', () => {
    expect(traceContentHash(t)).toMatch(/^[0-9a-f]{64}$/);
    const reordered = ok(parseTraceLine(line({ metadata: { y: [2], z: 1 }, slice: { a: '1', b: '2' }, ...BASE }), 99));
    expect(traceContentHash(reordered)).toBe(traceContentHash(t));
  });

  it('is the same for a re-sent identical trace and differs after any change', () => {
    const again = ok(parseTraceLine(line({ ...BASE, slice: { b: '2', a: '1' }, metadata: { z: 1, y: [2] } }), 2));
    expect(traceContentHash(again)).toBe(traceContentHash(t));
    expect(traceContentHash({ ...t, output: `${t.output}!` })).not.toBe(traceContentHash(t));
    expect(traceContentHash({ ...t, metadata: { z: 1, y: [3] } })).not.toBe(traceContentHash(t));
    expect(traceContentHash({ ...t, flags: ['x'] })).not.toBe(traceContentHash(t));
  });

  it('treats equivalent timestamps as equal (hash is over the normalised trace)', () => {
    const a = ok(parseTraceLine(line({ ...BASE, timestamp: '2024-05-01T14:00:00+02:00' }), 1));
    const b = ok(parseTraceLine(line({ ...BASE, timestamp: '2024-05-01T12:00:00.000Z' }), 1));
    expect(traceContentHash(a)).toBe(traceContentHash(b));
  });

  it('stableStringify sorts keys recursively', () => {
    expect(stableStringify({ b: 1, a: { d: [{ f: 1, e: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"e":2,"f":1}]},"b":1}');
  });
});

// ---------------------------------------------------------------------------------
// Properties

const cleanString = (maxLength: number) =>
  fc.string({ unit: 'grapheme', maxLength }).map((s) => s.replace(/\u0000/g, ''));
const nonEmpty = (maxChars: number) =>
  cleanString(20).filter((s) => s.length >= 1 && s.length <= maxChars);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A valid ISO timestamp with a random offset/format, plus the UTC ISO it denotes. */
const timestampArb = fc
  .record({
    ms: fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9000, 0, 1) }),
    offset: fc.integer({ min: -14 * 60, max: 14 * 60 }),
    style: fc.constantFrom('Z', 'z', 'colon', 'compact'),
    fracDigits: fc.integer({ min: 0, max: 6 }),
    withSeconds: fc.boolean(),
  })
  .map(({ ms, offset, style, fracDigits, withSeconds }) => {
    const off = style === 'Z' || style === 'z' ? 0 : offset;
    const local = new Date(ms + off * 60_000).toISOString();
    const millis = local.slice(20, 23);
    const secs = withSeconds ? local.slice(16, 19) : '';
    const frac = withSeconds && fracDigits > 0 ? `.${(millis + '000000').slice(0, fracDigits)}` : '';
    const sign = off < 0 ? '-' : '+';
    const hhmm = [pad(Math.floor(Math.abs(off) / 60)), pad(Math.abs(off) % 60)];
    const tz = style === 'Z' || style === 'z' ? style : style === 'colon' ? `${sign}${hhmm.join(':')}` : `${sign}${hhmm.join('')}`;
    const text = `${local.slice(0, 16)}${secs}${frac}${tz}`;
    const keptMs = withSeconds ? Number(millis.slice(0, Math.min(fracDigits, 3)).padEnd(3, '0')) : 0;
    const base = ms - (((ms % 60_000) + 60_000) % 60_000);
    const secondsMs = withSeconds ? Number(local.slice(17, 19)) * 1000 : 0;
    return { text, iso: new Date(base + secondsMs + keptMs).toISOString() };
  });

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const rawTraceArb = fc
  .tuple(
    timestampArb,
    fc.record(
      {
        id: nonEmpty(200),
        sessionId: nonEmpty(500),
        input: cleanString(60),
        output: cleanString(60),
        turn: opt(fc.nat()),
        release: opt(nonEmpty(200)),
        context: opt(fc.array(fc.record({ id: cleanString(10), text: cleanString(30) }), { maxLength: 3 })),
        slice: opt(fc.dictionary(nonEmpty(30), cleanString(10), { maxKeys: 4 })),
        latencyMs: opt(fc.double({ min: 0, max: 1e7, noNaN: true })),
        model: opt(cleanString(15)),
        tokens: opt(fc.record({ input: fc.nat(), output: fc.nat() })),
        flags: opt(fc.array(nonEmpty(20), { maxLength: 3 })),
        feedback: opt(
          fc.record(
            {
              thumb: opt(fc.constantFrom('up', 'down')),
              rating: opt(fc.integer({ min: 1, max: 5 })),
              comment: opt(cleanString(30)),
            },
            { requiredKeys: [] },
          ),
        ),
        events: opt(
          fc.record(
            {
              regenerated: opt(fc.boolean()),
              copied: opt(fc.boolean()),
              escalated: opt(fc.boolean()),
              abandoned: opt(fc.boolean()),
            },
            { requiredKeys: [] },
          ),
        ),
        metadata: fc.jsonValue({ maxDepth: 4 }).filter((v) => findStringProblems(v).length === 0),
      },
      { requiredKeys: ['id', 'sessionId', 'input', 'output'] },
    ),
  )
  .map(([ts, rec]) => ({ raw: { ...rec, timestamp: ts.text }, iso: ts.iso }));

describe('properties', () => {
  it('parseTraceLine never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.string()), fc.nat(), (s, n) => {
        const r = parseTraceLine(s, n);
        if (!r.ok) expect(r.reason.startsWith(`line ${n}: `)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseTraceLine never throws on near-miss objects', () => {
    const keys = ['id', 'sessionId', 'timestamp', 'input', 'output', 'turn', 'release', 'context', 'slice', 'latencyMs'];
    const more = ['model', 'tokens', 'flags', 'feedback', 'events', 'metadata', 'sesionId', '__proto__', ''];
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' }), fc.constant(BASE.timestamp));
    fc.assert(
      fc.property(rawTraceArb, fc.dictionary(fc.constantFrom(...keys, ...more), value), ({ raw }, patch) => {
        const r = parseTraceLine(JSON.stringify({ ...raw, ...patch }), 1);
        if (!r.ok) expect(r.reason.length).toBeGreaterThan('line 1: '.length);
      }),
      { numRuns: 500 },
    );
  });

  it('valid generated traces parse, keep their content, and round-trip', () => {
    fc.assert(
      fc.property(rawTraceArb, fc.nat(), ({ raw, iso }, n) => {
        const wire = JSON.parse(JSON.stringify(raw)) as typeof raw; // as the parser will see it
        const t = ok(parseTraceLine(JSON.stringify(raw), n));
        expect(t.id).toBe(wire.id);
        expect(t.sessionId).toBe(wire.sessionId);
        expect(t.input).toBe(wire.input);
        expect(t.output).toBe(wire.output);
        expect(t.timestamp).toBe(iso);
        expect(t.turn).toBe(wire.turn ?? null);
        expect(t.latencyMs).toBe(wire.latencyMs ?? null);
        expect(t.slice).toEqual(wire.slice ?? {});
        expect(t.context).toEqual(wire.context ?? []);
        expect(t.flags).toEqual(wire.flags ?? []);
        expect(t.tokens).toEqual(wire.tokens ?? null);
        expect(t.metadata).toEqual(wire.metadata ?? null);
        expect(t.events.copied).toBe(wire.events?.copied ?? false);
        expect(t.feedback?.rating ?? null).toBe(wire.feedback?.rating ?? null);
        // The normalised form is itself a valid line and a fixed point.
        const again = ok(parseTraceLine(JSON.stringify(t), n));
        expect(again).toEqual(t);
        expect(traceContentHash(again)).toBe(traceContentHash(t));
      }),
      { numRuns: 300 },
    );
  });
});
