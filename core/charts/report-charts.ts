// The report's charts from the stored reports: offline score against production metric per
// release (scatter), judge-vs-human agreement with the human ceiling over runs, and the
// correlation over runs. Pure: the service loads the rows, these functions draw them.
import type { CorrelationReport, PairCorrelation } from '../correlation/correlation-report';
import type { OfflineMeasure, ProductionMetric } from '../correlation/types';
import { primaryMetricValue, type JudgeAgreementReport } from '../judge/agreement-report';
import type { PrimaryMetric } from '../judge/judge-settings';
import type { Figure } from '../stats/intervals';
import { COLORS } from './chart-frame';
import { lineChartSvg, type LinePoint } from './line-chart';
import type { Domain } from './scale';
import { scatterChartSvg } from './scatter-chart';
import { formatNumber } from './svg';

type CorrelationScope = 'releases' | 'cells';

export interface PairChoice {
  offline: OfflineMeasure;
  production: ProductionMetric;
  scope: CorrelationScope;
}

const OFFLINE_LABELS: Record<OfflineMeasure, string> = {
  pass_rate: 'offline pass rate (judge)',
  correctness: 'offline correctness (judge, 1-5)',
  relevance: 'offline relevance (judge, 1-5)',
  clarity: 'offline clarity (judge, 1-5)',
  calibration: 'offline calibration (judge, 1-5)',
  length: 'offline length (judge, 1-5)',
};

const PRODUCTION_LABELS: Record<ProductionMetric, string> = {
  thumbs_down_rate: 'thumbs-down rate',
  rephrase_rate: 'rephrase rate',
  abandonment_rate: 'abandonment rate',
  escalation_rate: 'escalation rate',
  regeneration_rate: 'regeneration rate',
  mean_rating: 'mean rating (1-5)',
};

const RATE: Domain = { min: 0, max: 1 };
const SCORE: Domain = { min: 1, max: 5 };

const PRIMARY_METRIC_LABELS: Record<PrimaryMetric, string> = {
  verdict_agreement: 'verdict agreement',
  verdict_kappa: 'verdict kappa',
  tpr: 'TPR on failures',
  correctness_quadratic_kappa: 'correctness kappa (quadratic)',
};

/** The report's own headline: offline pass rate x thumbs-down rate, in the scope it chose. */
function headlineChoice(report: CorrelationReport): PairChoice {
  return { offline: 'pass_rate', production: 'thumbs_down_rate', scope: report.headline.scope };
}

function pairOf(report: CorrelationReport, choice: PairChoice): PairCorrelation | null {
  const list = choice.scope === 'cells' ? report.acrossCells : report.acrossReleases;
  return list.find((p) => p.offline === choice.offline && p.production === choice.production) ?? null;
}

/** A correlation figure in words: "-0.94 [-1.00, -0.71]" (95% interval), or "undefined". */
function coefficient(f: Figure): string {
  if (f.value === null) return 'undefined';
  return `${formatNumber(f.value)}${f.ci ? ` [${formatNumber(f.ci.low)}, ${formatNumber(f.ci.high)}]` : ''}`;
}

function pairCaption(pair: PairCorrelation | null): string[] {
  if (!pair) return ['No correlation stored for this pair in this run.'];
  return [
    `Spearman rho ${coefficient(pair.spearman)}, Kendall tau ${coefficient(pair.kendall)}, Pearson r ${coefficient(pair.pearson)}; n=${pair.spearman.n} (95% intervals in brackets)`,
    `${pair.verdict}: ${pair.reading}`,
  ];
}

const expectation = (production: ProductionMetric) =>
  production === 'mean_rating' ? 'a trustworthy eval shows a positive relation (better offline, higher rating)' : `a trustworthy eval shows a negative relation (better offline, lower ${PRODUCTION_LABELS[production]})`;

/** Offline measure against production metric, one labelled point per release (or cell). */
export function correlationScatterSvg(report: CorrelationReport | null, choice: PairChoice, runLabel: string | null): string {
  const title = `${OFFLINE_LABELS[choice.offline]} vs ${PRODUCTION_LABELS[choice.production]}, across ${choice.scope === 'cells' ? 'release x slice cells' : 'releases'}`;
  const unit = choice.scope === 'cells' ? 'release x slice cell' : 'release';
  const subtitle = `${runLabel ? `Run ${runLabel}. ` : ''}One point per ${unit}, whiskers are 95% intervals; ${expectation(choice.production)}.`;
  const spec = {
    title,
    subtitle,
    xLabel: OFFLINE_LABELS[choice.offline],
    yLabel: PRODUCTION_LABELS[choice.production],
    xBounds: choice.offline === 'pass_rate' ? RATE : SCORE,
    yBounds: choice.production === 'mean_rating' ? SCORE : RATE,
  };
  if (!report) {
    return scatterChartSvg({ ...spec, points: [], emptyMessage: 'No correlation report yet: a run makes one after labelling and judging.' });
  }
  const points =
    choice.scope === 'cells'
      ? report.cells.map((c) => ({ label: `${c.release} / ${c.slice}`, x: c.offline[choice.offline], y: c.production[choice.production] }))
      : report.releases.map((r) => ({ label: r.release, x: r.offline[choice.offline], y: r.production[choice.production] }));
  return scatterChartSvg({
    ...spec,
    points,
    caption: pairCaption(pairOf(report, choice)),
    emptyMessage: points.length ? `No ${unit} has both an offline score and production data in this run.` : `This run has no ${unit} with traces.`,
  });
}

