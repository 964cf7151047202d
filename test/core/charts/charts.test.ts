// The SVG builders: well-formed XML (parsed strictly), points where the scale puts them,
// user text escaped, a clear "No data" chart, and undefined values shown as undefined.
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../../../core/charts/line-chart';
import { agreementHistorySvg, correlationHistorySvg, correlationScatterSvg, labelRuns } from '../../../core/charts/report-charts';
import { fitDomain, niceTicks } from '../../../core/charts/scale';
import { scatterChartSvg, type ScatterPoint } from '../../../core/charts/scatter-chart';
import { escapeXml, truncate } from '../../../core/charts/svg';
import { buildCorrelationReport } from '../../../core/correlation/correlation-report';
import type { Cell } from '../../../core/correlation/types';
import { buildJudgeAgreementReport, type JudgedCase } from '../../../core/judge/agreement-report';

/** Strict parse: any warning or error of the XML parser fails the test. */
function parseSvg(svg: string): Document {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(svg, 'image/svg+xml');
  expect(doc.documentElement?.nodeName).toBe('svg');
  expect(doc.documentElement?.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
  return doc;
}

const byClass = (doc: Document, tag: string, cls: string): Element[] =>
  Array.from(doc.getElementsByTagName(tag)).filter((e) => (e.getAttribute('class') ?? '').split(' ').includes(cls));
const textOf = (doc: Document) => Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent ?? '');
const num = (e: Element, attr: string) => Number(e.getAttribute(attr));

const HOSTILE = '<script>alert("x")</script> & \'v2\'';

const figure = (value: number | null, ci: [number, number] | null = null, n = 10) => ({ value, n, ci: ci ? { low: ci[0], high: ci[1] } : null });

describe('svg primitives', () => {
  it('escapes markup characters and replaces characters XML forbids', () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;');
    expect(escapeXml('bell\u0007 nul\u0000 lone\uD800 end')).toBe('bell\uFFFD nul\uFFFD lone\uFFFD end');
    expect(escapeXml('tab\tnew\nline and 🚀')).toBe('tab\tnew\nline and 🚀');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate('🚀🚀🚀', 3)).toBe('🚀🚀🚀');
  });

  it('puts ticks on nice steps inside the domain and fits domains within the bounds', () => {
    expect(niceTicks({ min: 0, max: 1 })).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks({ min: -1, max: 1 })).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks({ min: 0.3, max: 0.3 })).toEqual([0.3]);
    const d = fitDomain([0.02, 0.31], { min: 0, max: 1 });
    expect(d.min).toBe(0);
    expect(d.max).toBeGreaterThanOrEqual(0.31);
    expect(d.max).toBeLessThanOrEqual(1);
    const one = fitDomain([0.5], { min: 0, max: 1 });
    expect(one.max - one.min).toBeGreaterThan(0);
  });
});

