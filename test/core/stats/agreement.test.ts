import { describe, it, expect } from 'vitest';
import {
  cohenKappa,
  DIMENSIONS,
  exactAgreement,
  kappa,
  ordinalAgreement,
  summarisePointwiseAgreement,
  verdictAgreement,
  weightedKappa,
  withinOneAgreement,
  type BinaryVerdict,
  type PointwisePair,
} from '../../../core/stats/agreement';
import { wilsonInterval, zForLevel } from '../../../core/stats/intervals';

const rep = <T>(v: T, k: number): T[] => Array.from({ length: k }, () => v);

describe('kappa: scikit-learn reference values', () => {
  // Expected values from scikit-learn's own test suite,
  // sklearn/metrics/tests/test_classification.py::test_cohen_kappa.
  it('Artstein & Poesio (2008) Table 1, contingency [[20, 20], [10, 50]] -> 0.348', () => {
    const y1 = [...rep(0, 40), ...rep(1, 60)];
    const y2 = [...rep(0, 20), ...rep(1, 20), ...rep(0, 10), ...rep(1, 50)];
    const k = kappa(y1, y2, [0, 1]);
    expect(k).toBeCloseTo(0.348, 3);
    // By hand: po = 0.70, pe = 0.4·0.3 + 0.6·0.7 = 0.54, kappa = 0.16 / 0.46 = 8/23.
    expect(k).toBeCloseTo(8 / 23, 12);
    expect(kappa(y2, y1, [0, 1])).toBe(k);
  });

  it('a category nobody used does not change unweighted kappa', () => {
    const y1 = [...rep(0, 40), ...rep(1, 60)];
    const y2 = [...rep(0, 20), ...rep(1, 20), ...rep(0, 10), ...rep(1, 50)];
    expect(kappa(y1, y2, [0, 1, 2])).toBeCloseTo(8 / 23, 12);
  });

  it('Artstein & Poesio Table 4, multiclass -> 0.8013', () => {
    const y1 = [...rep(0, 46), ...rep(1, 44), ...rep(2, 10)];
    const y2 = [...rep(0, 52), ...rep(1, 32), ...rep(2, 16)];
    expect(kappa(y1, y2, [0, 1, 2])).toBeCloseTo(0.8013, 4);
  });

  it('weighting example: none 0.9315, linear 0.9412, quadratic 0.9541', () => {
    const y1 = [...rep(0, 46), ...rep(1, 44), ...rep(2, 10)];
    const y2 = [...rep(0, 50), ...rep(1, 40), ...rep(2, 10)];
    const cats = [0, 1, 2];
    expect(kappa(y1, y2, cats)).toBeCloseTo(0.9315, 4);
    expect(kappa(y1, y2, cats, 'linear')).toBeCloseTo(0.9412, 4);
    expect(kappa(y1, y2, cats, 'quadratic')).toBeCloseTo(0.9541, 4);
    // Exact fractions of the same (worked from the 3x3 table, 4 off-diagonal items at distance 1):
    // none 1 - 100·4/5840 = 68/73, linear 1 - 400/6800 = 16/17, quadratic 1 - 400/8720 = 104/109.
    expect(kappa(y1, y2, cats)).toBeCloseTo(68 / 73, 12);
    expect(kappa(y1, y2, cats, 'linear')).toBeCloseTo(16 / 17, 12);
    expect(kappa(y1, y2, cats, 'quadratic')).toBeCloseTo(104 / 109, 12);
  });
});

