import { describe, it, expect } from 'vitest';
import { describeCorrelation, kendallTau, pearson, rocAuc, spearman } from '../../../core/stats/correlation';

describe('reference values (SciPy / scikit-learn documentation)', () => {
  it('pearsonr: scipy docs example x=[1..7], y=[10,9,2.5,6,4,3,2] -> -0.828503883588428', () => {
    const r = pearson([1, 2, 3, 4, 5, 6, 7], [10, 9, 2.5, 6, 4, 3, 2], { seed: 1 });
    expect(r.value).toBeCloseTo(-0.828503883588428, 12);
    expect(r.n).toBe(7);
  });

  it('pearsonr: scipy test_basic a=[-1,0,1], b=[0,0,3] -> sqrt(3)/2', () => {
    expect(pearson([-1, 0, 1], [0, 0, 3]).value).toBeCloseTo(Math.sqrt(3) / 2, 12);
  });

  it('spearmanr([1,2,3,4,5], [5,6,7,8,7]) = 0.8207826816681233 (tie in y)', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).value).toBeCloseTo(0.8207826816681233, 12);
  });

  it('kendalltau([12,2,1,12,2], [1,4,7,1,0]) = -0.47140452079103173 (tau-b, ties in both)', () => {
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]).value).toBeCloseTo(-0.47140452079103173, 14);
  });

  it('roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]).value).toBe(0.75);
  });
});

describe('known cases', () => {
  it('perfect and reversed monotone relations', () => {
    const x = [1, 2, 3, 4, 5, 6];
    const up = [10, 20, 25, 40, 80, 90];
    const down = [...up].reverse();
    expect(spearman(x, up).value).toBeCloseTo(1, 12);
    expect(kendallTau(x, up).value).toBeCloseTo(1, 12);
    expect(spearman(x, down).value).toBeCloseTo(-1, 12);
    expect(kendallTau(x, down).value).toBeCloseTo(-1, 12);
    expect(pearson(x, x.map((v) => 3 * v - 2)).value).toBeCloseTo(1, 12);
  });

  it('kendall tau without ties equals (concordant - discordant) / pairs', () => {
    // x sorted, y = [3,1,2,5,4]: discordant pairs (3,1),(3,2),(5,4) -> (10 - 2·3)/10 = 0.4.
    expect(kendallTau([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]).value).toBeCloseTo(0.4, 14);
  });

  it('AUC: perfect 1, reversed 0, all ties 0.5, partial ties count one half', () => {
    const labels = [false, false, true, true];
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], labels).value).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], labels).value).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], labels).value).toBe(0.5);
    // Pairs (pos, neg): (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.1) = 1, (0.9 vs both) = 2 -> 3.5 / 4.
    expect(rocAuc([0.5, 0.1, 0.5, 0.9], labels).value).toBe(0.875);
  });
});

describe('undefined cases are null, not NaN or 0', () => {
  const fns = { pearson, spearman, kendallTau };
  for (const [name, fn] of Object.entries(fns)) {
    it(`${name}: empty, n = 1, constant input`, () => {
      expect(fn([], [])).toEqual({ value: null, n: 0, ci: null });
      expect(fn([1], [2])).toEqual({ value: null, n: 1, ci: null });
      expect(fn([1, 2, 3, 4], [5, 5, 5, 5])).toEqual({ value: null, n: 4, ci: null });
      expect(fn([7, 7, 7], [1, 2, 3])).toEqual({ value: null, n: 3, ci: null });
    });

    it(`${name}: n = 2 has a value but no interval`, () => {
      const f = fn([1, 2], [3, 5]);
      expect(f.value).toBeCloseTo(1, 12);
      expect(f.ci).toBeNull();
    });

    it(`${name}: rejects unequal lengths and non-finite values`, () => {
      expect(() => fn([1, 2], [1])).toThrow(RangeError);
      expect(() => fn([1, Number.NaN], [1, 2])).toThrow(RangeError);
    });
  }

  it('rocAuc: one class empty or no data', () => {
    expect(rocAuc([0.1, 0.9], [true, true])).toEqual({ value: null, n: 2, ci: null });
    expect(rocAuc([0.1, 0.9], [false, false])).toEqual({ value: null, n: 2, ci: null });
    expect(rocAuc([], [])).toEqual({ value: null, n: 0, ci: null });
    expect(() => rocAuc([0.1], [true, false])).toThrow(RangeError);
    expect(() => rocAuc([Number.NaN, 1], [true, false])).toThrow(RangeError);
  });
});