describe('scatter chart', () => {
  const points: ScatterPoint[] = [
    { label: 'v1', x: figure(0.9, [0.8, 0.95]), y: figure(0.05, [0.03, 0.08]) },
    { label: 'v2', x: figure(0.6, [0.5, 0.7]), y: figure(0.2, [0.15, 0.26]) },
    { label: HOSTILE, x: figure(0.3), y: figure(0.4) },
    { label: 'not judged', x: figure(null, null, 0), y: figure(0.1) },
  ];
  const spec = { title: 'pass rate vs thumbs-down', xLabel: 'pass rate', yLabel: 'thumbs-down rate', xBounds: { min: 0, max: 1 }, yBounds: { min: 0, max: 1 }, emptyMessage: 'nothing' };

  it('is valid SVG with one labelled point per plotted release, where the scale puts it', () => {
    const doc = parseSvg(scatterChartSvg({ ...spec, points, xDomain: { min: 0, max: 1 }, yDomain: { min: 0, max: 0.5 } }));
    const groups = byClass(doc, 'g', 'point');
    expect(groups.map((g) => g.getAttribute('data-label')).sort()).toEqual([HOSTILE, 'v1', 'v2'].sort());
    const area = byClass(doc, 'rect', 'plot-area')[0]!;
    const [left, top, width, height] = ['x', 'y', 'width', 'height'].map((a) => num(area, a)) as [number, number, number, number];
    for (const g of groups) {
      const circle = g.getElementsByTagName('circle')[0]!;
      const x = Number(g.getAttribute('data-x'));
      const y = Number(g.getAttribute('data-y'));
      // Fixed domains x 0..1 and y 0..0.5: exact pixel positions.
      expect(num(circle, 'cx')).toBeCloseTo(left + x * width, 1);
      expect(num(circle, 'cy')).toBeCloseTo(top + height - (y / 0.5) * height, 1);
    }
    const v1 = groups.find((g) => g.getAttribute('data-label') === 'v1')!;
    expect(byClass(doc, 'path', 'whisker-x').length).toBe(2);
    expect(v1.getElementsByTagName('path').length).toBe(2);
    expect(textOf(doc)).toContain('v1');
  });

  it('escapes release names: they appear as text, never as markup', () => {
    const svg = scatterChartSvg({ ...spec, points });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;');
    const doc = parseSvg(svg);
    expect(doc.getElementsByTagName('script').length).toBe(0);
    expect(textOf(doc).some((t) => t.startsWith('<script>alert('))).toBe(true);
  });

  it('lists points it cannot place instead of putting them at 0', () => {
    const doc = parseSvg(scatterChartSvg({ ...spec, points }));
    expect(byClass(doc, 'g', 'point').some((g) => g.getAttribute('data-label') === 'not judged')).toBe(false);
    expect(textOf(doc).join(' ')).toMatch(/Not plotted \(a value is undefined\): not judged \(no offline score\)/);
  });

  it('says "No data" and why when nothing can be plotted', () => {
    for (const empty of [[], [points[3]!]]) {
      const doc = parseSvg(scatterChartSvg({ ...spec, points: empty, emptyMessage: 'No release has both values.' }));
      expect(byClass(doc, 'g', 'point')).toHaveLength(0);
      expect(byClass(doc, 'text', 'no-data')[0]!.textContent).toBe('No data');
      expect(byClass(doc, 'text', 'no-data-reason')[0]!.textContent).toBe('No release has both values.');
    }
  });
});

