import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseContentHash } from '../../../core/evalsets/content-hash';
import {
  EVAL_SET_JSONL_FORMAT,
  OPENAI_EVALS_SYSTEM_PROMPT,
  PROMPTFOO_SIMILAR_THRESHOLD,
  openAiEvalsSamples,
  parseEvalSetJsonl,
  toJsonl,
  toOpenAiEvalsSamples,
  toPromptfooTests,
} from '../../../core/evalsets/export-formats';
import type { CaseLabel, EvalCaseContent, ExportCase } from '../../../core/evalsets/types';
import { DIMENSIONS } from '../../../core/stats/agreement';
import { findStringProblems } from '../../../core/traces/trace-schema';
import { evalCase, exportCase, label } from './fixtures';

const content = ({ id: _id, contentHash: _h, ...rest }: ExportCase): EvalCaseContent => rest;

const rich = exportCase({
  id: 'row-7',
  contentHash: 'abc123',
  caseKey: 'trace:ext-7',
  input: 'Where is my refund for order 1234?',
  sessionContext: [{ input: 'hi', output: 'Hello!' }, { input: 'I returned a jacket', output: 'Sorry to hear that. What can I do?' }],
  retrievedContext: [{ id: 'kb-1', text: 'Refunds take 5 business days.' }, { id: 'kb-2', text: 'Track refunds under Orders.' }],
  output: 'Your refund was sent yesterday.',
  expected: 'Says refunds take 5 business days and points to Orders → Refunds.',
  labels: [label({ reviewerId: 'a', verdict: 'fail', failureCategory: 'hallucination' }), label({ reviewerId: 'b', verdict: 'fail', failureCategory: 'hallucination' })],
  verdict: 'fail',
  failureCategory: 'hallucination',
  slice: { locale: 'en', intent: 'refund' },
  needsAdjudication: false,
  sourceTraceId: 'db-7',
  sourceRunId: 'run-3',
});

describe('toPromptfooTests', () => {
  it('emits description, vars {input, context, history}, an llm-rubric with the expected behaviour, and metadata', () => {
    expect(toPromptfooTests([rich])).toEqual([
      {
        description: 'trace:ext-7: Where is my refund for order 1234?',
        vars: {
          input: 'Where is my refund for order 1234?',
          context: '[kb-1]\nRefunds take 5 business days.\n\n[kb-2]\nTrack refunds under Orders.',
          history: 'User: hi\nAssistant: Hello!\nUser: I returned a jacket\nAssistant: Sorry to hear that. What can I do?',
        },
        assert: [
          {
            type: 'llm-rubric',
            value: 'The response meets the expected behaviour reviewers wrote for this request:\nSays refunds take 5 business days and points to Orders → Refunds.',
          },
        ],
        metadata: {
          caseId: 'row-7',
          caseKey: 'trace:ext-7',
          contentHash: 'abc123',
          verdict: 'fail',
          needsAdjudication: false,
          failureCategory: 'hallucination',
          sourceTraceId: 'db-7',
          'slice.intent': 'refund',
          'slice.locale': 'en',
        },
      },
    ]);
  });

  it('uses vars that are all strings (promptfoo expands string-array vars into several tests)', () => {
    const [t] = toPromptfooTests([exportCase()]);
    expect(t!.vars).toEqual({ input: 'How do I reset my password?', context: '', history: '' });
  });

  it('falls back to `similar` on an approved output, and to a "do not repeat" rubric on a failure', () => {
    const [pass] = toPromptfooTests([exportCase({ expected: null })]);
    expect(pass!.assert).toEqual([{ type: 'similar', value: 'Go to Settings → Security → Reset password.', threshold: PROMPTFOO_SIMILAR_THRESHOLD }]);

    const [fail] = toPromptfooTests([exportCase({ expected: null, verdict: 'fail', failureCategory: 'wrong_tool_call', labels: [label({ verdict: 'fail' })], output: 'Called delete_account.' })]);
    expect(fail!.assert).toEqual([
      {
        type: 'llm-rubric',
        value: 'The response does not repeat the failure reviewers found (wrong_tool_call) in the production answer to this request.\nThe failing production answer was:\nCalled delete_account.',
      },
    ]);

    const [unlabelled] = toPromptfooTests([exportCase({ expected: null, output: null, labels: [], verdict: null, needsAdjudication: true })]);
    expect(unlabelled!.assert).toEqual([]);
    expect(unlabelled!.metadata['verdict']).toBe('undecided');
    expect(unlabelled!.metadata['needsAdjudication']).toBe(true);
  });

  it('keeps template syntax in rubric text literal and truncates long descriptions', () => {
    const [t] = toPromptfooTests([exportCase({ input: 'x'.repeat(200), expected: 'Answer with {{name}} filled in' })]);
    expect(t!.assert[0]!.value).toBe('{% raw %}The response meets the expected behaviour reviewers wrote for this request:\nAnswer with {{name}} filled in{% endraw %}');
    expect(t!.description).toBe(`trace:ext-1: ${'x'.repeat(79)}…`);
  });
});