describe('bootstrap intervals', () => {
  const evalScore = [0.61, 0.64, 0.66, 0.7, 0.69, 0.73, 0.75, 0.74, 0.79, 0.81, 0.8, 0.84];
  const prodScore = [0.52, 0.55, 0.54, 0.6, 0.63, 0.61, 0.66, 0.69, 0.67, 0.72, 0.75, 0.74];

  it('is reproducible for the same seed and differs for another', () => {
    for (const fn of [pearson, spearman, kendallTau]) {
      const a = fn(evalScore, prodScore, { seed: 'release-report' });
      const b = fn(evalScore, prodScore, { seed: 'release-report' });
      const c = fn(evalScore, prodScore, { seed: 'another' });
      expect(a).toEqual(b);
      expect(c.value).toBe(a.value);
      expect(c.ci).not.toEqual(a.ci);
      expect(a.ci!.low).toBeLessThanOrEqual(a.value!);
      expect(a.ci!.high).toBeGreaterThanOrEqual(a.value!);
      expect(a.ci!.low).toBeGreaterThan(0);
      expect(a.ci!.high).toBeLessThanOrEqual(1);
    }
  });

  it('AUC interval is reproducible and skips resamples missing a class', () => {
    const scores = [0.1, 0.3, 0.2, 0.8, 0.7, 0.4, 0.9, 0.35];
    const labels = [false, false, false, true, true, false, true, true];
    const a = rocAuc(scores, labels, { seed: 9 });
    expect(a).toEqual(rocAuc(scores, labels, { seed: 9 }));
    expect(a.ci).not.toEqual(rocAuc(scores, labels, { seed: 10 }).ci);
    expect(a.ci!.low).toBeGreaterThanOrEqual(0);
    expect(a.ci!.high).toBeLessThanOrEqual(1);
  });

  it('iterations = 0 skips the interval but keeps the value', () => {
    const f = spearman(evalScore, prodScore, { iterations: 0 });
    expect(f.ci).toBeNull();
    expect(f.value).not.toBeNull();
  });
});

describe('describeCorrelation', () => {
  it('too few observations', () => {
    expect(describeCorrelation({ value: 0.9, n: 3, ci: null }, 5)).toBe('too few releases to tell (n=3, need 5)');
    expect(describeCorrelation({ value: null, n: 1, ci: null }, 0)).toBe('too few releases to tell (n=1, need 2)');
    expect(describeCorrelation({ value: 0.9, n: 3, ci: null }, 5, 'items')).toBe('too few items to tell (n=3, need 5)');
  });

  it('undefined value', () => {
    expect(describeCorrelation({ value: null, n: 8, ci: null }, 5)).toMatch(/^no correlation can be computed/);
  });

  it('interval spanning 0 beats the point value', () => {
    expect(describeCorrelation({ value: 0.75, n: 6, ci: { low: -0.2, high: 0.98 } }, 5)).toBe(
      'no clear relation (interval spans 0; 0.75, interval -0.20 to 0.98, n=6)',
    );
  });

  it('strength and sign', () => {
    expect(describeCorrelation({ value: 0.82, n: 12, ci: { low: 0.55, high: 0.95 } }, 5)).toBe(
      'strong positive (0.82, interval 0.55 to 0.95, n=12)',
    );
    expect(describeCorrelation({ value: -0.5, n: 40, ci: { low: -0.7, high: -0.2 } }, 5)).toMatch(/^moderate negative/);
    expect(describeCorrelation({ value: 0.3, n: 200, ci: { low: 0.17, high: 0.42 } }, 5)).toMatch(/^weak positive/);
    expect(describeCorrelation({ value: 0.1, n: 2000, ci: { low: 0.06, high: 0.14 } }, 5)).toMatch(/^negligible relation/);
    expect(describeCorrelation({ value: 0.9, n: 6, ci: null }, 5)).toBe('strong positive (0.90, no interval, n=6)');
  });

  it('reads a computed figure end to end', () => {
    const fig = spearman([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 3, 2, 4, 6, 5, 7, 9, 8, 10], { seed: 's' });
    // Three adjacent swaps: Σd² = 6, rho = 1 - 6·6 / (10·99) = 0.9636.
    expect(fig.value).toBeCloseTo(1 - 36 / 990, 12);
    expect(describeCorrelation(fig, 5)).toMatch(/^strong positive \(0\.96, interval/);
  });
});
