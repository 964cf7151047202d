// Does the offline score move when users feel quality move? Production quality per release
// (rates with Wilson intervals), offline scores from the judge, their correlation across
// releases and across release x slice cells (Spearman, Kendall tau-b, Pearson with n and
// bootstrap intervals, in plain words), trace-level AUC, and drift against the last report.
import { proportionFigure, type Figure } from '../stats/intervals';
import { describeCorrelation, kendallTau, pearson, rocAuc, spearman } from '../stats/correlation';
import { OFFLINE_MEASURES, PRODUCTION_METRICS, type Cell, type JudgedTrace, type OfflineMeasure, type OfflineScores, type ProductionCounts, type ProductionMetric, type RegressionCell } from './types';

const DIMS = ['correctness', 'relevance', 'clarity', 'calibration', 'length'] as const;

/** Every production metric but mean_rating grows when users are less satisfied. */
const HIGHER_IS_WORSE: Record<ProductionMetric, boolean> = {
  thumbs_down_rate: true,
  rephrase_rate: true,
  abandonment_rate: true,
  escalation_rate: true,
  regeneration_rate: true,
  mean_rating: false,
};

export function productionQuality(c: ProductionCounts): Record<ProductionMetric, Figure & { count: number }> {
  const rate = (count: number) => ({ ...proportionFigure(count, c.traces), count });
  // Mean rating on a 1-5 scale: normal interval with the worst-case sd of a 1-5 variable (2),
  // conservative without the individual ratings.
  const mean = c.ratings ? c.ratingSum / c.ratings : null;
  const half = c.ratings ? (1.96 * 2) / Math.sqrt(c.ratings) : 0;
  return {
    thumbs_down_rate: rate(c.thumbsDown),
    rephrase_rate: rate(c.rephrased),
    abandonment_rate: rate(c.abandoned),
    escalation_rate: rate(c.escalated),
    regeneration_rate: rate(c.regenerated),
    mean_rating: { value: mean, n: c.ratings, ci: mean === null ? null : { low: Math.max(1, mean - half), high: Math.min(5, mean + half) }, count: c.ratings },
  };
}

export function offlineScore(s: OfflineScores): Record<OfflineMeasure, Figure> {
  const n = s.cases.length;
  const meanOf = (d: (typeof DIMS)[number]): Figure => {
    if (n === 0) return { value: null, n: 0, ci: null };
    const values = s.cases.map((c) => c[d]);
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
    const half = n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0;
    return { value: mean, n, ci: n > 1 ? { low: mean - half, high: mean + half } : null };
  };
  return {
    correctness: meanOf('correctness'),
    relevance: meanOf('relevance'),
    clarity: meanOf('clarity'),
    calibration: meanOf('calibration'),
    length: meanOf('length'),
    pass_rate: proportionFigure(s.cases.filter((c) => c.verdict === 'pass').length, n),
  };
}

export interface PairCorrelation {
  offline: OfflineMeasure;
  production: ProductionMetric;
  /** The sign a trustworthy eval shows: better offline, fewer bad signals (or higher rating). */
  expectedSign: -1 | 1;
  spearman: Figure;
  kendall: Figure;
  pearson: Figure;
  reading: string;
  verdict: 'tracks production' | 'contradicts production' | 'cannot tell';
}

export interface CorrelationReportSummary {
  pair: string;
  scope: 'releases' | 'cells';
  value: number | null;
  n: number;
  reading: string;
}

/** The headline pair (pass rate x thumbs-down rate) of the previous period's report, in each scope. */
export interface PreviousHeadlines {
  releases: { value: number | null; n: number } | null;
  cells: { value: number | null; n: number } | null;
}

