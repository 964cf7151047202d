// A labelled scatter plot with interval whiskers on both axes: one point per release (or
// release x slice cell), offline score against production metric.
import type { Figure } from '../stats/intervals';
import { COLORS, layoutFor, noDataSvg, svgDocument, xAxis, yAxis, type ChartText } from './chart-frame';
import { fitDomain, linearScale, type Domain } from './scale';
import { el, formatNumber, px, textEl, tooltip, truncate } from './svg';

export interface ScatterPoint {
  label: string;
  x: Figure;
  y: Figure;
}

interface ScatterChartSpec extends ChartText {
  xLabel: string;
  yLabel: string;
  /** The measures' own bounds (0..1 for a rate, 1..5 for a score); axes never go past them. */
  xBounds: Domain;
  yBounds: Domain;
  points: ScatterPoint[];
  /** Shown instead of the plot when no point has both values. */
  emptyMessage: string;
  /** Fixed axes (tests, or to compare charts); default: fitted to the points and their intervals. */
  xDomain?: Domain;
  yDomain?: Domain;
  width?: number;
}

const LABEL_CHARS = 28;
const LABEL_HEIGHT = 13;
const CHAR_WIDTH = 6.2;

interface Box {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
}

const overlaps = (a: Box, b: Box) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

const describe = (f: Figure) => (f.value === null ? 'undefined' : `${formatNumber(f.value, 3)}${f.ci ? ` (95% interval ${formatNumber(f.ci.low, 3)} to ${formatNumber(f.ci.high, 3)})` : ''}, n=${f.n}`);

export function scatterChartSvg(spec: ScatterChartSpec): string {
  const plotted = spec.points.filter((p) => p.x.value !== null && p.y.value !== null);
  const missing = spec.points.filter((p) => p.x.value === null || p.y.value === null);
  const missingNote = missing.length
    ? [`Not plotted (a value is undefined): ${missing.map((p) => `${truncate(p.label, LABEL_CHARS)} (${p.x.value === null ? 'no offline score' : 'no production data'})`).join(', ')}`]
    : [];
  const caption = [...(spec.caption ?? []), ...missingNote];
  if (plotted.length === 0) return noDataSvg({ ...spec, caption }, spec.emptyMessage, spec.width);

  const layout = layoutFor(spec.width ?? 720, 320, { ...spec, caption });
  const { plot } = layout;
  const xs = plotted.flatMap((p) => [p.x.value!, ...(p.x.ci ? [p.x.ci.low, p.x.ci.high] : [])]);
  const ys = plotted.flatMap((p) => [p.y.value!, ...(p.y.ci ? [p.y.ci.low, p.y.ci.high] : [])]);
  const xDomain = spec.xDomain ?? fitDomain(xs, spec.xBounds);
  const yDomain = spec.yDomain ?? fitDomain(ys, spec.yBounds);
  const sx = linearScale(xDomain, [plot.left, plot.right]);
  const sy = linearScale(yDomain, [plot.bottom, plot.top]);
  const clampX = (v: number) => Math.max(plot.left, Math.min(plot.right, sx(v)));
  const clampY = (v: number) => Math.max(plot.top, Math.min(plot.bottom, sy(v)));

  const body = [...yAxis(plot, yDomain, spec.yLabel), ...xAxis(plot, xDomain, spec.xLabel)];
  const placed: Box[] = [];
  // Points first in order of height, so labels are placed top to bottom and pushed apart.
  const ordered = [...plotted].sort((a, b) => b.y.value! - a.y.value! || a.x.value! - b.x.value!);
  for (const p of ordered) {
    const cx = sx(p.x.value!);
    const cy = sy(p.y.value!);
    const parts: string[] = [tooltip(`${p.label}\n${spec.xLabel}: ${describe(p.x)}\n${spec.yLabel}: ${describe(p.y)}`)];
    const cap = 4;
    if (p.x.ci) {
      const [x1, x2] = [clampX(p.x.ci.low), clampX(p.x.ci.high)];
      parts.push(el('path', { d: `M${px(x1)} ${px(cy)}H${px(x2)}M${px(x1)} ${px(cy - cap)}V${px(cy + cap)}M${px(x2)} ${px(cy - cap)}V${px(cy + cap)}`, stroke: COLORS.secondary, 'stroke-width': 1.2, fill: 'none', class: 'whisker whisker-x' }));
    }
    if (p.y.ci) {
      const [y1, y2] = [clampY(p.y.ci.low), clampY(p.y.ci.high)];
      parts.push(el('path', { d: `M${px(cx)} ${px(y1)}V${px(y2)}M${px(cx - cap)} ${px(y1)}H${px(cx + cap)}M${px(cx - cap)} ${px(y2)}H${px(cx + cap)}`, stroke: COLORS.secondary, 'stroke-width': 1.2, fill: 'none', class: 'whisker whisker-y' }));
    }
    parts.push(el('circle', { cx, cy, r: 5, fill: COLORS.primary, stroke: '#ffffff', 'stroke-width': 1.5 }));

    const label = truncate(p.label, LABEL_CHARS);
    const width = Array.from(label).length * CHAR_WIDTH;
    const toLeft = cx + 8 + width > plot.right;
    const x1 = toLeft ? cx - 8 - width : cx + 8;
    let box: Box = { x1, x2: x1 + width, y1: cy - 8 - LABEL_HEIGHT, y2: cy - 8 };
    for (const dy of [0, 22, -14, 36, -28, 50]) {
      const candidate = { ...box, y1: cy - 8 - LABEL_HEIGHT + dy, y2: cy - 8 + dy };
      if (!placed.some((b) => overlaps(b, candidate))) {
        box = candidate;
        break;
      }
    }
    placed.push(box);
    parts.push(textEl(label, { x: toLeft ? cx - 8 : cx + 8, y: box.y2 - 2, 'text-anchor': toLeft ? 'end' : 'start', 'font-size': 11, fill: COLORS.ink, class: 'point-label' }));
    body.push(el('g', { class: 'point', 'data-label': p.label, 'data-x': String(p.x.value), 'data-y': String(p.y.value) }, parts));
  }
  return svgDocument(layout, spec.title, body, 'chart scatter-chart');
}
