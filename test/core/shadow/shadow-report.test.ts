import { describe, expect, it } from 'vitest';
import { buildShadowReport, type ShadowPairInput } from '../../../core/shadow/shadow-report';

const pair = (slice: string | null, productionRelease: string | null, candidateFirst: ShadowPairInput['candidateFirst'], productionFirst: ShadowPairInput['productionFirst']): ShadowPairInput => ({
  slice,
  productionRelease,
  candidateFirst,
  productionFirst,
});

describe('shadow report', () => {
  it('reports per slice and per production release, leaving out pairs whose calls failed', () => {
    const report = buildShadowReport([
      pair('billing', 'v1', 'A', 'B'),
      pair('billing', 'v2', 'A', 'B'),
      pair('shipping', 'v1', 'B', 'A'),
      pair('shipping', 'v1', null, 'A'),
      pair(null, 'v2', 'tie', 'tie'),
    ]);
    expect(report).toMatchObject({ pairs: 5, judged: 4, incomplete: 1 });
    expect(report.overall).toMatchObject({ wins: 2, ties: 1, losses: 1 });
    expect(report.bySlice.map((s) => [s.slice, s.result.wins, s.result.losses])).toEqual([['billing', 2, 0], ['shipping', 0, 1]]);
    expect(report.byProductionRelease.map((r) => [r.release, r.result.pairs])).toEqual([['v1', 2], ['v2', 2]]);
  });

  it('measures position bias: flips, reversals and the share of decisive verdicts for Answer A', () => {
    const report = buildShadowReport([pair('x', 'v1', 'A', 'A'), pair('x', 'v1', 'A', 'A'), pair('x', 'v1', 'A', 'B'), pair('x', 'v1', 'A', 'tie')]);
    expect(report.positionBias.flipped).toBe(3);
    expect(report.positionBias.reversed).toBe(2);
    expect(report.positionBias.flipRate.value).toBeCloseTo(0.75, 12);
    // Decisive single verdicts: A, A, A, A, A, B, A -> 6 of 7 chose the first position.
    expect(report.positionBias.firstPositionShare.value).toBeCloseTo(6 / 7, 12);
    expect(report.positionBias.reading).toMatch(/flipped with the order in 3 of 4 pairs/);
    expect(report.overall.wins).toBe(1);
  });

  it('with no pairs at all says so', () => {
    const report = buildShadowReport([]);
    expect(report).toMatchObject({ pairs: 0, judged: 0, incomplete: 0, bySlice: [], byProductionRelease: [] });
    expect(report.positionBias.flipRate.value).toBeNull();
    expect(report.positionBias.reading).toMatch(/not measured/);
  });
});
