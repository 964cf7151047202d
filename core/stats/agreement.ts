/**
 * Pointwise agreement between a human rater and an LLM judge: ordinal 1..5
 * ratings per dimension, and the pass/fail verdict.
 *
 * Conventions (shared by every function here):
 * - Ratings are paired: a[i] and b[i] rate the same item. Values outside the
 *   declared categories throw, because silently dropping them would hide a
 *   parsing bug upstream.
 * - Categories are given explicitly (e.g. [1, 2, 3, 4, 5]) so a class nobody
 *   used still counts in the weighting and kappa does not depend on which
 *   classes happened to appear in the sample. Distances in weighted kappa and
 *   "within one" are distances between category positions (scale steps).
 * - Undefined statistics are null, never NaN or 0. Kappa is undefined when
 *   n = 0 and when chance agreement is 1, i.e. both raters put every item in
 *   the same single class: observed agreement is then perfect but none of it
 *   can be told apart from chance, so we report null rather than 1 (flattering)
 *   or 0 (damning). Exact agreement (1.0 there) still tells the reader what
 *   happened. (scikit-learn returns NaN in that case.)
 * - For the verdict, `fail` is the positive class: the judge exists to catch
 *   failures, so TPR is "of the items a human failed, how many did the judge
 *   fail", and a judge that passes everything can score high agreement on a
 *   mostly-passing sample while catching nothing. That is what the `low_tpr`
 *   flag is for.
 */
import {
  bootstrapFigure,
  proportionFigure,
  DEFAULT_LEVEL,
  DEFAULT_SEED,
  type BootstrapOptions,
  type Figure,
} from './intervals';
import { deriveSeed, type Seed } from './rng';

export type KappaWeighting = 'none' | 'linear' | 'quadratic';
export type BinaryVerdict = 'pass' | 'fail';

/** The rubric dimensions a pointwise label rates on the 1..5 scale. */
export const DIMENSIONS = ['correctness', 'relevance', 'clarity', 'calibration', 'length'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** The default ordinal scale. */
export const LIKERT_5: readonly number[] = [1, 2, 3, 4, 5];

/** Below this judge TPR (share of human failures the judge also fails) a summary is flagged. */
export const DEFAULT_MIN_TPR = 0.8;

/** Map labels to category positions, validating pairing and membership. */
function toPositions<T extends string | number>(
  a: readonly T[],
  b: readonly T[],
  categories: readonly T[],
): { ia: number[]; ib: number[]; k: number } {
  if (a.length !== b.length) {
    throw new RangeError(`paired ratings need equal lengths, got ${a.length} and ${b.length}`);
  }
  const position = new Map<T, number>();
  categories.forEach((c, i) => {
    if (position.has(c)) throw new RangeError(`duplicate category ${String(c)}`);
    position.set(c, i);
  });
  if (position.size === 0) throw new RangeError('at least one category is needed');
  const map = (values: readonly T[], who: string): number[] =>
    values.map((v) => {
      const p = position.get(v);
      if (p === undefined) throw new RangeError(`${who} rating ${String(v)} is not one of the categories`);
      return p;
    });
  return { ia: map(a, 'first'), ib: map(b, 'second'), k: categories.length };
}

function weight(i: number, j: number, weighting: KappaWeighting): number {
  if (weighting === 'none') return i === j ? 0 : 1;
  const d = Math.abs(i - j);
  return weighting === 'linear' ? d : d * d;
}

/**
 * Kappa on category positions, restricted to `rows` (all rows when null).
 * Written with disagreement weights: kappa = 1 - N·Σw·O / Σw·r·c. With integer
 * weights everything is an exact integer, so "chance agreement is 1" is an exact
 * zero test on the denominator rather than a floating-point guess. Unweighted
 * kappa is the same formula with w = 1 off the diagonal.
 */
function kappaOnRows(
  ia: readonly number[],
  ib: readonly number[],
  k: number,
  weighting: KappaWeighting,
  rows: readonly number[] | null,
): number | null {
  const n = rows === null ? ia.length : rows.length;
  if (n === 0) return null;
  const observed = new Array<number>(k * k).fill(0);
  const r = new Array<number>(k).fill(0);
  const c = new Array<number>(k).fill(0);
  for (let t = 0; t < n; t++) {
    const row = rows === null ? t : rows[t];
    const i = ia[row];
    const j = ib[row];
    observed[i * k + j]++;
    r[i]++;
    c[j]++;
  }
  let disagreeObserved = 0;
  let disagreeExpected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weight(i, j, weighting);
      if (w === 0) continue;
      disagreeObserved += w * observed[i * k + j];
      disagreeExpected += w * r[i] * c[j];
    }
  }
  if (disagreeExpected === 0) return null;
  return 1 - (n * disagreeObserved) / disagreeExpected;
}

/**
 * Cohen's kappa (unweighted, linear or quadratic weights), the point value
 * only. Matches scikit-learn's `cohen_kappa_score(a, b, labels=categories,
 * weights=...)` except that undefined is null instead of NaN.
 */
