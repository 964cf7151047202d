import { describe, expect, it } from 'vitest';
import { buildReleaseEvaluationReport, type EvaluatedCase } from '../../../core/releases/release-evaluation-report';

const good = { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' as const };
const bad = { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail' as const };
const c = (setKind: EvaluatedCase['setKind'], slice: string | null, source: EvaluatedCase['source'], judgment: EvaluatedCase['judgment'], judgeFailed = false): EvaluatedCase => ({ setKind, slice, source, judgment, judgeFailed });

describe('release evaluation report', () => {
  it('keeps production and regression apart, per dimension and slice, and counts where answers came from', () => {
    const report = buildReleaseEvaluationReport([
      c('production', 'billing', 'trace', good),
      c('production', 'billing', 'supplied', bad),
      c('production', 'shipping', 'supplied', good),
      c('production', 'shipping', 'missing', null),
      c('production', 'shipping', 'supplied', null, true),
      c('regression', 'billing', 'supplied', good),
      c('regression', 'billing', 'supplied', bad),
    ]);
    const p = report.production;
    expect(p).toMatchObject({ cases: 5, answers: { fromTraces: 1, supplied: 3, missing: 1 }, judged: 3, judgeFailures: 1 });
    expect(p.scores.pass_rate.value).toBeCloseTo(2 / 3, 12);
    expect(p.scores.correctness.value).toBeCloseTo(11 / 3, 12);
    expect(p.bySlice.map((s) => [s.slice, s.cases, s.judged, s.scores.pass_rate.value])).toEqual([['billing', 2, 2, 0.5], ['shipping', 3, 1, 1]]);
    expect(p.reading).toMatch(/^pass rate 0\.67 \(95% CI .*\) on 3 of 5 cases; 1 without an answer, 1 judge failures$/);
    expect(report.regression).toMatchObject({ cases: 2, judged: 2 });
    expect(report.regression.scores.pass_rate.value).toBe(0.5);
    expect(report.regression.reading).toMatch(/^of known failures now passed 0\.50/);
  });

  it('says when a set has no cases, or when nothing could be judged, and reports null figures', () => {
    const report = buildReleaseEvaluationReport([c('production', null, 'missing', null)]);
    expect(report.production.scores.pass_rate).toEqual({ value: null, n: 0, ci: null });
    expect(report.production.reading).toMatch(/^not measured: none of the 1 cases/);
    expect(report.production.bySlice).toEqual([]);
    expect(report.regression.cases).toBe(0);
    expect(report.regression.reading).toMatch(/no version yet/);
  });
});
