// validateTrace takes a hand-written fast path for well-formed traces; the zod schema is
// the reference. For any input both must give the same answer (accepted with the very same
// trace, or rejected with the same reasons), and the hand-written canonical JSON behind the
// content hash must equal stableStringify.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { redactTrace, RedactionSettingsSchema } from '../../../core/traces/redaction';
import {
  canonicalTraceJson,
  stableStringify,
  traceRecordSchema,
  validateTrace,
  validateTraceBySchema,
  type NormalizedTrace,
} from '../../../core/traces/trace-schema';

// Values that are right for some field and wrong for others, including the edge cases of
// each rule: lengths at and over the limits (also in code points vs units), NUL and lone
// surrogates, surrogate pairs, safe-integer bounds, -0, odd prototypes.
const strings = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'a', 'up', 'down', '__proto__', 'x\u0000y', '\uD800', 'a\uDC00', '😀', '😀'.repeat(150), 'a'.repeat(200), 'a'.repeat(201), 'b'.repeat(500), 'b'.repeat(501)),
  fc.constantFrom('2024-05-01T12:00:00Z', '2024-02-30T00:00:00Z', '2024-05-01', '0000-01-01T00:00:00Z', '2024-05-01T12:00:00+02:00', '2024-05-01T12:00:00.123456789Z', 'yesterday'),
);
const numbers = fc.oneof(fc.integer({ min: -3, max: 7 }), fc.constantFrom(-0, 0.5, 2 ** 53, 2 ** 53 - 1, 1e300, -1), fc.double({ noNaN: true, noDefaultInfinity: true }));
const scalars = fc.oneof(strings, numbers, fc.boolean(), fc.constant(null), fc.constant(undefined));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ maxDepth: 3 }, scalars, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(strings, tie('value'), { maxKeys: 3 })),
})).value;

