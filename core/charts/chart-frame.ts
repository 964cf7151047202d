// What every chart shares: the outer <svg> with its accessible title, the plot area, axes,
// captions under the plot, and the "no data" chart.
import { linearScale, niceTicks, type Domain } from './scale';
import { el, escapeXml, formatNumber, textEl, wrapText } from './svg';

export const COLORS = { ink: '#1c1c1c', muted: '#666666', grid: '#e6e6e6', axis: '#999999', primary: '#2f5fd0', secondary: '#8a8a8a', warn: '#c62828', good: '#e8f5e9' };
const FONT = 'system-ui, -apple-system, Segoe UI, sans-serif';
const LINE = 16;

export interface ChartText {
  title: string;
  subtitle?: string;
  /** Lines under the plot (readings, notes), plain text. */
  caption?: string[];
}

interface PlotArea {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface Layout {
  width: number;
  height: number;
  plot: PlotArea;
  /** Subtitle and caption, wrapped to the chart's width. */
  subtitle: string[];
  caption: string[];
}

// About 6.3 px per character at 12 px: lines are wrapped to the chart's width by count.
const charsFor = (width: number) => Math.floor((width - 32) / 6.3);

/** Plot area for a chart of the given size, leaving room for titles, axes and the caption. */
export function layoutFor(width: number, plotHeight: number, text: ChartText, extraBottom = 0): Layout {
  const subtitle = text.subtitle ? wrapText(text.subtitle, charsFor(width)).slice(0, 3) : [];
  const caption = (text.caption ?? []).flatMap((line) => wrapText(line, charsFor(width)));
  const top = 40 + subtitle.length * LINE;
  const plot = { left: 70, top, right: width - 28, bottom: top + plotHeight };
  return { width, height: Math.round(plot.bottom + 52 + extraBottom + caption.length * LINE + 8), plot, subtitle, caption };
}

/** The outer element: size, viewBox, role and title for screen readers, white background. */
export function svgDocument(layout: Layout, title: string, body: string[], className: string): string {
  const header = [
    textEl(title, { x: 16, y: 24, 'font-size': 16, 'font-weight': 600, fill: COLORS.ink, class: 'chart-title' }),
    ...layout.subtitle.map((line, i) => textEl(line, { x: 16, y: 42 + i * LINE, 'font-size': 12, fill: COLORS.muted, class: 'chart-subtitle' })),
  ];
  const captionTop = layout.height - 8 - layout.caption.length * LINE;
  const caption = layout.caption.map((line, i) => textEl(line, { x: 16, y: captionTop + (i + 1) * LINE - 4, 'font-size': 12, fill: COLORS.ink, class: 'caption' }));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="${escapeXml(title)}" font-family="${escapeXml(FONT)}" class="${escapeXml(className)}">` +
    `<title>${escapeXml(title)}</title>` +
    el('rect', { x: 0, y: 0, width: layout.width, height: layout.height, fill: '#ffffff' }) +
    header.join('') +
    body.join('') +
    caption.join('') +
    '</svg>'
  );
}

/** A chart with nothing to plot: the frame and a message saying why, never an empty axis. */
export function noDataSvg(text: ChartText, message: string, width = 720): string {
  const layout = layoutFor(width, 180, text);
  const { plot } = layout;
  return svgDocument(
    layout,
    text.title,
    [
      el('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top, fill: '#fafafa', stroke: COLORS.grid, class: 'plot-area' }),
      textEl('No data', { x: (plot.left + plot.right) / 2, y: (plot.top + plot.bottom) / 2 - 6, 'text-anchor': 'middle', 'font-size': 18, 'font-weight': 600, fill: COLORS.muted, class: 'no-data' }),
      textEl(message, { x: (plot.left + plot.right) / 2, y: (plot.top + plot.bottom) / 2 + 16, 'text-anchor': 'middle', 'font-size': 12, fill: COLORS.muted, class: 'no-data-reason' }),
    ],
    'chart no-data-chart',
  );
}

/** Background, horizontal grid lines and the y axis with its ticks and label. */
export function yAxis(plot: PlotArea, domain: Domain, label: string, format: (v: number) => string = (v) => formatNumber(v)): string[] {
  const y = linearScale(domain, [plot.bottom, plot.top]);
  const parts = [el('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top, fill: '#ffffff', stroke: COLORS.axis, class: 'plot-area' })];
  for (const tick of niceTicks(domain, 5)) {
    parts.push(el('line', { x1: plot.left, x2: plot.right, y1: y(tick), y2: y(tick), stroke: COLORS.grid }));
    parts.push(textEl(format(tick), { x: plot.left - 6, y: y(tick) + 4, 'text-anchor': 'end', 'font-size': 11, fill: COLORS.muted, class: 'tick y-tick' }));
  }
  const middle = (plot.top + plot.bottom) / 2;
  parts.push(textEl(label, { x: 16, y: middle, transform: `rotate(-90 16 ${Math.round(middle)})`, 'text-anchor': 'middle', 'font-size': 12, fill: COLORS.ink, class: 'axis-label y-label' }));
  return parts;
}

/** Vertical grid lines and the x axis of a continuous scale. */
export function xAxis(plot: PlotArea, domain: Domain, label: string, format: (v: number) => string = (v) => formatNumber(v)): string[] {
  const x = linearScale(domain, [plot.left, plot.right]);
  const parts: string[] = [];
  for (const tick of niceTicks(domain, 6)) {
    parts.push(el('line', { x1: x(tick), x2: x(tick), y1: plot.top, y2: plot.bottom, stroke: COLORS.grid }));
    parts.push(textEl(format(tick), { x: x(tick), y: plot.bottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: COLORS.muted, class: 'tick x-tick' }));
  }
  parts.push(textEl(label, { x: (plot.left + plot.right) / 2, y: plot.bottom + 36, 'text-anchor': 'middle', 'font-size': 12, fill: COLORS.ink, class: 'axis-label x-label' }));
  return parts;
}
