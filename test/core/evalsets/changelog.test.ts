import { describe, expect, it } from 'vitest';
import { UNDECIDED_VERDICT, UNTAGGED_SLICE, countsBy, diffVersions, type CountableCase } from '../../../core/evalsets/changelog';

const ref = (caseKey: string, contentHash: string) => ({ caseKey, contentHash, caseId: `${caseKey}@${contentHash}` });

describe('diffVersions', () => {
  it('reports added, retired, changed (sorted) and counts unchanged, by caseKey', () => {
    const a = [ref('trace:keep', 'h1'), ref('trace:edit', 'h2'), ref('trace:gone', 'h3'), ref('trace:also-gone', 'h4')];
    const b = [ref('trace:new-z', 'h9'), ref('trace:edit', 'h2b'), ref('trace:keep', 'h1'), ref('trace:new-a', 'h8')];
    expect(diffVersions(a, b)).toEqual({
      added: ['trace:new-a', 'trace:new-z'],
      retired: ['trace:also-gone', 'trace:gone'],
      changed: ['trace:edit'],
      unchanged: 1,
    });
  });

  it('diffs the first version against nothing as all added', () => {
    expect(diffVersions([], [ref('k', 'h')])).toEqual({ added: ['k'], retired: [], changed: [], unchanged: 0 });
  });

  it('throws on a caseKey listed twice in one version', () => {
    expect(() => diffVersions([ref('k', 'h'), ref('k', 'h2')], [])).toThrow(/appears twice/);
  });
});

describe('countsBy', () => {
  const cases: CountableCase[] = [
    { slice: { intent: 'billing' }, failureCategory: 'hallucination', verdict: 'fail' },
    { slice: { intent: 'billing' }, failureCategory: null, verdict: 'pass' },
    { slice: { intent: 'account' }, failureCategory: 'hallucination', verdict: null },
    { slice: {}, failureCategory: 'wrong_tool_call', verdict: 'fail' },
  ];

  it('counts by slice value, failure category and verdict', () => {
    expect(countsBy(cases, 'intent')).toEqual({
      total: 4,
      bySlice: { account: 1, billing: 2, [UNTAGGED_SLICE]: 1 },
      byCategory: { hallucination: 2, wrong_tool_call: 1 },
      byVerdict: { fail: 2, pass: 1, [UNDECIDED_VERDICT]: 1 },
    });
  });

  it('leaves bySlice empty when no slice dimension is configured', () => {
    expect(countsBy(cases, '').bySlice).toEqual({});
  });

  it('keeps odd slice values as data', () => {
    const r = countsBy([{ slice: { intent: '__proto__' }, failureCategory: null, verdict: 'pass' }], 'intent');
    expect(Object.keys(r.bySlice)).toEqual(['__proto__']);
    expect(countsBy([{ slice: {}, failureCategory: null, verdict: 'pass' }], 'constructor').bySlice).toEqual({ [UNTAGGED_SLICE]: 1 });
  });
});