/** The previous report's headline pair per scope (reports store both scopes' correlations). */
export function headlinesOf(report: Pick<CorrelationReport, 'acrossReleases' | 'acrossCells'>): PreviousHeadlines {
  const pick = (list: PairCorrelation[] | undefined) => {
    const pair = list?.find((p) => p.offline === 'pass_rate' && p.production === 'thumbs_down_rate');
    return pair ? { value: pair.spearman.value, n: pair.spearman.n } : null;
  };
  return { releases: pick(report.acrossReleases), cells: pick(report.acrossCells) };
}

/**
 * The regression set's offline scores, beside production and never mixed into it: the
 * set holds labelled failures only, so its scores say how a release does on known
 * failures, not how it does on traffic, and they are not correlated with production rates.
 */
export interface RegressionOfflineScores {
  releases: { release: string; judgedCases: number; offline: Record<OfflineMeasure, Figure> }[];
  cells: { release: string; slice: string; judgedCases: number; offline: Record<OfflineMeasure, Figure> }[];
}

export interface CorrelationReport {
  releases: { release: string; traces: number; judgedCases: number; offline: Record<OfflineMeasure, Figure>; production: Record<ProductionMetric, Figure & { count: number }> }[];
  cells: { release: string; slice: string; traces: number; judgedCases: number; offline: Record<OfflineMeasure, Figure>; production: Record<ProductionMetric, Figure & { count: number }> }[];
  acrossReleases: PairCorrelation[];
  acrossCells: PairCorrelation[];
  traceLevel: { dimensions: { dimension: string; auc: Figure }[]; best: string | null; reading: string };
  headline: CorrelationReportSummary;
  drift: { warning: boolean; message: string | null };
  /** null when the regression set was not measured (reports made before it was). */
  regression: RegressionOfflineScores | null;
}

function correlate(points: { offline: Record<OfflineMeasure, Figure>; production: Record<ProductionMetric, Figure> }[], minN: number, unit: string, seed: string): PairCorrelation[] {
  const result: PairCorrelation[] = [];
  for (const offline of OFFLINE_MEASURES) {
    for (const production of PRODUCTION_METRICS) {
      // Only points where both sides are measured.
      const usable = points.filter((p) => p.offline[offline].value !== null && p.production[production].value !== null);
      const x = usable.map((p) => p.offline[offline].value!);
      const y = usable.map((p) => p.production[production].value!);
      const opts = { seed: `${seed}:${unit}:${offline}:${production}`, iterations: 500 };
      const rho = spearman(x, y, opts);
      const expectedSign = HIGHER_IS_WORSE[production] ? -1 : 1;
      const excludesZero = rho.ci !== null && (rho.ci.low > 0 || rho.ci.high < 0);
      const verdict: PairCorrelation['verdict'] =
        rho.value === null || rho.n < minN || !excludesZero ? 'cannot tell' : Math.sign(rho.value) === expectedSign ? 'tracks production' : 'contradicts production';
      result.push({
        offline,
        production,
        expectedSign,
        spearman: rho,
        kendall: kendallTau(x, y, opts),
        pearson: pearson(x, y, opts),
        reading: describeCorrelation(rho, minN, unit),
        verdict,
      });
    }
  }
  return result;
}