/** Run labels for chart axes: the period's month (or start day), "#2" for a second run of one period. */
export function labelRuns(runs: readonly { id: string; periodStart: Date | null; createdAt: Date }[]): Map<string, string> {
  const labels = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const run of [...runs].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
    const start = run.periodStart;
    const base = !start
      ? run.createdAt.toISOString().slice(0, 10)
      : start.getUTCDate() === 1 && start.getUTCHours() === 0 && start.getUTCMinutes() === 0
        ? start.toISOString().slice(0, 7)
        : start.toISOString().slice(0, 10);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    labels.set(run.id, count === 1 ? base : `${base} #${count}`);
  }
  return labels;
}

const linePoint = (f: Figure, note?: string): LinePoint => ({ value: f.value, ci: f.ci, n: f.n, ...(note ? { note } : {}) });

export interface AgreementHistoryEntry {
  runLabel: string;
  primaryMetric: PrimaryMetric;
  threshold: number;
  report: JudgeAgreementReport;
}

/** Judge vs human on the primary metric per run, the human-human ceiling beside it, and the threshold. */
export function agreementHistorySvg(entries: readonly AgreementHistoryEntry[]): string {
  const metrics = [...new Set(entries.map((e) => e.primaryMetric))];
  const metricName = metrics.length === 1 ? PRIMARY_METRIC_LABELS[metrics[0]!] : 'primary metric';
  const judge = entries.map((e) => linePoint(primaryMetricValue(e.report.judgeHuman.overall, e.primaryMetric), metrics.length > 1 ? PRIMARY_METRIC_LABELS[e.primaryMetric] : undefined));
  // No double-labelled cases in a run: the ceiling was not measured (a gap, not an undefined value).
  const ceiling = entries.map((e) => (e.report.humanHuman ? linePoint(primaryMetricValue(e.report.humanHuman.overall, e.primaryMetric)) : null));
  const threshold = entries.map((e) => ({ value: e.threshold, ci: null, n: 0 }));
  const values = [...judge, ...ceiling].flatMap((p) => (p && p.value !== null ? [p.value, p.ci?.low ?? p.value] : []));
  const low = Math.min(0, ...values);
  const latest = entries.at(-1);
  const latestJudge = judge.at(-1);
  const latestCeiling = ceiling.at(-1);
  return lineChartSvg({
    title: 'Judge vs human agreement over runs',
    subtitle: `${metricName}: the active judge against the first reviewer's label on each run's labelled cases; whiskers are 95% intervals.`,
    yLabel: metricName,
    yDomain: { min: low < 0 ? Math.floor(low * 5) / 5 : 0, max: 1 },
    xLabels: entries.map((e) => e.runLabel),
    series: [
      { name: `judge vs human (${metricName})`, color: COLORS.primary, points: judge },
      { name: 'human vs human (ceiling)', color: COLORS.secondary, dashed: true, points: ceiling },
      { name: 'recalibration threshold', color: COLORS.warn, dashed: true, points: threshold },
    ],
    caption: latest
      ? [
          `Latest (${latest.runLabel}): judge vs human ${latestJudge?.value === null || !latestJudge ? 'undefined' : formatNumber(latestJudge.value)} (n=${latestJudge?.n ?? 0}), ` +
            `human vs human ${latestCeiling ? (latestCeiling.value === null ? 'undefined' : formatNumber(latestCeiling.value)) : 'not measured (no double-labelled cases)'}, threshold ${formatNumber(latest.threshold)}.`,
        ]
      : [],
    emptyMessage: 'No agreement report yet: a run makes one when the judge has scored its labelled cases.',
  });
}

interface CorrelationHistoryEntry {
  runLabel: string;
  report: CorrelationReport;
}

/** The headline correlation (or a chosen pair) over runs, with drift warnings flagged. */
export function correlationHistorySvg(entries: readonly CorrelationHistoryEntry[], choice: PairChoice | null): string {
  const points = entries.map((e) => {
    if (!choice) {
      const pair = pairOf(e.report, headlineChoice(e.report));
      const figure: Figure = { value: e.report.headline.value, n: e.report.headline.n, ci: pair?.spearman.ci ?? null };
      return linePoint(figure, `across ${e.report.headline.scope}: ${e.report.headline.reading}`);
    }
    const pair = pairOf(e.report, choice);
    return pair ? linePoint(pair.spearman, `${pair.verdict}: ${pair.reading}`) : null;
  });
  const production = choice?.production ?? 'thumbs_down_rate';
  const expectedSign = production === 'mean_rating' ? 1 : -1;
  const pairName = choice ? `${OFFLINE_LABELS[choice.offline]} x ${PRODUCTION_LABELS[choice.production]}, across ${choice.scope}` : 'headline: offline pass rate x thumbs-down rate';
  const flags = choice ? [] : entries.flatMap((e, index) => (e.report.drift.warning ? [{ index, label: e.report.drift.message ?? 'drift warning' }] : []));
  const latest = points.at(-1);
  return lineChartSvg({
    title: 'Does the eval move with production? Correlation over runs',
    subtitle: `Spearman rho, ${pairName}; whiskers are 95% bootstrap intervals${choice ? '' : '; a red flag marks a drift warning'}.`,
    yLabel: 'Spearman rho',
    yDomain: { min: -1, max: 1 },
    xLabels: entries.map((e) => e.runLabel),
    series: [{ name: 'Spearman rho', color: COLORS.primary, points }],
    references: [{ value: 0, label: 'no relation' }],
    regions: [{ from: 0, to: expectedSign, label: 'expected sign: the eval tracks production' }],
    flags,
    caption: latest ? [`Latest (${entries.at(-1)!.runLabel}): ${latest.value === null ? 'undefined' : formatNumber(latest.value)}; ${latest.note ?? ''}`] : [],
    emptyMessage: 'No correlation report yet: a run makes one after labelling and judging.',
  });
}