describe('line chart', () => {
  const base = { title: 'history', yLabel: 'rho', yDomain: { min: -1, max: 1 }, xLabels: ['2026-08', '2026-09', '2026-10', '2026-11'], emptyMessage: 'none yet' };

  it('draws defined points on the scale, undefined ones in their own row, and skips unmeasured runs', () => {
    const doc = parseSvg(
      lineChartSvg({
        ...base,
        series: [{ name: 'rho', color: '#000', points: [{ value: -0.8, ci: { low: -0.95, high: -0.5 }, n: 6 }, { value: null, ci: null, n: 3, note: 'too few releases to tell (n=3, need 5)' }, null, { value: 0.5, ci: null, n: 6 }] }],
        flags: [{ index: 3, label: 'the eval set has drifted <from> production' }],
      }),
    );
    const circles = byClass(doc, 'circle', 'point');
    expect(circles.map((c) => c.getAttribute('data-index'))).toEqual(['0', '3']);
    expect(circles.map((c) => Number(c.getAttribute('data-value')))).toEqual([-0.8, 0.5]);
    const area = byClass(doc, 'rect', 'plot-area')[0]!;
    const zeroY = num(area, 'y') + num(area, 'height') / 2;
    expect(num(circles[0]!, 'cy')).toBeGreaterThan(zeroY);
    expect(num(circles[1]!, 'cy')).toBeLessThan(zeroY);
    // The undefined value: a cross below the plot area with its reason, never a point at 0.
    const undefinedPoints = byClass(doc, 'path', 'undefined-point');
    expect(undefinedPoints.map((p) => p.getAttribute('data-index'))).toEqual(['1']);
    expect(undefinedPoints[0]!.getElementsByTagName('title')[0]!.textContent).toMatch(/undefined \(too few releases to tell/);
    const crossY = Number(/M[\d.]+ ([\d.]+)/.exec(undefinedPoints[0]!.getAttribute('d')!)![1]);
    expect(crossY).toBeGreaterThan(num(area, 'y') + num(area, 'height'));
    expect(textOf(doc)).toContain('undefined');
    // The line is broken at the undefined and the unmeasured run: two separate moves, no line through them.
    const line = byClass(doc, 'path', 'series-line')[0]!.getAttribute('d')!;
    expect(line.match(/M/g)).toHaveLength(2);
    expect(line).not.toContain('L');
    expect(byClass(doc, 'path', 'flag')[0]!.getElementsByTagName('title')[0]!.textContent).toBe('the eval set has drifted <from> production');
  });

  it('says "No data" without runs or without any measured point', () => {
    for (const spec of [{ ...base, xLabels: [], series: [] }, { ...base, series: [{ name: 'rho', color: '#000', points: [null, null, null, null] }] }]) {
      const doc = parseSvg(lineChartSvg(spec));
      expect(byClass(doc, 'text', 'no-data')).toHaveLength(1);
      expect(textOf(doc)).toContain('none yet');
    }
  });
});

const counts = (traces: number, thumbsDown: number) => ({ traces, thumbsDown, rephrased: 0, abandoned: 0, escalated: 0, regenerated: 0, ratingSum: 0, ratings: 0 });
const judged = (passes: number, fails: number) => ({
  cases: [
    ...Array.from({ length: passes }, () => ({ correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' as const })),
    ...Array.from({ length: fails }, () => ({ correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail' as const })),
  ],
});
const releaseCells = (names: string[], offline: (i: number) => ReturnType<typeof judged> = (i) => judged(40 - 5 * i, 5 * i)): Cell[] =>
  names.map((release, i) => ({ release, slice: null, production: counts(500, 10 + 25 * i), offline: offline(i) }));
const report = (cells: Cell[], previous: number | null = null) =>
  buildCorrelationReport({ releaseCells: cells, sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', driftMargin: 0.2, previous: previous === null ? null : { releases: { value: previous, n: 6 }, cells: null } });

describe('report charts', () => {
  const names = ['v1', 'v2', HOSTILE, 'v4', 'v5', 'v6'];
  const choice = { offline: 'pass_rate', production: 'thumbs_down_rate', scope: 'releases' } as const;

  it('plots every release of a report with its reading', () => {
    const doc = parseSvg(correlationScatterSvg(report(releaseCells(names)), choice, '2026-10'));
    expect(byClass(doc, 'g', 'point').map((g) => g.getAttribute('data-label'))).toHaveLength(6);
    const caption = byClass(doc, 'text', 'caption').map((t) => t.textContent).join(' ');
    expect(caption).toMatch(/Spearman rho -1\.00 \[-1\.00, -1\.00\], Kendall tau -1\.00/);
    expect(caption).toMatch(/tracks production: strong negative/);
    expect(byClass(doc, 'text', 'chart-subtitle')[0]!.textContent).toMatch(/^Run 2026-10\. One point per release/);
  });

  it('shows an undefined correlation as undefined, never as 0', () => {
    const flat = report(releaseCells(names, () => judged(30, 10)));
    const doc = parseSvg(correlationScatterSvg(flat, choice, null));
    const caption = byClass(doc, 'text', 'caption').map((t) => t.textContent).join(' ');
    expect(caption).toMatch(/Spearman rho undefined, Kendall tau undefined, Pearson r undefined; n=6/);
    expect(caption).toMatch(/cannot tell: no correlation can be computed \(one series is constant; n=6\)/);
    expect(caption).not.toMatch(/rho 0\.00/);

    const history = parseSvg(correlationHistorySvg([{ runLabel: '2026-09', report: report(releaseCells(names)) }, { runLabel: '2026-10', report: flat }], null));
    expect(byClass(history, 'circle', 'point').map((c) => c.getAttribute('data-index'))).toEqual(['0']);
    expect(byClass(history, 'path', 'undefined-point').map((c) => c.getAttribute('data-index'))).toEqual(['1']);
    expect(byClass(history, 'text', 'caption')[0]!.textContent).toMatch(/^Latest \(2026-10\): undefined; across releases: no correlation can be computed/);
  });

  it('flags drift on the correlation history', () => {
    const tracking = report(releaseCells(names));
    const drifted = report(releaseCells(names, (i) => judged(10 + 5 * i, 40 - 5 * i)), -1);
    expect(drifted.drift.warning).toBe(true);
    const doc = parseSvg(correlationHistorySvg([{ runLabel: '2026-09', report: tracking }, { runLabel: '2026-10', report: drifted }], null));
    expect(byClass(doc, 'circle', 'point').map((c) => Number(c.getAttribute('data-value')))).toEqual([-1, 1]);
    const flags = byClass(doc, 'path', 'flag');
    expect(flags.map((f) => f.getAttribute('data-index'))).toEqual(['1']);
    expect(flags[0]!.getElementsByTagName('title')[0]!.textContent).toMatch(/drifted from production/);
  });

  it('says "No data" for a project without reports', () => {
    for (const svg of [correlationScatterSvg(null, choice, null), correlationHistorySvg([], null), agreementHistorySvg([])]) {
      expect(byClass(parseSvg(svg), 'text', 'no-data')).toHaveLength(1);
    }
  });

  it('draws agreement per run with the human ceiling where reviewers double-labelled', () => {
    const rating = (verdict: 'pass' | 'fail') => ({ scores: { correctness: verdict === 'pass' ? 5 : 1, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict });
    const cases = (agreeing: number, disagreeing: number, doubled: boolean): JudgedCase[] =>
      Array.from({ length: agreeing + disagreeing }, (_, i) => {
        const human = rating(i % 2 ? 'pass' : 'fail');
        return { caseId: `c${i}`, slice: null, answerLength: 100 + i, humans: doubled ? [human, human] : [human], judge: i < agreeing ? human : rating(human.verdict === 'pass' ? 'fail' : 'pass') };
      });
    const build = (c: JudgedCase[]) => buildJudgeAgreementReport(c, { seed: 's', metric: 'verdict_agreement', threshold: 0.8, iterations: 50 });
    const doc = parseSvg(
      agreementHistorySvg([
        { runLabel: '2026-09', primaryMetric: 'verdict_agreement', threshold: 0.8, report: build(cases(18, 2, true)) },
        { runLabel: '2026-10', primaryMetric: 'verdict_agreement', threshold: 0.8, report: build(cases(14, 6, false)) },
      ]),
    );
    const series = Object.fromEntries(byClass(doc, 'g', 'series').map((g) => [g.getAttribute('data-series'), Array.from(g.getElementsByTagName('circle')).map((c) => Number(c.getAttribute('data-value')))]));
    expect(series['judge vs human (verdict agreement)']).toEqual([0.9, 0.7]);
    expect(series['human vs human (ceiling)']).toEqual([1]);
    expect(series['recalibration threshold']).toEqual([0.8, 0.8]);
    expect(byClass(doc, 'text', 'caption')[0]!.textContent).toMatch(/judge vs human 0\.70 \(n=20\), human vs human not measured/);
  });

  it('labels runs by period, numbering a second run of the same period', () => {
    const at = (iso: string) => new Date(iso);
    const labels = labelRuns([
      { id: 'b', periodStart: at('2026-10-01T00:00:00Z'), createdAt: at('2026-11-02T00:00:00Z') },
      { id: 'a', periodStart: at('2026-10-01T00:00:00Z'), createdAt: at('2026-11-01T00:00:00Z') },
      { id: 'c', periodStart: at('2026-10-15T00:00:00Z'), createdAt: at('2026-11-03T00:00:00Z') },
      { id: 'd', periodStart: null, createdAt: at('2026-11-04T10:00:00Z') },
    ]);
    expect(Object.fromEntries(labels)).toEqual({ a: '2026-10', b: '2026-10 #2', c: '2026-10-15', d: '2026-11-04' });
  });
});
