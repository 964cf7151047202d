import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { kappa } from '../../../core/stats/agreement';
import { kendallTau, rocAuc, spearman } from '../../../core/stats/correlation';

const SCALE = [1, 2, 3, 4, 5];
const rating = fc.integer({ min: 1, max: 5 });
const pairedRatings = fc
  .array(fc.tuple(rating, rating), { minLength: 1, maxLength: 40 })
  .map((pairs) => ({ a: pairs.map((p) => p[0]), b: pairs.map((p) => p[1]) }));
const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const noInterval = { iterations: 0 };

/** O(n²) tau-b straight from the definition, as an oracle for the O(n log n) version. */
function naiveTauB(x: number[], y: number[]): number | null {
  let s = 0;
  let tx = 0;
  let ty = 0;
  let p = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      p++;
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      s += dx * dy;
      if (dx === 0) tx++;
      if (dy === 0) ty++;
    }
  }
  const den = Math.sqrt((p - tx) * (p - ty));
  return den === 0 ? null : s / den;
}

describe('properties', () => {
  it('kappa (all weightings) lies in [-1, 1] whenever defined', () => {
    fc.assert(
      fc.property(pairedRatings, ({ a, b }) => {
        for (const w of ['none', 'linear', 'quadratic'] as const) {
          const k = kappa(a, b, SCALE, w);
          if (k !== null) {
            expect(k).toBeGreaterThanOrEqual(-1 - 1e-12);
            expect(k).toBeLessThanOrEqual(1 + 1e-12);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('identical raters give kappa 1 unless they are constant (then null)', () => {
    fc.assert(
      fc.property(fc.array(rating, { minLength: 1, maxLength: 40 }), (a) => {
        const constant = a.every((v) => v === a[0]);
        for (const w of ['none', 'linear', 'quadratic'] as const) {
          expect(kappa(a, a, SCALE, w)).toBe(constant ? null : 1);
        }
      }),
    );
  });

  it('kappa is symmetric in the two raters', () => {
    fc.assert(
      fc.property(pairedRatings, ({ a, b }) => {
        for (const w of ['none', 'linear', 'quadratic'] as const) {
          const ab = kappa(a, b, SCALE, w);
          const ba = kappa(b, a, SCALE, w);
          if (ab === null) expect(ba).toBeNull();
          else expect(ba).toBeCloseTo(ab, 12);
        }
      }),
    );
  });

  it('Spearman and Kendall are invariant under strictly increasing transforms', () => {
    const xs = fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), {
      minLength: 2,
      maxLength: 30,
    });
    fc.assert(
      fc.property(xs, (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const fx = x.map((v) => Math.exp(v / 10) + v ** 3); // strictly increasing
        const rho = spearman(x, y, noInterval).value;
        const rhoT = spearman(fx, y, noInterval).value;
        const tau = kendallTau(x, y, noInterval).value;
        const tauT = kendallTau(fx, y, noInterval).value;
        if (rho === null) expect(rhoT).toBeNull();
        else expect(rhoT).toBeCloseTo(rho, 10);
        if (tau === null) expect(tauT).toBeNull();
        else expect(tauT).toBeCloseTo(tau, 10);
      }),
    );
  });

  it('the O(n log n) Kendall tau-b equals the O(n²) definition, ties included', () => {
    const small = fc.integer({ min: 0, max: 4 }); // many ties
    fc.assert(
      fc.property(fc.array(fc.tuple(small, small), { minLength: 2, maxLength: 40 }), (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const expected = naiveTauB(x, y);
        const got = kendallTau(x, y, noInterval).value;
        if (expected === null) expect(got).toBeNull();
        else expect(got).toBeCloseTo(expected, 12);
      }),
      { numRuns: 300 },
    );
  });

  it('AUC(s) + AUC(-s) = 1 when both classes are present', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, fc.boolean()), { minLength: 2, maxLength: 40 }), (rows) => {
        const s = rows.map((r) => r[0]);
        const pos = rows.map((r) => r[1]);
        const auc = rocAuc(s, pos, noInterval).value;
        const flipped = rocAuc(s.map((v) => -v), pos, noInterval).value;
        if (auc === null) {
          expect(flipped).toBeNull();
          return;
        }
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
        expect(auc + flipped!).toBeCloseTo(1, 12);
      }),
    );
  });
});
