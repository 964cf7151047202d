import { describe, expect, it } from 'vitest';
import { buildCorrelationReport } from '../../../core/correlation/correlation-report';

const counts = (traces: number, thumbsDown: number) => ({ traces, thumbsDown, rephrased: 0, abandoned: 0, escalated: 0, regenerated: 0, ratingSum: 0, ratings: 0 });
const pass = { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' as const };
const fail = { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail' as const };

describe('correlation report: the regression set beside production', () => {
  const base = {
    releaseCells: [{ release: 'v1', slice: null, production: counts(100, 10), offline: { cases: [pass, pass, fail] } }],
    sliceCells: [{ release: 'v1', slice: 'billing', production: counts(60, 8), offline: { cases: [pass, fail] } }],
    judgedTraces: [],
    minReleases: 5,
    seed: 's',
    driftMargin: 0.2,
  };

  it('reports the regression scores per release and cell, separately from production', () => {
    const report = buildCorrelationReport({
      ...base,
      regressionCells: [
        { release: 'v1', slice: null, offline: { cases: [fail, fail, fail, pass] } },
        { release: 'v1', slice: 'billing', offline: { cases: [fail] } },
      ],
    });
    expect(report.releases[0]!.offline.pass_rate.value).toBeCloseTo(2 / 3, 12);
    expect(report.regression!.releases).toEqual([expect.objectContaining({ release: 'v1', judgedCases: 4 })]);
    expect(report.regression!.releases[0]!.offline.pass_rate.value).toBe(0.25);
    expect(report.regression!.cells).toEqual([expect.objectContaining({ release: 'v1', slice: 'billing', judgedCases: 1 })]);
    // Production figures are the same with or without the regression section.
    expect(report.releases).toEqual(buildCorrelationReport(base).releases);
  });

  it('is null when the regression set was not measured', () => {
    expect(buildCorrelationReport(base).regression).toBeNull();
  });
});
