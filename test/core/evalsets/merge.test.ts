import { describe, expect, it } from 'vitest';
import { caseContentHash } from '../../../core/evalsets/content-hash';
import { planMerge, type ExistingCase } from '../../../core/evalsets/merge';
import { NEAR_DUPLICATE_THRESHOLD } from '../../../core/sampling/near-duplicates';
import { similarity } from '../../../core/text/normalize';
import { evalCase, label } from './fixtures';

const existing = (caseKey: string, input: string, overrides: Partial<ExistingCase> = {}): ExistingCase => ({
  caseKey,
  input,
  contentHash: caseContentHash(evalCase({ caseKey, input })),
  retired: false,
  ...overrides,
});
const cand = (caseKey: string, input: string) => evalCase({ caseKey, input });
const keys = (cs: { caseKey: string }[]) => cs.map((c) => c.caseKey);

describe('planMerge', () => {
  it('uses the sampler near-duplicate threshold (0.9) by default', () => {
    expect(NEAR_DUPLICATE_THRESHOLD).toBe(0.9);
  });

  it('skips an unchanged case and plans a changed one as a change', () => {
    const plan = planMerge(
      [existing('trace:a', 'reset my password'), existing('trace:b', 'cancel my order')],
      [cand('trace:a', 'reset my password'), evalCase({ caseKey: 'trace:b', input: 'cancel my order', labels: [label({ verdict: 'fail' })] })],
    );
    expect(plan.add).toEqual([]);
    expect(keys(plan.change)).toEqual(['trace:b']);
    expect(plan.skipped).toEqual([{ caseKey: 'trace:a', reason: 'unchanged' }]);
  });

  it('skips an input equal after normalisation to an active case, naming it', () => {
    const plan = planMerge([existing('trace:a', 'How do I reset my password?')], [cand('trace:n', '  HOW do i reset my   password!!')]);
    expect(plan.add).toEqual([]);
    expect(plan.skipped).toEqual([{ caseKey: 'trace:n', reason: 'duplicate: same normalised input as trace:a' }]);
  });

  it('skips near-duplicates at or above the default threshold and keeps ones below it', () => {
    const near = 'my app crashed when opening settings';
    const base = 'my app crashes when I open settings';
    const far = 'refund for order 5678';
    expect(similarity(near, base)).toBeGreaterThanOrEqual(0.9);
    expect(similarity(far, 'refund for order 1234')).toBeLessThan(0.9);
    const plan = planMerge([existing('trace:a', base), existing('trace:r', 'refund for order 1234')], [cand('trace:n', near), cand('trace:f', far)]);
    expect(keys(plan.add)).toEqual(['trace:f']);
    expect(plan.skipped).toEqual([{ caseKey: 'trace:n', reason: `near-duplicate (${similarity(near, base).toFixed(2)}) of trace:a` }]);
    expect(plan.skipped[0]!.reason).toBe('near-duplicate (0.90) of trace:a');
  });

  it('treats the threshold as inclusive: skipped exactly at it, added just above it', () => {
    const a = 'how do I export my invoices to CSV';
    const b = 'how can I export my invoice to csv';
    const s = similarity(a, b);
    expect(s).toBeGreaterThan(0.9);
    expect(s).toBeLessThan(0.95);
    const at = planMerge([existing('trace:a', a)], [cand('trace:b', b)], { threshold: s });
    expect(at.skipped).toEqual([{ caseKey: 'trace:b', reason: `near-duplicate (${s.toFixed(2)}) of trace:a` }]);
    const above = planMerge([existing('trace:a', a)], [cand('trace:b', b)], { threshold: s + 1e-9 });
    expect(keys(above.add)).toEqual(['trace:b']);
    expect(above.skipped).toEqual([]);
  });

  it('names the most similar case when several are over the threshold', () => {
    const plan = planMerge(
      [existing('trace:x', 'cancel my subscription'), existing('trace:y', 'please cancel my subscription now')],
      [cand('trace:n', 'please cancel my subscription')],
    );
    const sx = similarity('please cancel my subscription', 'cancel my subscription');
    const sy = similarity('please cancel my subscription', 'please cancel my subscription now');
    const best = sx >= sy ? 'trace:x' : 'trace:y';
    expect(plan.skipped[0]!.reason).toBe(`near-duplicate (${Math.max(sx, sy).toFixed(2)}) of ${best}`);
  });

  it('dedupes candidates among themselves, first one wins', () => {
    const plan = planMerge(
      [],
      [cand('trace:1', 'cancel my subscription'), cand('trace:2', 'Cancel my subscription.'), cand('trace:3', 'I want to cancel my subscription please'), cand('trace:1', 'other')],
    );
    expect(keys(plan.add)).toEqual(['trace:1']);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      'duplicate: same normalised input as trace:1',
      `near-duplicate (${similarity('I want to cancel my subscription please', 'cancel my subscription').toFixed(2)}) of trace:1`,
      'duplicate: caseKey listed twice in this merge',
    ]);
  });

  it('ignores retired cases: their inputs do not block, their keys can come back', () => {
    const plan = planMerge(
      [existing('trace:old', 'cancel my subscription', { retired: true }), existing('trace:back', 'weather in Paris', { retired: true })],
      [cand('trace:new', 'cancel my subscription'), cand('trace:back', 'weather in Paris')],
    );
    expect(keys(plan.add)).toEqual(['trace:new', 'trace:back']);
    expect(plan.change).toEqual([]);
    expect(plan.skipped).toEqual([]);
  });

  it('never treats inputs that normalise to nothing as duplicates', () => {
    const plan = planMerge([existing('trace:a', '???')], [cand('trace:b', '!!!'), cand('trace:c', '...')]);
    expect(keys(plan.add)).toEqual(['trace:b', 'trace:c']);
  });

  it('rejects thresholds outside (0, 1]', () => {
    expect(() => planMerge([], [], { threshold: 0 })).toThrow(RangeError);
    expect(() => planMerge([], [], { threshold: 1.5 })).toThrow(RangeError);
    expect(() => planMerge([], [], { threshold: Number.NaN })).toThrow(RangeError);
  });
});
