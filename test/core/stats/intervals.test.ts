import { describe, it, expect } from 'vitest';
import { mean } from 'simple-statistics';
import {
  bootstrapFigure,
  bootstrapInterval,
  normalQuantile,
  proportionFigure,
  wilsonInterval,
  zForLevel,
} from '../../../core/stats/intervals';

describe('wilsonInterval', () => {
  // Reference values: Wilson (1927) score interval with z = 1.96, as returned by
  // statsmodels `proportion_confint(count, nobs, method='wilson')` (4 d.p.).
  it('8/10 -> [0.4902, 0.9433]', () => {
    const w = wilsonInterval(8, 10);
    expect(w.estimate).toBe(0.8);
    expect(w.n).toBe(10);
    expect(w.low).toBeCloseTo(0.4902, 4);
    expect(w.high).toBeCloseTo(0.9433, 4);
  });

  it('0/10 -> [0, 0.2775] and 10/10 -> [0.7225, 1]: never a zero-width interval at the edges', () => {
    const none = wilsonInterval(0, 10);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.2775, 4);
    const all = wilsonInterval(10, 10);
    expect(all.low).toBeCloseTo(0.7225, 4);
    expect(all.high).toBe(1);
  });

  it('1/2 -> [0.0945, 0.9055]', () => {
    const w = wilsonInterval(1, 2);
    expect(w.low).toBeCloseTo(0.0945, 4);
    expect(w.high).toBeCloseTo(0.9055, 4);
  });

  it('n = 0 gives nulls, not NaN', () => {
    expect(wilsonInterval(0, 0)).toEqual({ estimate: null, low: null, high: null, n: 0 });
    expect(proportionFigure(0, 0)).toEqual({ value: null, n: 0, ci: null });
  });

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1, -1)).toThrow(RangeError);
  });
});

describe('normalQuantile / zForLevel', () => {
  it('matches scipy.stats.norm.ppf', () => {
    expect(zForLevel(0.95)).toBeCloseTo(1.959963984540054, 8);
    expect(zForLevel(0.9)).toBeCloseTo(1.6448536269514722, 8);
    expect(zForLevel(0.99)).toBeCloseTo(2.5758293035489004, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
  });

  it('rejects levels outside (0, 1)', () => {
    expect(() => zForLevel(1)).toThrow(RangeError);
    expect(() => zForLevel(0)).toThrow(RangeError);
  });
});

describe('bootstrapInterval', () => {
  const data = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.9, 3.1, 3.9, 2.2, 4.1];
  const meanOf = (idx: number[]): number => mean(idx.map((i) => data[i]));

  it('is reproducible for the same seed and differs for another seed', () => {
    const a = bootstrapInterval(data.length, meanOf, { seed: 'run-1' });
    const b = bootstrapInterval(data.length, meanOf, { seed: 'run-1' });
    const c = bootstrapInterval(data.length, meanOf, { seed: 'run-2' });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('brackets the sample mean and narrows with lower coverage', () => {
    const wide = bootstrapInterval(data.length, meanOf, { seed: 1, level: 0.99, iterations: 2000 });
    const narrow = bootstrapInterval(data.length, meanOf, { seed: 1, level: 0.8, iterations: 2000 });
    const m = mean(data);
    expect(wide).not.toBeNull();
    expect(narrow).not.toBeNull();
    expect(wide!.low).toBeLessThan(m);
    expect(wide!.high).toBeGreaterThan(m);
    expect(wide!.high - wide!.low).toBeGreaterThan(narrow!.high - narrow!.low);
    // Normal-theory sanity check: the 95% interval is about mean ± 1.96·s/√n.
    const ci = bootstrapInterval(data.length, meanOf, { seed: 1, iterations: 4000 })!;
    const se = Math.sqrt(data.reduce((s, v) => s + (v - m) ** 2, 0) / (data.length - 1) / data.length);
    expect(ci.high - ci.low).toBeGreaterThan(2 * 1.5 * se);
    expect(ci.high - ci.low).toBeLessThan(2 * 2.5 * se);
  });

  it('hands the statistic n indices in [0, n) and skips undefined resamples', () => {
    let calls = 0;
    const ci = bootstrapInterval(
      5,
      (idx) => {
        calls++;
        expect(idx).toHaveLength(5);
        for (const i of idx) expect(i >= 0 && i < 5 && Number.isInteger(i)).toBe(true);
        // Undefined on half the resamples (null) or a NaN: both must be ignored.
        if (calls % 2 === 0) return null;
        if (calls % 3 === 0) return Number.NaN;
        return 7;
      },
      { seed: 'x', iterations: 100 },
    );
    expect(calls).toBe(100);
    expect(ci).toEqual({ low: 7, high: 7 });
  });

  it('returns null when nothing can be resampled or nothing is defined', () => {
    expect(bootstrapInterval(0, () => 1, { seed: 1 })).toBeNull();
    expect(bootstrapInterval(10, () => null, { seed: 1 })).toBeNull();
    expect(bootstrapInterval(10, () => 1, { seed: 1, iterations: 0 })).toBeNull();
  });

  it('bootstrapFigure: null value means null interval', () => {
    expect(bootstrapFigure(4, () => null, { seed: 1 })).toEqual({ value: null, n: 4, ci: null });
    expect(bootstrapFigure(0, () => 1)).toEqual({ value: null, n: 0, ci: null });
    const fig = bootstrapFigure(data.length, meanOf, { seed: 3 });
    expect(fig.value).toBeCloseTo(mean(data), 12);
    expect(fig.ci).not.toBeNull();
  });
});