const goodTimestamp = fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
// A well-formed trace (every optional field sometimes absent, sometimes null) ...
const nullish = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });
const validTrace = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 20 }),
    sessionId: fc.string({ minLength: 1, maxLength: 20 }),
    timestamp: fc.oneof(goodTimestamp, fc.constantFrom('2024-05-01T12:00:00Z', '2024-05-01T12:00:00+02:00', '2024-05-01T12:00:00.123456789Z', '2024-05-01t12:00z')),
    input: fc.string({ unit: 'grapheme', maxLength: 30 }),
    output: fc.string({ unit: 'grapheme', maxLength: 30 }),
    turn: nullish(fc.nat()),
    release: nullish(fc.string({ minLength: 1, maxLength: 10 })),
    context: nullish(fc.array(fc.record({ id: fc.string(), text: fc.string({ unit: 'grapheme' }) }), { maxLength: 3 })),
    slice: nullish(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__'), fc.string({ maxLength: 6 }), { maxKeys: 3 })),
    latencyMs: nullish(fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }))),
    model: nullish(fc.string({ maxLength: 8 })),
    tokens: nullish(fc.record({ input: fc.nat(), output: fc.nat() })),
    flags: nullish(fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 3 })),
    feedback: nullish(fc.record({ thumb: nullish(fc.constantFrom('up', 'down')), rating: nullish(fc.integer({ min: 1, max: 5 })), comment: nullish(fc.string()) }, { requiredKeys: [] })),
    events: nullish(fc.record({ regenerated: nullish(fc.boolean()), copied: fc.boolean(), escalated: fc.boolean(), abandoned: fc.boolean() }, { requiredKeys: [] })),
    metadata: fc.oneof(json, fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }))),
  },
  { requiredKeys: ['id', 'sessionId', 'timestamp', 'input', 'output'] },
);
// ... and zero to two changes that may or may not break it: values at and around each
// field's limits, and arbitrary ones.
const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : [nested(depth - 1)]);
const EDGES: Record<string, unknown[]> = {
  id: ['', 'a', 'a'.repeat(200), 'a'.repeat(201), '😀'.repeat(100), '😀'.repeat(101), 'x\u0000', '\uD800', 5, null],
  sessionId: ['', 'b'.repeat(500), 'b'.repeat(501), '😀'.repeat(250), '😀'.repeat(251), null],
  release: ['', 'r'.repeat(200), 'r'.repeat(201), null, 3],
  model: ['', 1, null, 'm\u0000'],
  turn: [-1, 0, 1.5, -0, 2 ** 53, 2 ** 53 - 1, '1', null, true],
  latencyMs: [-1, 0, -0, 0.25, 1e300, '5', null],
  timestamp: ['2024-02-30T00:00:00Z', '2024-02-29T00:00:00Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '2024-05-01', '2024-05-01T24:00:00Z', '2024-05-01T12:00:00', 12],
  input: ['', 'x\u0000', '\uDC00', '😀', 7, null],
  output: ['', 'y\uD800y', null],
  tokens: [{ input: -1, output: 0 }, { input: 1.5, output: 0 }, { input: 1 }, { input: 1, output: 2, x: 1 }, { input: 2 ** 53, output: 0 }, { input: 0, output: 0 }, [], null],
  feedback: [{ rating: 0 }, { rating: 6 }, { rating: 5 }, { rating: 1 }, { rating: 2.5 }, { rating: '3' }, { thumb: 'sideways' }, { thumb: 'down', rating: null }, { comment: 'c'.repeat(10_000) }, { comment: 'c'.repeat(10_001) }, { comment: '😀'.repeat(5001) }, { comment: '😀'.repeat(10_001) }, {}, { thumb: null }, { note: 'x' }, []],
  events: [{ copied: 'yes' }, { copied: null }, {}, { other: true }, { abandoned: true, escalated: false }, [true]],
  flags: [[''], ['a', ''], [1], 'a', [], ['f\u0000']],
  context: [[{ id: 'a' }], [{ id: 'a', text: 'b', x: 1 }], [{ id: 1, text: 'b' }], {}, [null], [{ id: '', text: '' }], [{ text: 'b', id: 'a' }]],
  slice: [{ '': 'x' }, { a: 1 }, { a: null }, [], 'x', { a: 'x\u0000' }, { 'k\uD800': 'v' }, {}, { b: 'x', a: 'y' }],
  metadata: [nested(62), nested(63), nested(64), { k: '\u0000' }, { '\u0000': 1 }, null, [1, 'two', { three: 3 }]],
};
const edge = fc.constantFrom(...Object.keys(EDGES)).chain((key) => fc.constantFrom(...EDGES[key]!).map((value) => ({ key, value })));
const mutation = fc.oneof(
  { weight: 4, arbitrary: edge },
  fc.record({ key: fc.constantFrom('id', 'sessionId', 'timestamp', 'input', 'output', 'turn', 'release', 'context', 'slice', 'latencyMs', 'model', 'tokens', 'flags', 'feedback', 'events', 'metadata', 'sesionId', 'extra'), value: fc.oneof(scalars, json) }),
  fc.record({ key: fc.constantFrom('id', 'sessionId', 'timestamp', 'input', 'output'), value: fc.constant('delete') }),
  fc.record({ key: fc.constant('context'), value: fc.array(fc.oneof(json, fc.record({ id: strings, text: strings }), fc.record({ id: fc.string(), text: fc.string(), more: scalars })), { maxLength: 2 }) }),
  fc.record({ key: fc.constant('slice'), value: fc.dictionary(strings, scalars, { maxKeys: 2 }) }),
  fc.record({ key: fc.constant('tokens'), value: fc.record({ input: numbers, output: numbers, x: fc.option(scalars, { nil: undefined }) }, { requiredKeys: [] }) }),
  fc.record({ key: fc.constant('feedback'), value: fc.record({ thumb: fc.constantFrom('up', 'down', null, 'sideways', 1), rating: fc.oneof(numbers, fc.constant(null)), comment: fc.oneof(strings, fc.constant(null), fc.constant('c'.repeat(10_001))), x: scalars }, { requiredKeys: [] }) }),
  fc.record({ key: fc.constant('events'), value: fc.record({ regenerated: scalars, copied: fc.boolean(), escalated: scalars, abandoned: fc.boolean(), x: scalars }, { requiredKeys: [] }) }),
  fc.record({ key: fc.constant('flags'), value: fc.array(fc.oneof(strings, scalars), { maxLength: 3 }) }),
);
const trace = fc.tuple(validTrace, fc.array(mutation, { maxLength: 2 })).map(([t, changes]) => {
  const out: Record<string, unknown> = { ...t };
  for (const { key, value } of changes) {
    if (value === 'delete') delete out[key];
    else out[key] = value;
  }
  return out;
});

describe('validateTrace fast path', () => {
  it('accepts and rejects exactly what the schema does, with the same trace or reasons', () => {
    // Counts the schema's use, to know which path answered.
    const schema = vi.spyOn(traceRecordSchema, 'safeParse');
    let fastAccepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(trace, (input) => {
        const value = JSON.parse(JSON.stringify(input)) as unknown; // what a parsed line looks like
        for (const v of [value, input]) {
          const before = schema.mock.calls.length;
          const fast = validateTrace(v);
          const tookFastPath = schema.mock.calls.length === before;
          expect(fast).toEqual(validateTraceBySchema(v));
          if (fast.ok && tookFastPath) fastAccepted += 1;
          if (!fast.ok) rejected += 1;
        }
      }),
      { numRuns: 4000 },
    );
    schema.mockRestore();
    // Both outcomes must be exercised for the comparison to mean anything.
    expect(fastAccepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('falls back for inputs outside its subset and still gives the schema answer', () => {
    const base = { id: 'a', sessionId: 's', timestamp: '2024-05-01T12:00:00Z', input: 'q', output: 'a' };
    const odd: unknown[] = [
      Object.assign(Object.create(null) as object, base),
      { ...base, slice: JSON.parse('{"__proto__": "x"}') },
      { ...base, input: 'pair 😀 ok' },
      { ...base, metadata: JSON.parse('['.repeat(70) + ']'.repeat(70)) },
      { ...base, metadata: { deep: JSON.parse('['.repeat(62) + ']'.repeat(62)) } },
      { ...base, metadata: { k: 'nul\u0000' } },
      { ...base, id: '😀'.repeat(101) },
      [base],
      null,
    ];
    for (const v of odd) expect(validateTrace(v)).toEqual(validateTraceBySchema(v));
  });
});

describe('canonicalTraceJson', () => {
  it('is stableStringify of every accepted trace, redacted or not', () => {
    const redaction = RedactionSettingsSchema.parse({ enabled: true, custom: ['secret'] });
    fc.assert(
      fc.property(trace, (input) => {
        const r = validateTrace(JSON.parse(JSON.stringify(input)));
        if (!r.ok) return;
        for (const t of [r.trace, redactTrace(r.trace, redaction)]) expect(canonicalTraceJson(t)).toBe(stableStringify(t));
      }),
      { numRuns: 4000 },
    );
  });

  it('matches on traces shaped like production traffic', () => {
    const lines = readFileSync(new URL('./fixtures/production-like.ndjson', import.meta.url), 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines) {
      const r = validateTrace(JSON.parse(line));
      expect(r.ok).toBe(true);
      const t = (r as { trace: NormalizedTrace }).trace;
      expect(canonicalTraceJson(t)).toBe(stableStringify(t));
      expect(r).toEqual(validateTraceBySchema(JSON.parse(line)));
    }
  });
});
