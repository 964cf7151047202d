// The correlation report as text for the CLI: the headline and drift, production quality and
// offline score per release, and one row per offline measure x production metric with
// Spearman (and its interval), Kendall, Pearson, n, the verdict and the reading.
import type { Figure } from '../stats/intervals';
import { fixedWidthTable, type Column } from '../text/fixed-width-table';
import type { CorrelationReport, PairCorrelation } from './correlation-report';

export type CorrelationTableScope = 'releases' | 'cells' | 'both';

const num = (v: number | null) => (v === null ? 'undefined' : v.toFixed(2).replace(/^-0\.00$/, '0.00'));
const interval = (f: Figure) => (f.ci ? `[${num(f.ci.low)}, ${num(f.ci.high)}]` : '');
const pct = (f: Figure) => (f.value === null ? 'n/a' : `${(f.value * 100).toFixed(1)}%`);
const pctWithInterval = (f: Figure) => (f.value === null ? 'n/a' : `${pct(f)}${f.ci ? ` [${(f.ci.low * 100).toFixed(1)}, ${(f.ci.high * 100).toFixed(1)}]` : ''}`);
const mean = (f: Figure) => (f.value === null ? 'n/a' : f.value.toFixed(2));

/** The reading without the numbers the other columns already show. */
function shortReading(reading: string): string {
  return reading
    .replace(/ \(interval spans 0;[^()]*\)$/, ' (interval spans 0)')
    .replace(/ \([^()]*, n=\d+\)$/, '')
    .replace(/; n=\d+\)$/, ')');
}

const isHeadline = (p: PairCorrelation) => p.offline === 'pass_rate' && p.production === 'thumbs_down_rate';

function pairTable(unordered: readonly PairCorrelation[], headlineHere: boolean): string[] {
  // The headline's offline measure (pass rate) first; the rest in the report's order.
  const pairs = [...unordered.filter((p) => p.offline === 'pass_rate'), ...unordered.filter((p) => p.offline !== 'pass_rate')];
  const rows = pairs.map((p, i) => ({ p, first: i === 0 || pairs[i - 1]!.offline !== p.offline }));
  const columns: Column<(typeof rows)[number]>[] = [
    // The measure only on the first row of its group: the table reads as blocks.
    { header: 'offline', value: (r) => (r.first ? r.p.offline : '') },
    { header: 'production', value: (r) => `${r.p.production}${headlineHere && isHeadline(r.p) ? ' *' : ''}` },
    { header: 'n', value: (r) => String(r.p.spearman.n), align: 'right' },
    { header: 'Spearman', value: (r) => num(r.p.spearman.value), align: 'right' },
    { header: 'interval', value: (r) => interval(r.p.spearman) },
    { header: 'Kendall', value: (r) => num(r.p.kendall.value), align: 'right' },
    { header: 'Pearson', value: (r) => num(r.p.pearson.value), align: 'right' },
    { header: 'expected', value: (r) => (r.p.expectedSign < 0 ? 'negative' : 'positive') },
    { header: 'verdict', value: (r) => r.p.verdict },
    { header: 'reading', value: (r) => shortReading(r.p.reading) },
  ];
  return fixedWidthTable(columns, rows, '  ');
}

export function formatCorrelationReport(report: CorrelationReport, scope: CorrelationTableScope = 'both'): string[] {
  const h = report.headline;
  const lines = [`Correlation (headline ${h.pair}, across ${h.scope}): Spearman ${num(h.value)}, n=${h.n}: ${h.reading}`];
  if (report.drift.warning) lines.push(`  DRIFT WARNING: ${report.drift.message ?? 'the eval set has drifted from production'}`);

  lines.push('Releases: production quality (95% Wilson intervals) and offline score (active judge on the production set)');
  lines.push(
    ...fixedWidthTable(
      [
        { header: 'release', value: (r) => r.release, max: 32 },
        { header: 'traces', value: (r) => String(r.traces), align: 'right' },
        { header: 'judged', value: (r) => String(r.judgedCases), align: 'right' },
        { header: 'pass rate', value: (r) => pct(r.offline.pass_rate), align: 'right' },
        { header: 'correctness', value: (r) => mean(r.offline.correctness), align: 'right' },
        { header: 'thumbs-down', value: (r) => pctWithInterval(r.production.thumbs_down_rate) },
        { header: 'rephrase', value: (r) => pct(r.production.rephrase_rate), align: 'right' },
        { header: 'abandoned', value: (r) => pct(r.production.abandonment_rate), align: 'right' },
        { header: 'escalated', value: (r) => pct(r.production.escalation_rate), align: 'right' },
        { header: 'rating', value: (r) => mean(r.production.mean_rating), align: 'right' },
      ],
      report.releases,
      '  ',
    ),
  );

  const sections: [string, readonly PairCorrelation[], 'releases' | 'cells'][] = [
    ['Across releases', report.acrossReleases, 'releases'],
    ['Across release x slice cells', report.acrossCells, 'cells'],
  ];
  for (const [title, pairs, which] of sections) {
    if (scope !== 'both' && scope !== which) continue;
    lines.push(`${title} (n: ${which} with both values; interval: 95% bootstrap of Spearman${h.scope === which ? '; * the headline' : ''})`);
    lines.push(...pairTable(pairs, h.scope === which));
  }
  if (scope === 'releases') {
    const cells = report.acrossCells.find(isHeadline);
    if (cells) lines.push(`Across release x slice cells: ${cells.offline} x ${cells.production} Spearman ${num(cells.spearman.value)}, n=${cells.spearman.n}, ${cells.verdict}; \`flywheel correlation --scope cells\` for the table`);
  }
  lines.push(`Trace level: ${report.traceLevel.reading}`);
  return lines;
}
