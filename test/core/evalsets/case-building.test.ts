import { describe, expect, it } from 'vitest';
import {
  ADJUDICATION_SCORE_GAP,
  DEFAULT_SEVERE_CATEGORIES,
  belongsInRegression,
  buildCaseFromItem,
} from '../../../core/evalsets/case-building';
import { evalCase, item, label } from './fixtures';

const scores = (s: number) => ({ correctness: s, relevance: s, clarity: s, calibration: s, length: s });

describe('buildCaseFromItem', () => {
  it('copies the trace into case content with a trace: caseKey and its sources', () => {
    const it1 = item();
    const c = buildCaseFromItem(it1);
    expect(c).toEqual({
      caseKey: 'trace:ext-1',
      input: it1.input,
      sessionContext: it1.sessionContext,
      retrievedContext: it1.retrievedContext,
      output: it1.output,
      expected: null,
      labels: it1.labels,
      verdict: 'pass',
      failureCategory: null,
      slice: { intent: 'account', locale: 'en' },
      needsAdjudication: false,
      sourceTraceId: 'db-trace-1',
      sourceRunId: 'run-1',
    });
    // Deep copies: editing the item afterwards does not reach the case.
    it1.labels[0]!.scores.correctness = 1;
    it1.slice['intent'] = 'x';
    expect(c.labels[0]!.scores.correctness).toBe(4);
    expect(c.slice['intent']).toBe('account');
  });

  it('takes the agreed verdict and category when the labels agree', () => {
    const c = buildCaseFromItem(
      item({
        labels: [
          label({ reviewerId: 'a', verdict: 'fail', failureCategory: 'hallucination', scores: scores(2) }),
          label({ reviewerId: 'b', verdict: 'fail', failureCategory: 'hallucination', scores: scores(1) }),
        ],
      }),
    );
    expect(c.verdict).toBe('fail');
    expect(c.failureCategory).toBe('hallucination');
    expect(c.needsAdjudication).toBe(false);
  });

  it('flags a verdict disagreement for adjudication and keeps both labels in full', () => {
    const a = label({ reviewerId: 'alice', verdict: 'pass', notes: 'fine by me' });
    const b = label({ reviewerId: 'bob', verdict: 'fail', failureCategory: 'incomplete', notes: 'misses step 2', expected: 'Mention 2FA too' });
    const c = buildCaseFromItem(item({ labels: [a, b] }));
    expect(c.verdict).toBeNull();
    expect(c.needsAdjudication).toBe(true);
    expect(c.labels).toEqual([a, b]);
    // The one failing reviewer's category is kept so the case says what was seen.
    expect(c.failureCategory).toBe('incomplete');
    expect(c.expected).toBe('Mention 2FA too');
  });

  it(`flags a score gap of ${ADJUDICATION_SCORE_GAP} on any dimension even when verdicts agree`, () => {
    const wide = buildCaseFromItem(
      item({ labels: [label({ reviewerId: 'a', scores: scores(4) }), label({ reviewerId: 'b', scores: { ...scores(4), clarity: 2 } })] }),
    );
    expect(wide.verdict).toBe('pass');
    expect(wide.needsAdjudication).toBe(true);

    const narrow = buildCaseFromItem(
      item({ labels: [label({ reviewerId: 'a', scores: scores(4) }), label({ reviewerId: 'b', scores: { ...scores(4), clarity: 3 } })] }),
    );
    expect(narrow.needsAdjudication).toBe(false);
  });

  it('flags failing labels that name different categories and records no category', () => {
    const c = buildCaseFromItem(
      item({
        labels: [
          label({ reviewerId: 'a', verdict: 'fail', failureCategory: 'hallucination' }),
          label({ reviewerId: 'b', verdict: 'fail', failureCategory: 'wrong_tool_call' }),
        ],
      }),
    );
    expect(c.verdict).toBe('fail');
    expect(c.failureCategory).toBeNull();
    expect(c.needsAdjudication).toBe(true);
  });

  it('ignores a category on a pass label for the case category', () => {
    const c = buildCaseFromItem(item({ labels: [label({ failureCategory: 'verbose' })] }));
    expect(c.failureCategory).toBeNull();
  });

  it('takes the first non-blank expected', () => {
    const c = buildCaseFromItem(
      item({ labels: [label({ reviewerId: 'a', expected: '   ' }), label({ reviewerId: 'b', expected: 'Say X' }), label({ reviewerId: 'c', expected: 'Say Y' })] }),
    );
    expect(c.expected).toBe('Say X');
  });

  it('gives a case with no labels no verdict and asks for a human', () => {
    const c = buildCaseFromItem(item({ labels: [] }));
    expect(c.verdict).toBeNull();
    expect(c.needsAdjudication).toBe(true);
  });
});

describe('belongsInRegression', () => {
  it('uses hallucination and wrong_tool_call as the default severe categories', () => {
    expect(DEFAULT_SEVERE_CATEGORIES).toEqual(['hallucination', 'wrong_tool_call']);
  });

  it('includes any case with a failing label, even when the verdict is undecided', () => {
    const c = evalCase({ verdict: null, needsAdjudication: true, labels: [label(), label({ reviewerId: 'b', verdict: 'fail' })] });
    expect(belongsInRegression(c, DEFAULT_SEVERE_CATEGORIES)).toBe(true);
  });

  it('includes a passed case whose label names a severe category', () => {
    const c = evalCase({ labels: [label({ failureCategory: 'Hallucination ' })] });
    expect(belongsInRegression(c)).toBe(true);
    expect(belongsInRegression(c, ['wrong_tool_call'])).toBe(false);
  });

  it('includes an imported case with verdict fail and no labels', () => {
    expect(belongsInRegression(evalCase({ verdict: 'fail', labels: [] }))).toBe(true);
  });

  it('leaves out passing cases with no or minor categories', () => {
    expect(belongsInRegression(evalCase())).toBe(false);
    expect(belongsInRegression(evalCase({ labels: [label({ failureCategory: 'verbose' })] }))).toBe(false);
  });
});