describe('kappa: worked by hand', () => {
  // y1 = [0,1,2,0,1,2], y2 = [0,2,1,0,0,1]; table (rows y1, cols y2):
  //   [[2,0,0],[1,0,1],[0,2,0]], row sums r = [2,2,2], col sums c = [3,2,1], n = 6.
  // Unweighted: po = 2/6, pe = (2·3 + 2·2 + 2·1)/36 = 1/3 -> kappa = 0.
  // Linear: Σ|i-j|·O = 4; Σ|i-j|·r_i·c_j = 2·(4 + 4 + 8) = 32 -> 1 - 6·4/32 = 0.25.
  // Quadratic: Σ(i-j)²·O = 4; Σ(i-j)²·r_i·c_j = 2·(6 + 4 + 14) = 48 -> 1 - 6·4/48 = 0.5.
  const y1 = [0, 1, 2, 0, 1, 2];
  const y2 = [0, 2, 1, 0, 0, 1];
  it('unweighted 0, linear 0.25, quadratic 0.5', () => {
    expect(kappa(y1, y2, [0, 1, 2])).toBe(0);
    expect(kappa(y1, y2, [0, 1, 2], 'linear')).toBeCloseTo(0.25, 12);
    expect(kappa(y1, y2, [0, 1, 2], 'quadratic')).toBeCloseTo(0.5, 12);
  });

  it('absent middle categories change the weighted distances, as they should', () => {
    // a = [1,2,5,1], b = [2,2,5,1] on the scale 1..5: positions a = [0,1,4,0], b = [1,1,4,0].
    // Σ|i-j|·O = 1; Σ|i-j|·r_i·c_j = 12 + 4 + 10 = 26 -> 1 - 4/26 = 11/13.
    // Declaring only [1,2,5] would treat 2 -> 5 as one step: 1 - 4/14 = 5/7.
    const a = [1, 2, 5, 1];
    const b = [2, 2, 5, 1];
    expect(kappa(a, b, [1, 2, 3, 4, 5], 'linear')).toBeCloseTo(11 / 13, 12);
    expect(kappa(a, b, [1, 2, 5], 'linear')).toBeCloseTo(5 / 7, 12);
    expect(kappa(a, b, [1, 2, 3, 4, 5])).toBeCloseTo(kappa(a, b, [1, 2, 5])!, 12);
  });
});

describe('kappa: undefined cases are null', () => {
  it('n = 0', () => {
    expect(kappa([], [], [1, 2, 3, 4, 5])).toBeNull();
    expect(cohenKappa([], [], [1, 2, 3, 4, 5])).toEqual({ value: null, n: 0, ci: null });
    expect(exactAgreement([], [], [1, 2, 3, 4, 5])).toEqual({ value: null, n: 0, ci: null });
  });

  it('both raters constant on the same class: chance agreement is 1, kappa is null', () => {
    const a = rep(4, 12);
    for (const w of ['none', 'linear', 'quadratic'] as const) {
      expect(kappa(a, a, [1, 2, 3, 4, 5], w)).toBeNull();
      expect(weightedKappa(a, a, [1, 2, 3, 4, 5], w, { seed: 1 })).toEqual({ value: null, n: 12, ci: null });
    }
    // ...while exact agreement still reports what happened.
    expect(exactAgreement(a, a, [1, 2, 3, 4, 5]).value).toBe(1);
  });

  it('both constant on different classes: no agreement beyond chance, kappa 0', () => {
    expect(kappa(rep(3, 5), rep(4, 5), [1, 2, 3, 4, 5])).toBe(0);
    expect(kappa(rep(3, 5), rep(4, 5), [1, 2, 3, 4, 5], 'quadratic')).toBe(0);
  });

  it('n = 1 on one class is undefined; identical non-constant raters give 1', () => {
    expect(kappa([2], [2], [1, 2, 3])).toBeNull();
    expect(kappa([1, 2, 3, 3], [1, 2, 3, 3], [1, 2, 3, 4, 5])).toBe(1);
  });

  it('rejects mismatched lengths, unknown ratings and duplicate categories', () => {
    expect(() => kappa([1, 2], [1], [1, 2])).toThrow(RangeError);
    expect(() => kappa([1, 6], [1, 2], [1, 2, 3, 4, 5])).toThrow(RangeError);
    expect(() => kappa([1], [1], [1, 1, 2])).toThrow(RangeError);
    expect(() => kappa([1], [1], [])).toThrow(RangeError);
  });
});

describe('exact and within-one agreement', () => {
  it('counts scale steps and reports Wilson intervals', () => {
    const a = [1, 2, 3, 4, 5];
    const b = [1, 3, 5, 4, 4];
    const exact = exactAgreement(a, b, [1, 2, 3, 4, 5]);
    const within = withinOneAgreement(a, b, [1, 2, 3, 4, 5]);
    const z = zForLevel(0.95);
    expect(exact.value).toBe(2 / 5);
    expect(exact.n).toBe(5);
    const w = wilsonInterval(2, 5, z);
    expect(exact.ci).toEqual({ low: w.low, high: w.high });
    expect(within.value).toBe(4 / 5);
  });
});

