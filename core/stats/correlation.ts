/**
 * Correlation between paired series (e.g. offline eval score vs production
 * metric per release) and ROC AUC of a score against a binary outcome, each with
 * a seeded bootstrap interval, plus a plain-language reading for reports.
 *
 * Undefined is null, never NaN: a coefficient needs n >= 2 and neither series
 * constant; AUC needs at least one positive and one negative. Intervals need
 * n >= 3, because a bootstrap of two points can only reproduce ±1.
 */
import { sampleCorrelation, sampleRankCorrelation, wilcoxonRankSum } from 'simple-statistics';
import { bootstrapFigure, type BootstrapOptions, type Figure } from './intervals';

/** Fewer observations than this give a value but no interval. */
const MIN_N_FOR_INTERVAL = 3;

function checkPaired(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) {
    throw new RangeError(`paired series need equal lengths, got ${x.length} and ${y.length}`);
  }
  for (const v of x) if (!Number.isFinite(v)) throw new RangeError(`non-finite value ${v} in first series`);
  for (const v of y) if (!Number.isFinite(v)) throw new RangeError(`non-finite value ${v} in second series`);
}

function pick(values: readonly number[], rows: readonly number[] | null): number[] {
  return rows === null ? values.slice() : rows.map((i) => values[i]);
}

function isConstant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

/** Rounding can push |r| a hair past 1; the coefficient is bounded by definition. */
function clampUnit(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  return Math.max(-1, Math.min(1, v));
}

function coefficientOnRows(
  kind: 'pearson' | 'spearman',
  x: readonly number[],
  y: readonly number[],
  rows: readonly number[] | null,
): number | null {
  const xs = pick(x, rows);
  const ys = pick(y, rows);
  // simple-statistics would return NaN (0/0) here; undefined is null.
  if (xs.length < 2 || isConstant(xs) || isConstant(ys)) return null;
  // sampleRankCorrelation ranks ties by their average rank (midranks), as SciPy does.
  return clampUnit(kind === 'pearson' ? sampleCorrelation(xs, ys) : sampleRankCorrelation(xs, ys));
}

/** Count pairs i < j with values[i] > values[j], sorting `values` in place (merge sort). */
function countInversions(values: number[]): number {
  const buffer = new Array<number>(values.length);
  let inversions = 0;
  for (let width = 1; width < values.length; width *= 2) {
    for (let lo = 0; lo < values.length; lo += 2 * width) {
      const mid = Math.min(lo + width, values.length);
      const hi = Math.min(lo + 2 * width, values.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // `<=` keeps equal values in order, so ties are never counted as inversions.
        if (values[i] <= values[j]) buffer[k++] = values[i++];
        else {
          inversions += mid - i;
          buffer[k++] = values[j++];
        }
      }
      while (i < mid) buffer[k++] = values[i++];
      while (j < hi) buffer[k++] = values[j++];
      for (let t = lo; t < hi; t++) values[t] = buffer[t];
    }
  }
  return inversions;
}

/** Σ t(t-1)/2 over runs of equal keys in an already sorted sequence. */
function tiedPairs(length: number, same: (i: number) => boolean): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i < length; i++) {
    if (same(i)) run++;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return total + (run * (run - 1)) / 2;
}

/**
 * Kendall's tau-b in O(n log n) (Knight 1966, the algorithm SciPy uses): sort
 * by (x, y), count ties in x and joint ties, count discordant pairs as merge-sort
 * inversions of y, then count ties in y. Hand-written because simple-statistics
 * has no Kendall tau, and the O(n²) pair loop is too slow inside a bootstrap.
 */
function kendallOnRows(x: readonly number[], y: readonly number[], rows: readonly number[] | null): number | null {
  const xs = pick(x, rows);
  const ys = pick(y, rows);
  const n = xs.length;
  if (n < 2) return null;
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b] || ys[a] - ys[b]);
  const sx = order.map((i) => xs[i]);
  const sy = order.map((i) => ys[i]);
  const xTies = tiedPairs(n, (i) => sx[i] === sx[i - 1]);
  const jointTies = tiedPairs(n, (i) => sx[i] === sx[i - 1] && sy[i] === sy[i - 1]);
  const discordant = countInversions(sy); // sy is sorted afterwards
  const yTies = tiedPairs(n, (i) => sy[i] === sy[i - 1]);
  const pairs = (n * (n - 1)) / 2;
  const dx = pairs - xTies;
  const dy = pairs - yTies;
  if (dx === 0 || dy === 0) return null; // a constant series
  const concordantMinusDiscordant = pairs - xTies - yTies + jointTies - 2 * discordant;
  return clampUnit(concordantMinusDiscordant / Math.sqrt(dx * dy));
}