export function kappa<T extends string | number>(
  a: readonly T[],
  b: readonly T[],
  categories: readonly T[],
  weighting: KappaWeighting = 'none',
): number | null {
  const { ia, ib, k } = toPositions(a, b, categories);
  return kappaOnRows(ia, ib, k, weighting, null);
}

/** Cohen's kappa as a Figure with a seeded bootstrap interval over items. */
export function cohenKappa<T extends string | number>(
  a: readonly T[],
  b: readonly T[],
  categories: readonly T[],
  options: BootstrapOptions = {},
): Figure {
  return weightedKappa(a, b, categories, 'none', options);
}

/** Weighted kappa ('linear' or 'quadratic'; 'none' = Cohen's) as a Figure. */
export function weightedKappa<T extends string | number>(
  a: readonly T[],
  b: readonly T[],
  categories: readonly T[],
  weighting: KappaWeighting,
  options: BootstrapOptions = {},
): Figure {
  const { ia, ib, k } = toPositions(a, b, categories);
  return bootstrapFigure(ia.length, (rows) => kappaOnRows(ia, ib, k, weighting, rows), options);
}

/** Share of items with identical ratings, with a Wilson interval. */
export function exactAgreement<T extends string | number>(
  a: readonly T[],
  b: readonly T[],
  categories: readonly T[],
  options: { level?: number } = {},
): Figure {
  return agreeingShare(a, b, categories, options, (x, y) => x === y);
}

/** Share of items whose ratings differ by at most one scale step, with a Wilson interval. */
export function withinOneAgreement<T extends string | number>(
  a: readonly T[],
  b: readonly T[],
  categories: readonly T[],
  options: { level?: number } = {},
): Figure {
  return agreeingShare(a, b, categories, options, (x, y) => Math.abs(x - y) <= 1);
}

/** Share of items whose two ratings `agree` (compared as positions on the scale). */
function agreeingShare<T extends string | number>(a: readonly T[], b: readonly T[], categories: readonly T[], options: { level?: number }, agree: (x: number, y: number) => boolean): Figure {
  const { ia, ib } = toPositions(a, b, categories);
  const hits = ia.reduce((acc, v, i) => acc + (agree(v, ib[i]) ? 1 : 0), 0);
  return proportionFigure(hits, ia.length, options.level ?? DEFAULT_LEVEL);
}

export interface OrdinalAgreement {
  exact: Figure;
  withinOne: Figure;
  kappa: Figure;
  linearKappa: Figure;
  quadraticKappa: Figure;
}

/**
 * All ordinal agreement figures for one pair of rating vectors. Each kappa
 * bootstraps on its own child seed so the three intervals are not drawn from
 * one shared stream.
 */
export function ordinalAgreement(
  a: readonly number[],
  b: readonly number[],
  categories: readonly number[] = LIKERT_5,
  options: BootstrapOptions = {},
): OrdinalAgreement {
  const seed = options.seed ?? DEFAULT_SEED;
  const withSeed = (metric: string): BootstrapOptions => ({ ...options, seed: deriveSeed(seed, metric) });
  return {
    exact: exactAgreement(a, b, categories, options),
    withinOne: withinOneAgreement(a, b, categories, options),
    kappa: weightedKappa(a, b, categories, 'none', withSeed('kappa')),
    linearKappa: weightedKappa(a, b, categories, 'linear', withSeed('linear')),
    quadraticKappa: weightedKappa(a, b, categories, 'quadratic', withSeed('quadratic')),
  };
}

/** Confusion counts with `fail` as the positive class (human = truth, judge = prediction). */
export interface VerdictConfusion {
  /** human fail, judge fail */
  tp: number;
  /** human fail, judge pass: a missed failure */
  fn: number;
  /** human pass, judge fail: a false alarm */
  fp: number;
  /** human pass, judge pass */
  tn: number;
}

export interface VerdictAgreement {
  /** Share of items where the verdicts match; n = all paired verdicts. */
  agreement: Figure;
  /** P(judge fail | human fail); n = human failures. */
  tpr: Figure;
  /** P(judge pass | human pass); n = human passes. */
  tnr: Figure;
  /** P(human fail | judge fail); n = judge failures. */
  precision: Figure;
  /** Cohen's kappa on the verdict, bootstrap interval. */
  kappa: Figure;
  confusion: VerdictConfusion;
}

const VERDICTS: readonly BinaryVerdict[] = ['pass', 'fail'];

/** Verdict agreement of a judge against human labels; rates carry Wilson intervals. */
export function verdictAgreement(
  human: readonly BinaryVerdict[],
  judge: readonly BinaryVerdict[],
  options: BootstrapOptions = {},
): VerdictAgreement {
  // Validates lengths and values before counting.
  toPositions(human, judge, VERDICTS);
  const level = options.level ?? DEFAULT_LEVEL;
  const confusion: VerdictConfusion = { tp: 0, fn: 0, fp: 0, tn: 0 };
  human.forEach((h, i) => {
    const j = judge[i];
    if (h === 'fail') confusion[j === 'fail' ? 'tp' : 'fn']++;
    else confusion[j === 'fail' ? 'fp' : 'tn']++;
  });
  const { tp, fn, fp, tn } = confusion;
  return {
    agreement: proportionFigure(tp + tn, human.length, level),
    tpr: proportionFigure(tp, tp + fn, level),
    tnr: proportionFigure(tn, tn + fp, level),
    precision: proportionFigure(tp, tp + fp, level),
    kappa: cohenKappa(human, judge, VERDICTS, {
      ...options,
      seed: deriveSeed(options.seed ?? DEFAULT_SEED, 'verdict-kappa'),
    }),
    confusion,
  };
}

