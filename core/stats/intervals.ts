/**
 * Uncertainty intervals: the Wilson score interval for a proportion and a seeded
 * percentile bootstrap for everything else, plus the `Figure` shape every
 * statistic in core/stats reports (value, sample size, interval).
 *
 * Why intervals at all: a judge-human agreement of 0.9 on 10 labels and on 1,000
 * labels are different claims; reports must carry n and an interval, and must
 * say "undefined" (null) rather than print NaN or a fake 0.
 */
import { quantile } from 'simple-statistics';
import { createRng, randomInt, type Seed } from './rng';

/** A two-sided interval. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * A reported statistic. `value` is null when the statistic is undefined for the
 * data (no observations, a constant input, ...), never NaN and never a default 0.
 * `ci` is null when no interval can be formed.
 */
export interface Figure {
  value: number | null;
  n: number;
  ci: Interval | null;
}

/** Result of the Wilson interval; all three numbers are null when n = 0. */
export type WilsonInterval =
  | { estimate: number; low: number; high: number; n: number }
  | { estimate: null; low: null; high: null; n: 0 };

/** Options shared by every function that reports a bootstrap interval. */
export interface BootstrapOptions {
  /** Resamples; 0 skips the bootstrap (ci null). Default 1000. */
  iterations?: number;
  /** Seed of the resampling stream. Default DEFAULT_SEED. */
  seed?: Seed;
  /** Two-sided coverage, in (0, 1). Default 0.95. */
  level?: number;
}

/** Seed used when a caller does not give one: results stay reproducible either way. */
export const DEFAULT_SEED = 'core/stats';
export const DEFAULT_ITERATIONS = 1000;
export const DEFAULT_LEVEL = 0.95;

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  }
}

/**
 * Standard normal quantile (Acklam's rational approximation, relative error
 * about 1e-9). Hand-written because simple-statistics' `probit` goes through an
 * approximate inverse error function and returns 1.9572 for p = 0.975 instead
 * of 1.95996, which would shift every Wilson bound in the third decimal.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs p in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pLow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** The z multiplier of a two-sided interval of the given coverage (0.95 -> 1.95996). */
export function zForLevel(level: number): number {
  checkLevel(level);
  return normalQuantile(1 - (1 - level) / 2);
}

/**
 * Wilson score interval for successes / n.
 * Why Wilson rather than the textbook p ± z·sqrt(p(1-p)/n): the latter collapses
 * to a zero-width interval at 0/n and n/n and leaves [0, 1] for small n; Wilson
 * keeps sensible coverage for the small label counts a slice often has.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): WilsonInterval {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`successes must be an integer in [0, ${n}], got ${successes}`);
  }
  if (!(z > 0) || !Number.isFinite(z)) throw new RangeError(`z must be positive, got ${z}`);
  if (n === 0) return { estimate: null, low: null, high: null, n: 0 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Exact bounds at the edges; clamping only removes floating-point overshoot.
  const low = successes === 0 ? 0 : Math.max(0, centre - half);
  const high = successes === n ? 1 : Math.min(1, centre + half);
  return { estimate: p, low, high, n };
}

/** A proportion as a Figure with its Wilson interval at the given coverage. */
export function proportionFigure(successes: number, n: number, level: number = DEFAULT_LEVEL): Figure {
  const w = wilsonInterval(successes, n, zForLevel(level));
  if (w.estimate === null) return { value: null, n: 0, ci: null };
  return { value: w.estimate, n, ci: { low: w.low, high: w.high } };
}

/**
 * Percentile bootstrap interval of a statistic over n paired observations.
 *
 * Each resample draws n indices with replacement from a seeded stream and hands
 * them to `statistic`, which returns null (or a non-finite number) when it is
 * undefined on that resample, e.g. a kappa whose resample holds a single class.
 * Such resamples are skipped rather than counted as 0, so the interval
 * describes the statistic where it exists; with many skipped resamples it is
 * conditional on "defined" and should be read with that in mind.
 * Returns null when n = 0, iterations = 0, or no resample is defined.
 * Percentiles use linear interpolation (simple-statistics `quantile`, the same
 * rule as numpy's default), so results match a numpy re-implementation.
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: number[]) => number | null,
  options: { iterations?: number; seed: Seed; level?: number },
): Interval | null {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const level = options.level ?? DEFAULT_LEVEL;
  checkLevel(level);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new RangeError(`iterations must be a non-negative integer, got ${iterations}`);
  }
  if (n === 0 || iterations === 0) return null;
  const rng = createRng(options.seed);
  const values: number[] = [];
  const indices = new Array<number>(n);
  for (let b = 0; b < iterations; b++) {
    for (let i = 0; i < n; i++) indices[i] = randomInt(rng, n);
    // A fresh copy per call: the statistic may keep or mutate what it is given.
    const v = statistic(indices.slice());
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return null;
  const alpha = 1 - level;
  const [low, high] = quantile(values, [alpha / 2, 1 - alpha / 2]);
  return { low, high };
}

/**
 * A Figure for a statistic over n paired observations: the point value on the
 * full sample and a bootstrap interval, with null in both when the value itself
 * is undefined (an interval around an undefined value would mislead).
 */
export function bootstrapFigure(
  n: number,
  statistic: (indices: number[]) => number | null,
  options: BootstrapOptions = {},
): Figure {
  const all = Array.from({ length: n }, (_, i) => i);
  const raw = n === 0 ? null : statistic(all);
  const value = raw !== null && Number.isFinite(raw) ? raw : null;
  if (value === null) return { value: null, n, ci: null };
  const ci = bootstrapInterval(n, statistic, {
    iterations: options.iterations ?? DEFAULT_ITERATIONS,
    seed: options.seed ?? DEFAULT_SEED,
    level: options.level ?? DEFAULT_LEVEL,
  });
  return { value, n, ci };
}