describe('kappa Figure bootstrap', () => {
  const a = [1, 2, 3, 4, 5, 3, 2, 4, 5, 1, 3, 4, 2, 5, 3, 4];
  const b = [1, 2, 4, 4, 5, 3, 3, 4, 4, 2, 3, 5, 2, 5, 2, 4];
  it('is reproducible per seed and brackets the point value', () => {
    const one = weightedKappa(a, b, [1, 2, 3, 4, 5], 'quadratic', { seed: 'a' });
    const again = weightedKappa(a, b, [1, 2, 3, 4, 5], 'quadratic', { seed: 'a' });
    const other = weightedKappa(a, b, [1, 2, 3, 4, 5], 'quadratic', { seed: 'b' });
    expect(one).toEqual(again);
    expect(other.ci).not.toEqual(one.ci);
    expect(one.value).toBe(other.value);
    expect(one.ci!.low).toBeLessThanOrEqual(one.value!);
    expect(one.ci!.high).toBeGreaterThanOrEqual(one.value!);
    expect(one.ci!.high).toBeLessThanOrEqual(1);
  });

  it('ordinalAgreement bundles all five figures', () => {
    const o = ordinalAgreement(a, b, [1, 2, 3, 4, 5], { seed: 3 });
    expect(o.kappa.value).toBeCloseTo(kappa(a, b, [1, 2, 3, 4, 5])!, 12);
    expect(o.linearKappa.value).toBeCloseTo(kappa(a, b, [1, 2, 3, 4, 5], 'linear')!, 12);
    expect(o.quadraticKappa.value).toBeCloseTo(kappa(a, b, [1, 2, 3, 4, 5], 'quadratic')!, 12);
    expect(o.exact.n).toBe(16);
    // Separate child seeds: the three kappa intervals are not one stream reused.
    expect(o.kappa.ci).not.toEqual(o.linearKappa.ci);
  });
});

/** 100 items: 90 human passes, 10 human fails; the judge fails only 2 of the 10. */
function lenientJudge(): { human: BinaryVerdict[]; judge: BinaryVerdict[] } {
  const human: BinaryVerdict[] = [...rep<BinaryVerdict>('pass', 90), ...rep<BinaryVerdict>('fail', 10)];
  const judge: BinaryVerdict[] = [
    ...rep<BinaryVerdict>('pass', 90),
    ...rep<BinaryVerdict>('fail', 2),
    ...rep<BinaryVerdict>('pass', 8),
  ];
  return { human, judge };
}

describe('verdictAgreement (fail is the positive class)', () => {
  it('reports agreement, TPR, TNR and precision with their own n', () => {
    const { human, judge } = lenientJudge();
    const v = verdictAgreement(human, judge, { seed: 1 });
    expect(v.confusion).toEqual({ tp: 2, fn: 8, fp: 0, tn: 90 });
    expect(v.agreement).toMatchObject({ value: 0.92, n: 100 });
    expect(v.tpr).toMatchObject({ value: 0.2, n: 10 });
    expect(v.tnr).toMatchObject({ value: 1, n: 90 });
    expect(v.precision).toMatchObject({ value: 1, n: 2 });
    const w = wilsonInterval(2, 10, zForLevel(0.95));
    expect(v.tpr.ci).toEqual({ low: w.low, high: w.high });
    // Cohen's kappa on the 2x2 table [[90,0],[8,2]]: po = 0.92, pe = 0.9·0.98 + 0.1·0.02 = 0.884.
    expect(v.kappa.value).toBeCloseTo((0.92 - 0.884) / (1 - 0.884), 12);
  });

  it('a judge that never fails has undefined precision, not 0', () => {
    const v = verdictAgreement(['pass', 'fail', 'pass'], ['pass', 'pass', 'pass']);
    expect(v.precision).toEqual({ value: null, n: 0, ci: null });
    expect(v.tpr.value).toBe(0);
  });

  it('no human failures: TPR undefined', () => {
    const v = verdictAgreement(['pass', 'pass'], ['pass', 'fail']);
    expect(v.tpr).toEqual({ value: null, n: 0, ci: null });
    expect(v.tnr.value).toBe(0.5);
  });

  it('empty input: everything undefined', () => {
    const v = verdictAgreement([], []);
    for (const f of [v.agreement, v.tpr, v.tnr, v.precision, v.kappa]) expect(f.value).toBeNull();
  });
});

function pair(h: number, j: number, hv: BinaryVerdict, jv: BinaryVerdict, group?: string): PointwisePair {
  const scores = (s: number) => ({ correctness: s, relevance: s, clarity: s, calibration: s, length: s });
  return { human: { scores: scores(h), verdict: hv }, judge: { scores: scores(j), verdict: jv }, group };
}

