// Property-based tests (fast-check) for the pure parsers that take outside input: the
// NDJSON line splitter, the trace parser, the label input parser, the judge output parser,
// the import field mapping, and user-supplied regular expressions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MappingSchema, PRESETS, mapRow, type FieldMapping } from '../../core/imports/field-mapping';
import { parseJudgment } from '../../core/judge/parse-judgment';
import { DEFAULT_FAILURE_TAXONOMY, parseLabelInput } from '../../core/labeling/label-input';
import { DIMENSIONS } from '../../core/stats/agreement';
import { compileUserPattern, MAX_USER_PATTERN_LENGTH } from '../../core/text/user-pattern';
import { findStringProblems, parseTraceLine } from '../../core/traces/trace-schema';
import { splitNdjsonLines, type NdjsonLine } from '../../services/ingestion/ndjson-lines';

const NEWLINE = 0x0a;

async function collect(chunks: (Buffer | string)[], maxLineBytes: number): Promise<NdjsonLine[]> {
  async function* source() {
    for (const chunk of chunks) yield chunk;
  }
  const out: NdjsonLine[] = [];
  for await (const line of splitNdjsonLines(source(), maxLineBytes)) out.push(line);
  return out;
}

/** The splitter's contract, written the obvious way on the whole buffer. */
function referenceLines(bytes: Buffer, maxLineBytes: number): NdjsonLine[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === NEWLINE) {
      pieces.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  return pieces.map((piece, i) => (piece.length > maxLineBytes ? { line: i + 1, oversizeBytes: piece.length } : { line: i + 1, text: piece.toString('utf8') }));
}