describe('OpenAI Evals samples', () => {
  it('emits {input: [system, ...history as user/assistant, user], ideal} per line', () => {
    const jsonl = toOpenAiEvalsSamples([rich]);
    expect(jsonl.endsWith('\n')).toBe(true);
    const lines = jsonl.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      input: [
        {
          role: 'system',
          content: `${OPENAI_EVALS_SYSTEM_PROMPT}\n\nRetrieved context:\n[kb-1]\nRefunds take 5 business days.\n\n[kb-2]\nTrack refunds under Orders.`,
        },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'I returned a jacket' },
        { role: 'assistant', content: 'Sorry to hear that. What can I do?' },
        { role: 'user', content: 'Where is my refund for order 1234?' },
      ],
      ideal: 'Says refunds take 5 business days and points to Orders → Refunds.',
    });
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['input', 'ideal']);
  });

  it('uses the approved output as ideal when there is no expected, never a failed one', () => {
    const r = openAiEvalsSamples([
      evalCase({ caseKey: 'trace:ok', expected: null }),
      evalCase({ caseKey: 'trace:bad', expected: null, verdict: null, labels: [label(), label({ reviewerId: 'b', verdict: 'fail' })] }),
    ]);
    expect(r.samples).toEqual([
      { input: [{ role: 'system', content: OPENAI_EVALS_SYSTEM_PROMPT }, { role: 'user', content: 'How do I reset my password?' }], ideal: 'Go to Settings → Security → Reset password.' },
    ]);
    expect(r.skipped).toEqual([{ caseKey: 'trace:bad', reason: 'no expected answer, and the production output was failed by a reviewer (or is empty)' }]);
  });
});

// ---------------------------------------------------------------------------------------
// Our JSONL
// ---------------------------------------------------------------------------------------

// Storable text: NUL and lone surrogates are refused by line (tested below), so they are not generated here.
const storable = (s: string) => findStringProblems(s).length === 0;
const text = fc.string({ unit: 'binary', maxLength: 40 }).filter(storable);
const nullableText = fc.option(text, { nil: null });
const labelArb: fc.Arbitrary<CaseLabel> = fc.record({
  reviewerId: fc.string({ minLength: 1, maxLength: 12 }),
  scores: fc.record(Object.fromEntries(DIMENSIONS.map((d) => [d, fc.integer({ min: 1, max: 5 })])) as Record<(typeof DIMENSIONS)[number], fc.Arbitrary<number>>),
  verdict: fc.constantFrom('pass' as const, 'fail' as const),
  failureCategory: nullableText,
  expected: nullableText,
  notes: nullableText,
});
const caseArb = (caseKey: string): fc.Arbitrary<EvalCaseContent> =>
  fc.record({
    caseKey: fc.constant(caseKey),
    input: text,
    sessionContext: fc.array(fc.record({ input: text, output: text }), { maxLength: 3 }),
    retrievedContext: fc.array(fc.record({ id: text, text }), { maxLength: 3 }),
    output: nullableText,
    expected: nullableText,
    labels: fc.array(labelArb, { maxLength: 3 }),
    verdict: fc.constantFrom('pass' as const, 'fail' as const, null),
    failureCategory: nullableText,
    slice: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), text, { maxKeys: 3 }),
    needsAdjudication: fc.boolean(),
    sourceTraceId: nullableText,
    sourceRunId: nullableText,
  });
const casesArb = fc
  .uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }).filter(storable), { maxLength: 6 })
  .chain((keys) => (keys.length === 0 ? fc.constant([] as EvalCaseContent[]) : fc.tuple(...keys.map(caseArb))));

