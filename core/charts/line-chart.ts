// A history over runs: one x position per run, one line per series, a whisker for each
// point's interval. An undefined value is drawn as a cross in its own "undefined" row under
// the axis, never on the scale (where it would read as a number, e.g. 0).
import type { Interval } from '../stats/intervals';
import { COLORS, layoutFor, noDataSvg, svgDocument, yAxis, type ChartText } from './chart-frame';
import { linearScale, type Domain } from './scale';
import { el, formatNumber, px, textEl, tooltip, truncate } from './svg';

export interface LinePoint {
  /** null: computed but undefined (e.g. too few releases, a constant series). */
  value: number | null;
  ci: Interval | null;
  n: number;
  /** Why it is what it is, for the tooltip (a reading, the reason it is undefined). */
  note?: string;
}

interface LineSeries {
  name: string;
  color: string;
  dashed?: boolean;
  /** One entry per x label; null: not measured in that run (nothing drawn). */
  points: (LinePoint | null)[];
}

interface LineChartSpec extends ChartText {
  yLabel: string;
  yDomain: Domain;
  xLabels: string[];
  series: LineSeries[];
  /** Horizontal reference lines (e.g. 0 = no relation). */
  references?: { value: number; label: string }[];
  /** Shaded bands of the y scale (e.g. the expected sign). */
  regions?: { from: number; to: number; label: string }[];
  /** Runs to point at (e.g. a drift warning), with the message. */
  flags?: { index: number; label: string }[];
  emptyMessage: string;
  width?: number;
}

const MAX_X_LABELS = 12;

export function lineChartSvg(spec: LineChartSpec): string {
  const measured = spec.series.some((s) => s.points.some((p) => p !== null));
  if (spec.xLabels.length === 0 || !measured) return noDataSvg(spec, spec.emptyMessage, spec.width);

  const hasUndefined = spec.series.some((s) => s.points.some((p) => p !== null && p.value === null));
  const layout = layoutFor(spec.width ?? 720, 260, spec, hasUndefined ? 22 : 0);
  const { plot } = layout;
  const y = linearScale(spec.yDomain, [plot.bottom, plot.top]);
  const clampY = (v: number) => Math.max(plot.top, Math.min(plot.bottom, y(v)));
  const count = spec.xLabels.length;
  const inset = 28;
  const x = (i: number) => (count === 1 ? (plot.left + plot.right) / 2 : plot.left + inset + (i * (plot.right - plot.left - 2 * inset)) / (count - 1));
  const undefinedRow = plot.bottom + 34;

  const body = yAxis(plot, spec.yDomain, spec.yLabel);
  for (const region of spec.regions ?? []) {
    const top = clampY(Math.max(region.from, region.to));
    const bottom = clampY(Math.min(region.from, region.to));
    body.push(el('rect', { x: plot.left + 1, y: top, width: plot.right - plot.left - 2, height: bottom - top, fill: COLORS.good, class: 'region' }));
    body.push(textEl(region.label, { x: plot.left + 6, y: top + 14, 'font-size': 11, fill: '#2e7d32', class: 'region-label' }));
  }
  for (const ref of spec.references ?? []) {
    body.push(el('line', { x1: plot.left, x2: plot.right, y1: y(ref.value), y2: y(ref.value), stroke: COLORS.axis, 'stroke-dasharray': '4 3', class: 'reference' }));
    body.push(textEl(ref.label, { x: plot.right - 4, y: y(ref.value) - 4, 'text-anchor': 'end', 'font-size': 11, fill: COLORS.muted, class: 'reference-label' }));
  }
  const every = Math.ceil(count / MAX_X_LABELS);
  spec.xLabels.forEach((label, i) => {
    if (i % every !== 0 && i !== count - 1) return;
    body.push(textEl(truncate(label, 12), { x: x(i), y: plot.bottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: COLORS.muted, class: 'tick x-tick' }));
  });
  if (hasUndefined) {
    body.push(textEl('undefined', { x: plot.left - 6, y: undefinedRow + 4, 'text-anchor': 'end', 'font-size': 11, fill: COLORS.muted, class: 'undefined-row-label' }));
    body.push(el('line', { x1: plot.left, x2: plot.right, y1: undefinedRow, y2: undefinedRow, stroke: COLORS.grid, 'stroke-dasharray': '2 3' }));
  }

  for (const series of spec.series) {
    const parts: string[] = [];
    // Lines join consecutive defined points only: a gap or an undefined value breaks them.
    let path = '';
    let previousDefined = false;
    series.points.forEach((p, i) => {
      const defined = p !== null && p.value !== null;
      if (defined) path += `${previousDefined ? 'L' : 'M'}${px(x(i))} ${px(y(p.value!))}`;
      previousDefined = defined;
    });
    if (path) parts.push(el('path', { d: path, fill: 'none', stroke: series.color, 'stroke-width': 2, 'stroke-dasharray': series.dashed ? '6 4' : undefined, class: 'series-line' }));
    series.points.forEach((p, i) => {
      if (p === null) return;
      const where = `${series.name}, ${spec.xLabels[i]}`;
      if (p.value === null) {
        const cx = x(i);
        parts.push(el('path', { d: `M${px(cx - 4)} ${px(undefinedRow - 4)}l8 8m0 -8l-8 8`, stroke: series.color, 'stroke-width': 2, class: 'undefined-point', 'data-index': i }, tooltip(`${where}: undefined${p.note ? ` (${p.note})` : ''}, n=${p.n}`)));
        return;
      }
      const cy = y(p.value);
      if (p.ci) {
        parts.push(el('path', { d: `M${px(x(i))} ${px(clampY(p.ci.low))}V${px(clampY(p.ci.high))}`, stroke: series.color, 'stroke-opacity': 0.45, 'stroke-width': 6, 'stroke-linecap': 'round', class: 'whisker' }));
      }
      const interval = p.ci ? ` (95% interval ${formatNumber(p.ci.low)} to ${formatNumber(p.ci.high)})` : '';
      parts.push(el('circle', { cx: x(i), cy, r: 4, fill: series.color, class: 'point', 'data-index': i, 'data-value': String(p.value) }, tooltip(`${where}: ${formatNumber(p.value)}${interval}, n=${p.n}${p.note ? `; ${p.note}` : ''}`)));
    });
    body.push(el('g', { class: 'series', 'data-series': series.name }, parts));
  }

  for (const flag of spec.flags ?? []) {
    const fx = x(flag.index);
    body.push(el('path', { d: `M${px(fx - 6)} ${px(plot.top + 2)}h12l-6 10z`, fill: COLORS.warn, class: 'flag', 'data-index': flag.index }, tooltip(flag.label)));
  }

  // Legend under the axis, where a continuous chart has its x label.
  const legendY = hasUndefined ? undefinedRow + 24 : plot.bottom + 38;
  let lx = plot.left;
  for (const series of spec.series) {
    const name = truncate(series.name, 40);
    body.push(el('g', { class: 'legend-item' }, [
      el('line', { x1: lx, x2: lx + 18, y1: legendY - 4, y2: legendY - 4, stroke: series.color, 'stroke-width': 2, 'stroke-dasharray': series.dashed ? '6 4' : undefined }),
      textEl(name, { x: lx + 22, y: legendY, 'font-size': 11, fill: COLORS.ink }),
    ]));
    lx += Array.from(name).length * 6.2 + 40;
  }
  return svgDocument(layout, spec.title, body, 'chart line-chart');
}
