import { describe, expect, it } from 'vitest';
import type { ReconciledPair } from '../../../core/shadow/both-orders';
import { summariseOutcomes } from '../../../core/shadow/win-tie-loss';
import { wilsonInterval } from '../../../core/stats/intervals';

const win: ReconciledPair = { outcome: 'win', inconsistent: false, reversed: false };
const loss: ReconciledPair = { outcome: 'loss', inconsistent: false, reversed: false };
const tie: ReconciledPair = { outcome: 'tie', inconsistent: false, reversed: false };
const flipped: ReconciledPair = { outcome: 'tie', inconsistent: true, reversed: true };
const failed: ReconciledPair = { outcome: null, inconsistent: false, reversed: false };
const times = (p: ReconciledPair, n: number) => Array.from({ length: n }, () => p);

describe('win / tie / loss', () => {
  it('with no pairs reports nothing measured: null figures, never 0', () => {
    const r = summariseOutcomes([]);
    expect(r).toMatchObject({ pairs: 0, wins: 0, ties: 0, losses: 0, verdict: 'not_measured' });
    expect(r.winRate).toEqual({ value: null, n: 0, ci: null });
    expect(r.flipRate).toEqual({ value: null, n: 0, ci: null });
    expect(r.reading).toMatch(/not measured/);
    // Pairs whose judge calls failed are not pairs judged.
    expect(summariseOutcomes([failed, failed]).pairs).toBe(0);
  });

  it('with all ties cannot tell the answers apart and has no decisive share', () => {
    const r = summariseOutcomes([...times(tie, 4), flipped]);
    expect(r).toMatchObject({ pairs: 5, wins: 0, ties: 5, losses: 0, inconsistent: 1, verdict: 'no_clear_difference' });
    expect(r.tieRate.value).toBe(1);
    expect(r.decisiveWinShare).toEqual({ value: null, n: 0, ci: null });
    expect(r.flipRate.value).toBeCloseTo(0.2, 12);
    expect(r.reading).toMatch(/all 5 pairs are ties; 1 flipped with the order/);
  });

  it('with one pair gives its Wilson interval and does not claim a difference', () => {
    const r = summariseOutcomes([win]);
    const w = wilsonInterval(1, 1, 1.959963984540054);
    expect(r.winRate.value).toBe(1);
    expect(r.winRate.ci!.low).toBeCloseTo(w.low!, 9);
    expect(r.winRate.ci!.high).toBe(1);
    expect(r.verdict).toBe('no_clear_difference');
  });

  it('calls a candidate better or worse only when the decisive share excludes one half', () => {
    const better = summariseOutcomes([...times(win, 18), ...times(tie, 4), ...times(loss, 2)]);
    expect(better.verdict).toBe('candidate_better');
    expect(better.winRate.value).toBeCloseTo(18 / 24, 12);
    expect(better.decisiveWinShare.value).toBeCloseTo(0.9, 12);
    expect(better.decisiveWinShare.ci!.low).toBeGreaterThan(0.5);
    expect(better.reading).toMatch(/^candidate better: 18 wins, 4 ties, 2 losses in 24 pairs/);
    expect(summariseOutcomes([...times(loss, 15), ...times(win, 1)]).verdict).toBe('candidate_worse');
    expect(summariseOutcomes([...times(win, 6), ...times(loss, 4)]).verdict).toBe('no_clear_difference');
  });

  it('does not count flipped pairs as wins, however many there are', () => {
    const r = summariseOutcomes([...times(flipped, 30), ...times(win, 2)]);
    expect(r.wins).toBe(2);
    expect(r.ties).toBe(30);
    expect(r.flipRate.value).toBeCloseTo(30 / 32, 12);
    expect(r.verdict).toBe('no_clear_difference');
  });

  it('rates always add up to one over the judged pairs', () => {
    const r = summariseOutcomes([...times(win, 3), ...times(tie, 2), ...times(loss, 5), failed]);
    expect(r.pairs).toBe(10);
    expect(r.winRate.value! + r.tieRate.value! + r.lossRate.value!).toBeCloseTo(1, 12);
    expect([r.winRate.n, r.tieRate.n, r.lossRate.n, r.flipRate.n]).toEqual([10, 10, 10, 10]);
  });
});