describe('toJsonl / parseEvalSetJsonl', () => {
  it('round-trips generated cases exactly (content and content hash)', () => {
    fc.assert(
      fc.property(casesArb, fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 6, maxLength: 6 }), (cases, ids) => {
        const exported: ExportCase[] = cases.map((c, i) => ({ ...c, id: ids[i]!, contentHash: caseContentHash(c) }));
        const parsed = parseEvalSetJsonl(toJsonl(exported));
        expect(parsed.errors).toEqual([]);
        expect(parsed.cases).toEqual(cases);
        expect(parsed.cases.map(caseContentHash)).toEqual(exported.map((e) => e.contentHash));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses, by line, lines with NUL or lone surrogates (PostgreSQL cannot store them) and keeps the others', () => {
    const parsed = parseEvalSetJsonl(['{"caseKey":"a","input":"x\\u0000"}', '{"caseKey":"b","input":"ok"}', '{"caseKey":"c","input":"\\udc00"}'].join('\n'));
    expect(parsed.errors.map((e) => e.line)).toEqual([1, 3]);
    expect(parsed.errors[0]!.reason).toMatch(/NUL/);
    expect(parsed.errors[1]!.reason).toMatch(/lone surrogate/);
    expect(parsed.cases.map((c) => c.caseKey)).toEqual(['b']);
  });

  it('writes one object per line with format version, id, contentHash and every content field', () => {
    const jsonl = toJsonl([rich, exportCase({ id: 'row-8', caseKey: 'trace:8' })]);
    const lines = jsonl.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const first = JSON.parse(lines[0]!);
    expect(first).toEqual({ formatVersion: EVAL_SET_JSONL_FORMAT, ...rich });
    expect(Object.keys(first).slice(0, 3)).toEqual(['formatVersion', 'id', 'contentHash']);
    expect(toJsonl([])).toBe('');
    expect(parseEvalSetJsonl(jsonl).cases).toEqual([content(rich), content(exportCase({ id: 'row-8', caseKey: 'trace:8' }))]);
  });

  it('keeps a "__proto__" slice key as data', () => {
    const line = JSON.stringify({ caseKey: 'k', input: 'x' }).replace('}', ',"slice":{"__proto__":"v","a":"b"}}');
    const { cases, errors } = parseEvalSetJsonl(line);
    expect(errors).toEqual([]);
    expect(Object.keys(cases[0]!.slice)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(cases[0]!.slice)).toBe(Object.prototype);
  });

  it('fills defaults for a minimal hand-written line', () => {
    expect(parseEvalSetJsonl('{"caseKey":"golden:1","input":"What is 2+2?","expected":"4"}\n')).toEqual({
      cases: [
        {
          caseKey: 'golden:1',
          input: 'What is 2+2?',
          sessionContext: [],
          retrievedContext: [],
          output: null,
          expected: '4',
          labels: [],
          verdict: null,
          failureCategory: null,
          slice: {},
          needsAdjudication: false,
          sourceTraceId: null,
          sourceRunId: null,
        },
      ],
      errors: [],
    });
  });

  it('reports bad lines with 1-based line numbers and field-level reasons, keeping good lines', () => {
    const good = JSON.stringify({ caseKey: 'ok:1', input: 'hello' });
    const badScore = JSON.stringify({ caseKey: 'ok:2', input: 'x', labels: [{ ...label(), scores: { ...label().scores, clarity: 7 } }] });
    const file = [
      good, // 1
      '', // 2 (blank, skipped)
      '{"caseKey": "x", "input": ', // 3
      '[1,2]', // 4
      JSON.stringify({ caseKey: 'ok:3', input: 'x', verdict: 'maybe', colour: 'red' }), // 5
      badScore, // 6
      JSON.stringify({ input: 'no key' }), // 7
      JSON.stringify({ caseKey: 'ok:1', input: 'again' }), // 8
      JSON.stringify({ caseKey: 'ok:4', input: 'x', slice: { locale: 3 } }), // 9
      JSON.stringify({ caseKey: 'ok:5', input: 'x', formatVersion: 2 }), // 10
    ].join('\r\n');
    const { cases, errors } = parseEvalSetJsonl(file);
    expect(cases.map((c) => c.caseKey)).toEqual(['ok:1']);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const reason = (line: number) => errors.find((e) => e.line === line)!.reason;
    expect(reason(3)).toMatch(/^not valid JSON \(/);
    expect(reason(4)).toBe('must be a JSON object (one case per line), got an array');
    expect(reason(5)).toContain('colour: unknown field');
    expect(reason(5)).toContain('verdict: must be "pass", "fail" or null');
    expect(reason(6)).toBe('labels[0].scores.clarity: must be an integer from 1 to 5');
    expect(reason(7)).toMatch(/^caseKey: /);
    expect(reason(8)).toBe('caseKey "ok:1" already used on line 1');
    expect(reason(9)).toBe('slice.locale: must be a string (slice values are strings)');
    expect(reason(10)).toBe("formatVersion: must be 1 (this service's JSONL format)");
  });

  it('accepts a byte-order mark and ignores the trailing newline', () => {
    const { cases, errors } = parseEvalSetJsonl(`\uFEFF${toJsonl([exportCase()])}`);
    expect(errors).toEqual([]);
    expect(cases).toEqual([evalCase()]);
  });
});