export function buildCorrelationReport(input: {
  releaseCells: Cell[];
  sliceCells: Cell[];
  judgedTraces: JudgedTrace[];
  minReleases: number;
  minCells?: number;
  seed: string;
  /** The previous period's report, if any: drift is measured against it, in the same scope. */
  previous?: PreviousHeadlines | null;
  driftMargin: number;
  regressionCells?: RegressionCell[];
}): CorrelationReport {
  const describe = (c: Cell) => ({ release: c.release, traces: c.production.traces, judgedCases: c.offline.cases.length, offline: offlineScore(c.offline), production: productionQuality(c.production) });
  const releases = input.releaseCells.map(describe);
  const cells = input.sliceCells.filter((c) => c.slice !== null).map((c) => ({ ...describe(c), slice: c.slice! }));
  const acrossReleases = correlate(releases, input.minReleases, 'releases', input.seed);
  const acrossCells = correlate(cells, input.minCells ?? Math.max(input.minReleases, 8), 'release x slice cells', input.seed);

  const dimensions = DIMS.map((d) => ({
    dimension: d,
    // Low scores should predict a negative user signal: AUC of (6 - score) against "negative".
    auc: rocAuc(input.judgedTraces.map((t) => 6 - t.scores[d]), input.judgedTraces.map((t) => t.negative), { seed: `${input.seed}:auc:${d}`, iterations: 500 }),
  }));
  const ranked = dimensions.filter((d) => d.auc.value !== null).sort((a, b) => b.auc.value! - a.auc.value!);
  const best = ranked[0] ?? null;
  const traceReading = best
    ? `${best.dimension} separates traces with a negative user signal best (AUC ${best.auc.value!.toFixed(2)}, n=${best.auc.n})`
    : 'not measurable: no judged traces, or none (or all) with a negative user signal';

  // Headline: offline pass rate against thumbs-down rate, across cells when there are enough, else across releases.
  const pick = (list: PairCorrelation[]) => list.find((p) => p.offline === 'pass_rate' && p.production === 'thumbs_down_rate')!;
  const cellsHeadline = pick(acrossCells);
  const useCells = cellsHeadline.spearman.value !== null && cellsHeadline.spearman.n >= (input.minCells ?? Math.max(input.minReleases, 8));
  const chosen = useCells ? cellsHeadline : pick(acrossReleases);
  const headline: CorrelationReportSummary = { pair: 'pass_rate x thumbs_down_rate', scope: useCells ? 'cells' : 'releases', value: chosen.spearman.value, n: chosen.spearman.n, reading: chosen.reading };

  const drift = driftAgainst(input.previous ?? null, headline, useCells ? (input.minCells ?? Math.max(input.minReleases, 8)) : input.minReleases, input.driftMargin);
  const regression: RegressionOfflineScores | null = input.regressionCells
    ? {
        releases: input.regressionCells.filter((c) => c.slice === null).map((c) => ({ release: c.release, judgedCases: c.offline.cases.length, offline: offlineScore(c.offline) })),
        cells: input.regressionCells
          .filter((c): c is RegressionCell & { slice: string } => c.slice !== null)
          .map((c) => ({ release: c.release, slice: c.slice, judgedCases: c.offline.cases.length, offline: offlineScore(c.offline) })),
      }
    : null;
  return { releases, cells, acrossReleases, acrossCells, traceLevel: { dimensions, best: best?.dimension ?? null, reading: traceReading }, headline, drift, regression };
}

/**
 * Drift: the headline correlation weakened by more than the margin since the previous
 * period, compared in the same scope (releases with releases, cells with cells) and only
 * where both periods had enough points to measure it. A correlation that was measured and
 * now is undefined with enough points (a constant series: the offline score no longer moves
 * while production does, or the reverse) is drift too: the eval no longer discriminates.
 */
function driftAgainst(previous: PreviousHeadlines | null, headline: CorrelationReportSummary, minN: number, margin: number): CorrelationReport['drift'] {
  const prev = previous?.[headline.scope] ?? null;
  if (!prev || prev.value === null || prev.n < minN || headline.n < minN) return { warning: false, message: null };
  if (headline.value === null) {
    return { warning: true, message: `the eval set has drifted from production: ${headline.pair} correlation across ${headline.scope} was ${prev.value.toFixed(2)} and can no longer be measured (${headline.reading})` };
  }
  // Expected sign is negative: the eval tracks production less when rho moves up toward 0 or above.
  if (headline.value - prev.value > margin) {
    return { warning: true, message: `the eval set has drifted from production: ${headline.pair} correlation across ${headline.scope} moved from ${prev.value.toFixed(2)} to ${headline.value.toFixed(2)} (margin ${margin})` };
  }
  return { warning: false, message: null };
}