/** One rater's pointwise label of an item: 1..5 per dimension and a verdict. */
export interface PointwiseRating {
  /** Missing or null dimensions were not rated and are left out of that dimension's n. */
  scores: Partial<Record<Dimension, number | null>>;
  verdict?: BinaryVerdict | null;
}

/** A human label and a judge label of the same item. */
export interface PointwisePair {
  human: PointwiseRating;
  judge: PointwiseRating;
  /** Slice key (e.g. a topic or a release); pairs without one count only overall. */
  group?: string | null;
}

export type AgreementFlag =
  /** Judge TPR on the verdict is below `minTpr`: it misses human-found failures. */
  | 'low_tpr'
  /** No human failures in this sample, so the judge's ability to catch them is unmeasured. */
  | 'tpr_unmeasured';

export interface AgreementSummary {
  /** Number of pairs in this scope. */
  n: number;
  dimensions: Record<Dimension, OrdinalAgreement>;
  verdict: VerdictAgreement;
  flags: AgreementFlag[];
}

export interface PointwiseAgreementReport {
  overall: AgreementSummary;
  /** Per slice, keys in sorted order; empty when no pair has a group or byGroup is false. */
  groups: Record<string, AgreementSummary>;
}

export interface SummariseOptions extends BootstrapOptions {
  /** Required: the report must be reproducible, so the caller names the stream. */
  seed: Seed;
  /** Ordinal scale of every dimension. Default [1, 2, 3, 4, 5]. */
  categories?: readonly number[];
  /** TPR threshold for the `low_tpr` flag. Default DEFAULT_MIN_TPR (0.8). */
  minTpr?: number;
  /** Also summarise each slice. Default true. */
  byGroup?: boolean;
}

function summarise(
  pairs: readonly PointwisePair[],
  scope: string,
  options: SummariseOptions,
): AgreementSummary {
  const categories = options.categories ?? LIKERT_5;
  const minTpr = options.minTpr ?? DEFAULT_MIN_TPR;
  const scoped = (...parts: string[]): BootstrapOptions => ({
    iterations: options.iterations,
    level: options.level,
    seed: deriveSeed(options.seed, scope, ...parts),
  });

  const dimensions = {} as Record<Dimension, OrdinalAgreement>;
  for (const dim of DIMENSIONS) {
    const human: number[] = [];
    const judge: number[] = [];
    for (const p of pairs) {
      const h = p.human.scores[dim];
      const j = p.judge.scores[dim];
      if (h === undefined || h === null || j === undefined || j === null) continue;
      human.push(h);
      judge.push(j);
    }
    dimensions[dim] = ordinalAgreement(human, judge, categories, scoped(dim));
  }

  const humanVerdicts: BinaryVerdict[] = [];
  const judgeVerdicts: BinaryVerdict[] = [];
  for (const p of pairs) {
    if (!p.human.verdict || !p.judge.verdict) continue;
    humanVerdicts.push(p.human.verdict);
    judgeVerdicts.push(p.judge.verdict);
  }
  const verdict = verdictAgreement(humanVerdicts, judgeVerdicts, scoped('verdict'));

  // Flag on the point estimate: a high overall agreement can coexist with a judge
  // that passes most human failures, and that is the failure mode that matters.
  const flags: AgreementFlag[] = [];
  if (verdict.tpr.value === null) {
    if (verdict.agreement.n > 0) flags.push('tpr_unmeasured');
  } else if (verdict.tpr.value < minTpr) {
    flags.push('low_tpr');
  }
  return { n: pairs.length, dimensions, verdict, flags };
}

/**
 * Every agreement figure per dimension and on the verdict, overall and per
 * slice. Each figure bootstraps on a seed derived from (seed, scope, dimension,
 * metric), so adding a slice never changes the intervals of another.
 */
export function summarisePointwiseAgreement(
  pairs: readonly PointwisePair[],
  options: SummariseOptions,
): PointwiseAgreementReport {
  const overall = summarise(pairs, 'overall', options);
  const groups: Record<string, AgreementSummary> = {};
  if (options.byGroup ?? true) {
    const byKey = new Map<string, PointwisePair[]>();
    for (const p of pairs) {
      if (p.group === undefined || p.group === null) continue;
      const list = byKey.get(p.group);
      if (list) list.push(p);
      else byKey.set(p.group, [p]);
    }
    for (const key of [...byKey.keys()].sort()) {
      groups[key] = summarise(byKey.get(key) ?? [], `group:${key}`, options);
    }
  }
  return { overall, groups };
}
