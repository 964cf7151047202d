import { describe, expect, it } from 'vitest';
import { buildCorrelationReport, offlineScore, productionQuality } from '../../../core/correlation/correlation-report';
import type { Cell, JudgedTrace } from '../../../core/correlation/types';

const counts = (traces: number, thumbsDown: number) => ({ traces, thumbsDown, rephrased: 0, abandoned: 0, escalated: 0, regenerated: 0, ratingSum: 0, ratings: 0 });
const judged = (passes: number, fails: number) => ({
  cases: [
    ...Array.from({ length: passes }, () => ({ correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' as const })),
    ...Array.from({ length: fails }, () => ({ correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail' as const })),
  ],
});

/** Releases whose true quality falls: fewer passes offline, more thumbs down in production. */
function releases(n: number): Cell[] {
  return Array.from({ length: n }, (_, i) => ({ release: `v${i}`, slice: null, production: counts(1000, 20 + 30 * i), offline: judged(40 - 4 * i, 4 * i) }));
}

describe('production quality and offline score', () => {
  it('gives rates with Wilson intervals and null, not 0, when nothing was measured', () => {
    const q = productionQuality({ ...counts(10, 8), ratingSum: 0, ratings: 0 });
    expect(q.thumbs_down_rate.value).toBe(0.8);
    expect(q.thumbs_down_rate.ci!.low).toBeCloseTo(0.4902, 3);
    expect(q.thumbs_down_rate.ci!.high).toBeCloseTo(0.9433, 3);
    expect(q.mean_rating).toMatchObject({ value: null, n: 0, ci: null });
    expect(productionQuality(counts(0, 0)).thumbs_down_rate.value).toBeNull();
    const o = offlineScore(judged(3, 1));
    expect(o.pass_rate.value).toBe(0.75);
    expect(o.correctness.value).toBe(4);
    expect(offlineScore({ cases: [] }).correctness).toEqual({ value: null, n: 0, ci: null });
  });
});

describe('correlation report', () => {
  it('says the eval tracks production when offline quality falls as thumbs-down rises', () => {
    const report = buildCorrelationReport({ releaseCells: releases(6), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', driftMargin: 0.2 });
    const pair = report.acrossReleases.find((p) => p.offline === 'pass_rate' && p.production === 'thumbs_down_rate')!;
    expect(pair.spearman.value).toBeCloseTo(-1, 10);
    expect(pair.kendall.value).toBeCloseTo(-1, 10);
    expect(pair.expectedSign).toBe(-1);
    expect(pair.verdict).toBe('tracks production');
    expect(pair.reading).toMatch(/strong negative/);
    expect(report.headline).toMatchObject({ scope: 'releases', n: 6 });
  });

  it('says "too few releases to tell" below the minimum, and null (not 0) for constant scores', () => {
    const few = buildCorrelationReport({ releaseCells: releases(3), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', driftMargin: 0.2 });
    expect(few.headline.reading).toMatch(/too few releases to tell \(n=3, need 5\)/);
    expect(few.acrossReleases.every((p) => p.verdict === 'cannot tell')).toBe(true);
    const constant = releases(6).map((c) => ({ ...c, offline: judged(30, 10) }));
    const flat = buildCorrelationReport({ releaseCells: constant, sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', driftMargin: 0.2 });
    const pair = flat.acrossReleases.find((p) => p.offline === 'pass_rate' && p.production === 'thumbs_down_rate')!;
    expect(pair.spearman.value).toBeNull();
    expect(pair.reading).toMatch(/constant/);
  });

  it('ranks judge dimensions by how well low scores predict a negative user signal', () => {
    const traces: JudgedTrace[] = Array.from({ length: 40 }, (_, i) => {
      const negative = i % 2 === 0;
      return { negative, scores: { correctness: negative ? 1 + (i % 3) : 4 + (i % 2), relevance: 3, clarity: (i * 7) % 5 + 1, calibration: 3, length: 3 } };
    });
    const report = buildCorrelationReport({ releaseCells: [], sliceCells: [], judgedTraces: traces, minReleases: 5, seed: 's', driftMargin: 0.2 });
    expect(report.traceLevel.best).toBe('correctness');
    expect(report.traceLevel.dimensions.find((d) => d.dimension === 'correctness')!.auc.value).toBe(1);
    expect(report.traceLevel.dimensions.find((d) => d.dimension === 'relevance')!.auc.value).toBe(0.5);
  });

  it('warns of drift when the headline correlation weakens by more than the margin, and not otherwise', () => {
    const previous = { releases: { value: -0.9, n: 6 }, cells: null };
    const tracking = buildCorrelationReport({ releaseCells: releases(6), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', previous, driftMargin: 0.2 });
    expect(tracking.drift.warning).toBe(false);
    // The eval set stops tracking: offline pass rate no longer falls with the thumbs-down rate.
    const drifted = releases(6).map((c, i) => ({ ...c, offline: judged(20 + ((i * 7) % 6) * 3, 10) }));
    const report = buildCorrelationReport({ releaseCells: drifted, sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', previous, driftMargin: 0.2 });
    expect(report.drift.warning).toBe(true);
    expect(report.drift.message).toMatch(/drifted from production: pass_rate x thumbs_down_rate correlation across releases moved from -0.90/);
  });

  it('compares drift only in the same scope and where both periods had enough points', () => {
    const drifted = releases(6).map((c, i) => ({ ...c, offline: judged(20 + ((i * 7) % 6) * 3, 10) }));
    const build = (previous: Parameters<typeof buildCorrelationReport>[0]['previous'], cells = drifted) =>
      buildCorrelationReport({ releaseCells: cells, sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', previous, driftMargin: 0.2 });
    // The previous period measured only cells: nothing to compare a releases headline with.
    expect(build({ releases: null, cells: { value: -0.9, n: 12 } }).drift.warning).toBe(false);
    // The previous period had too few releases to tell: its figure is not a baseline.
    expect(build({ releases: { value: -0.9, n: 3 }, cells: null }).drift.warning).toBe(false);
    // This period has too few releases: no verdict either way.
    expect(build({ releases: { value: -0.9, n: 6 }, cells: null }, drifted.slice(0, 3)).drift.warning).toBe(false);
  });

  it('calls it drift when a measured correlation becomes undefined: the offline score stops moving', () => {
    // Every release passes the same share offline while thumbs-down still rises.
    const flat = releases(6).map((c) => ({ ...c, offline: judged(30, 10) }));
    const report = buildCorrelationReport({ releaseCells: flat, sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', previous: { releases: { value: -0.9, n: 6 }, cells: null }, driftMargin: 0.2 });
    expect(report.headline.value).toBeNull();
    expect(report.drift.warning).toBe(true);
    expect(report.drift.message).toMatch(/was -0.90 and can no longer be measured/);
  });

  it('is reproducible for a seed', () => {
    const a = buildCorrelationReport({ releaseCells: releases(7), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 'x', driftMargin: 0.2 });
    const b = buildCorrelationReport({ releaseCells: releases(7), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 'x', driftMargin: 0.2 });
    expect(a).toEqual(b);
  });
});