/** Cuts a buffer at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(Buffer.from(bytes.subarray(previous, point)));
    previous = point;
  }
  return chunks;
}

// Bytes with many newlines and multi-byte UTF-8 (emoji, RTL, combining marks, NUL, broken sequences).
const ndjsonBytes = fc
  .array(
    fc.oneof(
      fc.constant(Buffer.from('\n')),
      fc.constant(Buffer.from('\r\n')),
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => Buffer.from(s, 'utf8')),
      fc.constantFrom('😀', 'שלום', 'e\u0301\u0301\u0301', '\u200b\u200f', '\u0000', '{"id":"x"}').map((s) => Buffer.from(s, 'utf8')),
      fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.concat(parts));

describe('NDJSON line splitter', () => {
  it('any chunking of the same bytes yields the same lines, equal to splitting the whole body', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonBytes, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), async (bytes, offsets, maxLineBytes) => {
        const expected = referenceLines(bytes, maxLineBytes);
        expect(await collect([bytes], maxLineBytes)).toEqual(expected);
        expect(await collect(cut(bytes, offsets), maxLineBytes)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('one byte at a time gives the same lines as one chunk, and string chunks read as UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { maxLength: 10 }), async (rows) => {
        const body = rows.join('\n');
        const bytes = Buffer.from(body, 'utf8');
        const whole = await collect([bytes], 1024);
        expect(await collect([...bytes].map((b) => Buffer.from([b])), 1024)).toEqual(whole);
        expect(await collect([body], 1024)).toEqual(whole);
        // Lines past the last newline are kept; an empty body has none.
        expect(whole.map((l) => ('text' in l ? l.text : null))).toEqual(body === '' ? [] : body.split('\n').filter((_, i, all) => i < all.length - 1 || all[i] !== ''));
      }),
    );
  });
});

describe('trace line parser', () => {
  it('never throws: any line is either a trace or a rejection with a code and a clean reason', () => {
    const weird = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.json(),
      fc.constantFrom('\uD800', '\uDFFF', '\u0000', '\u202E', 'a\u0301'.repeat(5000), '{"id":"\\ud800"}', '{"id":"a\\u0000"}'),
    );
    fc.assert(
      fc.property(weird, fc.integer({ min: 1, max: 1_000_000 }), (text, line) => {
        const result = parseTraceLine(text, line);
        if (result.ok) {
          expect(findStringProblems(result.trace)).toEqual([]);
        } else {
          expect(result.line).toBe(line);
          expect(typeof result.code).toBe('string');
          expect(result.reason.startsWith(`line ${line}: `)).toBe(true);
          // A reason never carries the characters that made the line bad.
          expect(findStringProblems(result.reason)).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

const score = fc.integer({ min: 1, max: 5 });
const scores = fc.record(Object.fromEntries(DIMENSIONS.map((d) => [d, score])) as Record<(typeof DIMENSIONS)[number], fc.Arbitrary<number>>);
const validLabel = fc
  .tuple(
    scores,
    fc.record(
      {
        verdict: fc.constantFrom('pass', 'fail'),
        failureCategory: fc.constantFrom(...DEFAULT_FAILURE_TAXONOMY),
        expected: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
        notes: fc.string({ unit: 'grapheme', maxLength: 200 }),
      },
      { requiredKeys: ['verdict', 'failureCategory'] },
    ),
  )
  .map(([s, rest]) => ({ ...s, ...rest }));

describe('label input parser', () => {
  it('never throws; whatever it accepts is on the 1-5 scales, pass or fail, and a fail has a category of the taxonomy', () => {
    const anyInput = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom(...DIMENSIONS, 'verdict', 'failureCategory', 'notes', 'expected', 'extra'), fc.jsonValue()), validLabel);
    fc.assert(
      fc.property(anyInput, (input) => {
        const result = parseLabelInput(input, DEFAULT_FAILURE_TAXONOMY);
        if (!result.ok) {
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        for (const d of DIMENSIONS) expect([1, 2, 3, 4, 5]).toContain(result.label.scores[d]);
        expect(['pass', 'fail']).toContain(result.label.verdict);
        if (result.label.verdict === 'fail') expect(DEFAULT_FAILURE_TAXONOMY).toContain(result.label.failureCategory);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every valid label as given, and refuses any out-of-scale score naming the dimension', () => {
    fc.assert(
      fc.property(validLabel, fc.constantFrom(...DIMENSIONS), fc.oneof(fc.integer({ min: -100, max: 0 }), fc.integer({ min: 6, max: 100 }), fc.double({ min: 1.01, max: 4.99, noNaN: true }).filter((x) => !Number.isInteger(x))), (label, dimension, bad) => {
        const accepted = parseLabelInput(label, DEFAULT_FAILURE_TAXONOMY);
        expect(accepted.ok).toBe(true);
        if (accepted.ok) {
          expect(accepted.label.scores).toEqual(Object.fromEntries(DIMENSIONS.map((d) => [d, (label as Record<string, unknown>)[d]])));
          expect(accepted.label.failureCategory).toBe(label.failureCategory);
        }
        const refused = parseLabelInput({ ...label, [dimension]: bad }, DEFAULT_FAILURE_TAXONOMY);
        expect(refused.ok).toBe(false);
        if (!refused.ok) expect(refused.reason).toContain(dimension);
      }),
    );
  });
});

const judgment = fc.record({
  scores,
  verdict: fc.constantFrom('pass', 'fail', 'PASS', ' Fail '),
  rationale: fc.string({ unit: 'grapheme', maxLength: 100 }),
});
const proseWithoutBraces = fc.string({ unit: 'grapheme', maxLength: 80 }).filter((s) => !/[{}]/.test(s));

describe('judge output parser', () => {
  it('never throws on any reply; an accepted judgment is on the scales', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.constantFrom('{', '}{', '{"scores":', '{{{{'.repeat(1000))), (reply) => {
        const result = parseJudgment(reply);
        if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
        else for (const d of DIMENSIONS) expect([1, 2, 3, 4, 5]).toContain(result.judgment.scores[d]);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a valid judgment bare, fenced or inside prose, and reads it back exactly', () => {
    fc.assert(
      fc.property(judgment, proseWithoutBraces, proseWithoutBraces, fc.constantFrom('bare', 'fenced'), (j, before, after, wrap) => {
        const json = JSON.stringify(j);
        const reply = `${before}${wrap === 'fenced' ? `\n\`\`\`json\n${json}\n\`\`\`\n` : json}${after}`;
        const result = parseJudgment(reply);
        expect(result).toEqual({ ok: true, judgment: { scores: j.scores, verdict: j.verdict.trim().toLowerCase(), rationale: j.rationale } });
      }),
    );
  });

  it('refuses a judgment with any score off the scale', () => {
    fc.assert(
      fc.property(judgment, fc.constantFrom(...DIMENSIONS), fc.oneof(fc.constant(0), fc.constant(6), fc.constant(2.5), fc.constant('4')), (j, dimension, bad) => {
        expect(parseJudgment(JSON.stringify({ ...j, scores: { ...j.scores, [dimension]: bad } })).ok).toBe(false);
      }),
    );
  });
});

const fieldName = fc.constantFrom('item', 'rater', 'kind', 'a', 'b', 'winner', 'score', 'verdict', 'turn', '__proto__', 'constructor');
const pattern = fc.oneof(fc.constantFrom('^human$', '^gpt', '(a+)+$', '(', '(?<=x)y', '\\', '.*'), fc.string({ maxLength: 20 }));
const mappingCandidate = fc.record(
  {
    itemId: fc.oneof(fieldName, fc.array(fieldName, { minLength: 1, maxLength: 3 })),
    raterId: fieldName,
    raterKind: fc.oneof(fc.constantFrom('human', 'judge'), fc.record({ field: fieldName, humanPattern: pattern, judgePattern: pattern }, { requiredKeys: ['field'] })),
    group: fieldName,
    answerA: fieldName,
    answerB: fieldName,
    winner: fc.record({ field: fieldName, A: fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 }), B: fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 }) }),
    scores: fc.dictionary(fc.constantFrom(...DIMENSIONS), fieldName),
    verdict: fc.record({ field: fieldName, pass: fc.constant(['pass']), fail: fc.constant(['fail']) }),
  },
  { requiredKeys: ['itemId', 'raterId', 'raterKind'] },
);
const rowValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('human', 'judge', 'gpt-4', 'pass', 'fail', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'), fc.integer({ min: -2, max: 8 }));
const row = fc.oneof(fc.dictionary(fieldName, rowValue), fc.jsonValue());

describe('import field mapping', () => {
  it('validating a mapping never throws, and a mapping it accepts has compilable rater patterns', () => {
    fc.assert(
      fc.property(fc.oneof(mappingCandidate, fc.jsonValue()), (candidate) => {
        const parsed = MappingSchema.safeParse(candidate);
        if (parsed.success && typeof parsed.data.raterKind !== 'string') {
          for (const p of [parsed.data.raterKind.humanPattern, parsed.data.raterKind.judgePattern]) if (p !== undefined) expect(compileUserPattern(p).ok).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('mapping a row never throws, whatever the (validated) mapping and the row; what it maps is well formed', () => {
    const validated = mappingCandidate.map((m) => MappingSchema.safeParse(m)).filter((p) => p.success).map((p) => p.data as FieldMapping);
    const mappings = fc.oneof(validated, fc.constantFrom(PRESETS['mt-bench']!.pairwise!, PRESETS.default!.pairwise!, PRESETS.default!.pointwise!));
    fc.assert(
      fc.property(row, mappings, fc.constantFrom('pairwise', 'pointwise') as fc.Arbitrary<'pairwise' | 'pointwise'>, (r, mapping, kind) => {
        const result = mapRow(r, mapping, kind);
        if (!result.ok) {
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        const j = result.judgment;
        expect(['human', 'judge']).toContain(j.raterKind);
        expect(j.itemId.length).toBeGreaterThan(0);
        if (kind === 'pairwise') {
          expect(['A', 'B', 'tie']).toContain(j.winner);
          expect(j.answerA).not.toBe(j.answerB);
        } else {
          for (const v of Object.values(j.scores)) expect([1, 2, 3, 4, 5]).toContain(v);
          expect(Object.keys(j.scores).length > 0 || j.verdict !== null).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('user-supplied regular expressions', () => {
  it('compiling never throws; a compiled pattern tests and replaces any text without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(pattern, fc.string({ unit: 'binary', maxLength: 30 })), fc.string({ unit: 'binary', maxLength: 200 }), (source, text) => {
        const compiled = compileUserPattern(source);
        if (!compiled.ok) {
          expect(compiled.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(typeof compiled.pattern.test(text)).toBe('boolean');
        expect(typeof compiled.pattern.replaceAll(text, '[REDACTED]')).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('runs catastrophic-backtracking patterns in linear time (a backtracking engine would not finish)', () => {
    // (a+)+$ over 30 a's and a b is ~2^30 steps for a backtracking engine; RE2 reads it once.
    const text = `${'a'.repeat(50_000)}b`;
    for (const source of ['(a+)+$', '(a|aa)+$', '(a*)*b?$c', '^(([a-z])+.)+[A-Z]([a-z])+$']) {
      const compiled = compileUserPattern(source);
      expect(compiled.ok).toBe(true);
      if (compiled.ok) expect(compiled.pattern.test(text)).toBe(false);
    }
    expect(compileUserPattern('a'.repeat(MAX_USER_PATTERN_LENGTH + 1))).toMatchObject({ ok: false });
    expect(compileUserPattern('(?<=x)y')).toMatchObject({ ok: false, reason: expect.stringMatching(/RE2/) });
  });
});