function withInterval(
  n: number,
  statistic: (rows: number[]) => number | null,
  options: BootstrapOptions,
): Figure {
  const iterations = n < MIN_N_FOR_INTERVAL ? 0 : options.iterations;
  return bootstrapFigure(n, statistic, { ...options, iterations });
}

/** Pearson's r; matches `scipy.stats.pearsonr(x, y).statistic`. */
export function pearson(x: readonly number[], y: readonly number[], options: BootstrapOptions = {}): Figure {
  checkPaired(x, y);
  return withInterval(x.length, (rows) => coefficientOnRows('pearson', x, y, rows), options);
}

/** Spearman's rho with average ranks for ties; matches `scipy.stats.spearmanr`. */
export function spearman(x: readonly number[], y: readonly number[], options: BootstrapOptions = {}): Figure {
  checkPaired(x, y);
  return withInterval(x.length, (rows) => coefficientOnRows('spearman', x, y, rows), options);
}

/** Kendall's tau-b (tie-corrected); matches `scipy.stats.kendalltau` (variant 'b'). */
export function kendallTau(x: readonly number[], y: readonly number[], options: BootstrapOptions = {}): Figure {
  checkPaired(x, y);
  return withInterval(x.length, (rows) => kendallOnRows(x, y, rows), options);
}

function aucOnRows(scores: readonly number[], positives: readonly boolean[], rows: readonly number[] | null): number | null {
  const pos: number[] = [];
  const neg: number[] = [];
  const n = rows === null ? scores.length : rows.length;
  for (let t = 0; t < n; t++) {
    const i = rows === null ? t : rows[t];
    (positives[i] ? pos : neg).push(scores[i]);
  }
  if (pos.length === 0 || neg.length === 0) return null;
  // Mann-Whitney: U = R_pos - n_pos(n_pos+1)/2 with midranks, i.e. the share of
  // (positive, negative) pairs ranked correctly, ties counting one half.
  const rankSum = wilcoxonRankSum(pos, neg);
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/**
 * ROC AUC of `scores` for predicting `positives`, as the Mann-Whitney
 * probability that a random positive outscores a random negative (ties count
 * 0.5); matches `sklearn.metrics.roc_auc_score`. Null when one class is empty;
 * bootstrap resamples missing a class are skipped.
 */
export function rocAuc(scores: readonly number[], positives: readonly boolean[], options: BootstrapOptions = {}): Figure {
  if (scores.length !== positives.length) {
    throw new RangeError(`scores and labels need equal lengths, got ${scores.length} and ${positives.length}`);
  }
  for (const s of scores) if (!Number.isFinite(s)) throw new RangeError(`non-finite score ${s}`);
  return withInterval(scores.length, (rows) => aucOnRows(scores, positives, rows), options);
}

function fmt(v: number): string {
  return v.toFixed(2);
}

/**
 * A plain-language reading of a correlation Figure for reports.
 * Order of checks: too few observations; undefined value; an interval that
 * includes 0 (the sign itself is not established, whatever the point value);
 * then strength by |value|: >= 0.7 strong, >= 0.4 moderate, >= 0.2 weak,
 * below that negligible. The cut-offs are a reading aid, not a test.
 */
export function describeCorrelation(fig: Figure, minN: number, unit = 'releases'): string {
  if (!Number.isInteger(minN) || minN < 0) throw new RangeError(`minN must be a non-negative integer, got ${minN}`);
  if (fig.n < minN) return `too few ${unit} to tell (n=${fig.n}, need ${minN})`;
  if (fig.value === null) {
    return fig.n < 2
      ? `too few ${unit} to tell (n=${fig.n}, need 2)`
      : `no correlation can be computed (one series is constant; n=${fig.n})`;
  }
  const value = fig.value;
  const detail = fig.ci
    ? `${fmt(value)}, interval ${fmt(fig.ci.low)} to ${fmt(fig.ci.high)}, n=${fig.n}`
    : `${fmt(value)}, no interval, n=${fig.n}`;
  if (fig.ci && fig.ci.low <= 0 && fig.ci.high >= 0) return `no clear relation (interval spans 0; ${detail})`;
  const size = Math.abs(value);
  if (size < 0.2) return `negligible relation (${detail})`;
  const strength = size >= 0.7 ? 'strong' : size >= 0.4 ? 'moderate' : 'weak';
  return `${strength} ${value > 0 ? 'positive' : 'negative'} (${detail})`;
}