describe('summarisePointwiseAgreement', () => {
  it('flags a judge with high verdict agreement but low TPR', () => {
    const { human, judge } = lenientJudge();
    const pairs = human.map((h, i) => pair(h === 'fail' ? 2 : 4, judge[i] === 'fail' ? 2 : 4, h, judge[i]));
    const report = summarisePointwiseAgreement(pairs, { seed: 'flywheel', iterations: 200 });
    expect(report.overall.verdict.agreement.value).toBe(0.92);
    expect(report.overall.verdict.tpr.value).toBe(0.2);
    expect(report.overall.flags).toEqual(['low_tpr']);
    expect(report.groups).toEqual({});
    for (const dim of DIMENSIONS) expect(report.overall.dimensions[dim].exact.value).toBe(0.92);
  });

  it('does not flag a judge that catches failures; respects a custom threshold', () => {
    const pairs = [
      pair(2, 2, 'fail', 'fail'),
      pair(2, 2, 'fail', 'fail'),
      pair(2, 3, 'fail', 'pass'),
      pair(4, 4, 'pass', 'pass'),
      pair(5, 4, 'pass', 'pass'),
    ];
    expect(summarisePointwiseAgreement(pairs, { seed: 1, iterations: 50, minTpr: 0.6 }).overall.flags).toEqual([]);
    expect(summarisePointwiseAgreement(pairs, { seed: 1, iterations: 50 }).overall.flags).toEqual(['low_tpr']);
  });

  it('counts each dimension over the pairs that rated it', () => {
    const pairs: PointwisePair[] = [
      { human: { scores: { correctness: 5, clarity: null }, verdict: 'pass' }, judge: { scores: { correctness: 5, clarity: 3 }, verdict: 'pass' } },
      { human: { scores: { correctness: 1, clarity: 2 }, verdict: 'fail' }, judge: { scores: { correctness: 2, clarity: 2 } } },
      { human: { scores: {} }, judge: { scores: { relevance: 3 }, verdict: 'fail' } },
    ];
    const s = summarisePointwiseAgreement(pairs, { seed: 1, iterations: 20 }).overall;
    expect(s.n).toBe(3);
    expect(s.dimensions.correctness.exact.n).toBe(2);
    expect(s.dimensions.clarity.exact.n).toBe(1);
    expect(s.dimensions.relevance.exact).toEqual({ value: null, n: 0, ci: null });
    expect(s.dimensions.relevance.kappa).toEqual({ value: null, n: 0, ci: null });
    expect(s.verdict.agreement.n).toBe(1);
    expect(s.flags).toEqual(['tpr_unmeasured']);
  });

  it('summarises slices in sorted order, with intervals independent of other slices', () => {
    const base = [
      pair(1, 1, 'fail', 'fail', 'math'),
      pair(2, 3, 'fail', 'pass', 'math'),
      pair(4, 4, 'pass', 'pass', 'math'),
      pair(5, 4, 'pass', 'pass', 'math'),
      pair(3, 3, 'pass', 'pass', 'math'),
      pair(2, 2, 'fail', 'fail', 'code'),
      pair(4, 5, 'pass', 'pass', 'code'),
      pair(5, 5, 'pass', 'pass', 'code'),
      pair(3, 2, 'pass', 'fail', 'code'),
      pair(1, 1, 'fail', 'fail'),
    ];
    const opts = { seed: 'slices', iterations: 300 };
    const report = summarisePointwiseAgreement(base, opts);
    expect(Object.keys(report.groups)).toEqual(['code', 'math']);
    expect(report.overall.n).toBe(10);
    expect(report.groups.math!.n).toBe(5);
    expect(report.groups.code!.verdict.tpr.value).toBe(1);
    expect(report.groups.math!.flags).toEqual(['low_tpr']);

    // Same seed, same report.
    expect(summarisePointwiseAgreement(base, opts)).toEqual(report);
    // Adding a slice leaves the other slices' intervals untouched.
    const more = summarisePointwiseAgreement([...base, pair(3, 3, 'pass', 'pass', 'chat'), pair(2, 2, 'fail', 'fail', 'chat')], opts);
    expect(more.groups.math).toEqual(report.groups.math);
    // A different seed gives different intervals.
    const other = summarisePointwiseAgreement(base, { ...opts, seed: 'other' });
    expect(other.groups.math!.dimensions.correctness.quadraticKappa.value).toBe(
      report.groups.math!.dimensions.correctness.quadraticKappa.value,
    );
    expect(other.groups.math!.dimensions.correctness.quadraticKappa.ci).not.toEqual(
      report.groups.math!.dimensions.correctness.quadraticKappa.ci,
    );
    expect(summarisePointwiseAgreement(base, { ...opts, byGroup: false }).groups).toEqual({});
  });

  it('empty input yields undefined figures, not NaN', () => {
    const r = summarisePointwiseAgreement([], { seed: 1 });
    expect(r.overall.n).toBe(0);
    expect(r.overall.flags).toEqual([]);
    expect(JSON.stringify(r)).not.toContain('NaN');
    expect(r.overall.dimensions.length.quadraticKappa.value).toBeNull();
  });
});
