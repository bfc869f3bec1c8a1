import { escapeHtml as esc } from './escape.ts';
import { formatNumber } from './format.ts';

/**
 * Server-side SVG charts for report.html: plain line/area and bar charts with
 * axes and labels, no script. Geometry is in viewBox units; CSS scales the SVG
 * to its column. Colours come from CSS classes so the page's light, dark and
 * print styles apply.
 */

const W = 560;
const H = 220;
const M = { left: 54, right: 16, top: 14, bottom: 42 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;
/** Above this many points the line is decimated (min/max per bucket); the table keeps every point. */
const MAX_DRAWN = 2000;
/** Up to this many points, each gets a marker with a tooltip. */
const MAX_MARKERS = 120;

export interface LineChartSpec {
  /** Value of `data-chart` (what the chart shows: `uploads`, `latency-p99`…). */
  chart: string;
  /** Unique prefix for element ids inside the page. */
  id: string;
  /** Accessible name of the chart. */
  title: string;
  /** Y axis label, with its unit. */
  yLabel: string;
  /** Simulated seconds of each point. */
  xs: readonly number[];
  ys: readonly number[];
  formatY: (v: number) => string;
  /** Colour class: `tone-1` … `tone-4`. */
  tone: string;
}

export interface BarChartSpec {
  chart: string;
  id: string;
  title: string;
  xLabel: string;
  bars: readonly { label: string; value: number }[];
  formatValue: (v: number) => string;
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  // Closest of 1, 2, 5, 10 on a log scale (as d3's ticks do).
  return (f >= Math.sqrt(50) ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.sqrt(2) ? 2 : 1) * mag;
}

/** Round tick values covering [lo, hi]: about `count` of them, at 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const step = niceStep(hi - lo, count);
  const first = Math.floor(lo / step) * step;
  const last = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= last + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

function tickLabel(v: number): string {
  return Math.abs(v) >= 10_000 ? COMPACT.format(v) : formatNumber(v);
}

/** The unit simulated time is labelled in, by the span it covers. */
function timeUnit(maxT: number): { size: number; name: string; suffix: string } {
  if (maxT <= 120) return { size: 1, name: 's', suffix: 's' };
  if (maxT <= 7_200) return { size: 60, name: 'min', suffix: 'm' };
  if (maxT <= 172_800) return { size: 3_600, name: 'h', suffix: 'h' };
  return { size: 86_400, name: 'days', suffix: 'd' };
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Min and max without spreading (a week of one-second steps would overflow the call stack). */
function extent(values: readonly number[], lo = Infinity, hi = -Infinity): [number, number] {
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Indices to draw: every point, or the first, min, max and last of each bucket when there are too many. */
function drawnIndices(ys: readonly number[]): number[] {
  const n = ys.length;
  if (n <= MAX_DRAWN) return ys.map((_, i) => i);
  const buckets = MAX_DRAWN / 4;
  const keep = new Set<number>();
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if ((ys[i] ?? 0) < (ys[lo] ?? 0)) lo = i;
      if ((ys[i] ?? 0) > (ys[hi] ?? 0)) hi = i;
    }
    keep.add(from).add(lo).add(hi).add(to - 1);
  }
  return [...keep].sort((a, b) => a - b);
}

function emptyChart(spec: { chart: string; id: string; title: string }, message: string, points = 0): string {
  return (
    `<svg class="chart" data-chart="${esc(spec.chart)}" data-points="${points}" data-rendered-points="0" viewBox="0 0 ${W} 80" width="${W}" height="80" role="img" aria-labelledby="${esc(spec.id)}-t">` +
    `<title id="${esc(spec.id)}-t">${esc(spec.title)}: ${esc(message)}</title>` +
    `<rect class="frame" x="0.5" y="0.5" width="${W - 1}" height="79"/>` +
    `<text class="empty" x="${W / 2}" y="44" text-anchor="middle">${esc(message)}</text></svg>`
  );
}

/** A line chart with a shaded area over simulated time; non-finite values leave a gap. */
export function renderLineChart(spec: LineChartSpec): string {
  const { xs, ys } = spec;
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return emptyChart(spec, 'no data points');
  const finite = ys.slice(0, n).filter(Number.isFinite);
  if (finite.length === 0) return emptyChart(spec, `${n} points, none with a value`, n);
  const [minT, maxT] = extent(xs.slice(0, n));
  const unit = timeUnit(maxT);
  const xTicks = niceTicks(minT / unit.size, maxT / unit.size, 6).filter((v) => v * unit.size >= minT - 1e-9 && v * unit.size <= maxT + 1e-9);
  const [yMin, yMax] = extent(finite, 0, 0);
  const [dataMin] = extent(finite);
  const yTicks = niceTicks(yMin, yMax, 4);
  const y0 = yTicks[0]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const tSpan = maxT - minT || 1;
  const px = (t: number) => r1(M.left + ((t - minT) / tSpan) * PLOT_W);
  const py = (v: number) => r1(M.top + PLOT_H - ((v - y0) / (y1 - y0)) * PLOT_H);
  const base = py(Math.max(y0, 0));

  // Line and area, split into segments at non-finite values.
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  const drawn = drawnIndices(ys.slice(0, n));
  for (const i of drawn) {
    const v = ys[i]!;
    if (!Number.isFinite(v)) {
      if (current.length) segments.push(current);
      current = [];
      continue;
    }
    current.push([px(xs[i]!), py(v)]);
  }
  if (current.length) segments.push(current);
  const line = segments.map((seg) => `M${seg.map(([x, y]) => `${x},${y}`).join('L')}`).join('');
  const area = segments
    .filter((seg) => seg.length > 1)
    .map((seg) => `M${seg[0]![0]},${base}L${seg.map(([x, y]) => `${x},${y}`).join('L')}L${seg[seg.length - 1]![0]},${base}Z`)
    .join('');

  const id = esc(spec.id);
  const total = finite.reduce((a, b) => a + b, 0);
  const desc = `${n} points over ${tickLabel(minT / unit.size)}–${tickLabel(maxT / unit.size)} ${unit.name} of simulated time; min ${spec.formatY(dataMin)}, max ${spec.formatY(yMax)}, mean ${spec.formatY(finite.length ? total / finite.length : NaN)}.`;
  const parts: string[] = [
    `<svg class="chart ${esc(spec.tone)}" data-chart="${esc(spec.chart)}" data-points="${n}" data-rendered-points="${drawn.length}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-t ${id}-d">`,
    `<title id="${id}-t">${esc(spec.title)}</title><desc id="${id}-d">${esc(desc)}</desc>`,
    '<g class="grid">',
    ...yTicks.map((v) => `<line x1="${M.left}" x2="${W - M.right}" y1="${py(v)}" y2="${py(v)}"/>`),
    '</g>',
    `<g class="axis y-axis"><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PLOT_H}"/>`,
    ...yTicks.map((v) => `<text x="${M.left - 6}" y="${py(v) + 4}" text-anchor="end">${esc(tickLabel(v))}</text>`),
    '</g>',
    `<g class="axis x-axis"><line x1="${M.left}" x2="${W - M.right}" y1="${M.top + PLOT_H}" y2="${M.top + PLOT_H}"/>`,
    ...xTicks.map((v) => {
      const x = px(v * unit.size);
      return `<line x1="${x}" x2="${x}" y1="${M.top + PLOT_H}" y2="${M.top + PLOT_H + 4}"/><text x="${x}" y="${M.top + PLOT_H + 16}" text-anchor="middle">${esc(tickLabel(v))}${unit.suffix}</text>`;
    }),
    '</g>',
    `<text class="axis-label" x="${M.left + PLOT_W / 2}" y="${H - 6}" text-anchor="middle">simulated time (${unit.name})</text>`,
    `<text class="axis-label" transform="translate(13 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
    area ? `<path class="area" d="${area}"/>` : '',
    `<path class="line" data-series="${esc(spec.chart)}" d="${line}"/>`,
  ];
  if (n <= MAX_MARKERS) {
    parts.push('<g class="points">');
    for (let i = 0; i < n; i++) {
      const v = ys[i]!;
      if (!Number.isFinite(v)) continue;
      parts.push(`<circle data-point="${i}" cx="${px(xs[i]!)}" cy="${py(v)}" r="2.5"><title>t = ${esc(tickLabel(xs[i]! / unit.size))} ${unit.name}: ${esc(spec.formatY(v))}</title></circle>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}

const BAR_LABEL_W = 150;
const BAR_VALUE_W = 120;
const BAR_ROW = 34;

function clip(label: string, max: number): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/** A horizontal bar chart: one labelled bar per entry, its value written after it. */
export function renderBarChart(spec: BarChartSpec): string {
  const bars = spec.bars;
  if (bars.length === 0) return emptyChart(spec, 'no values');
  const top = 10;
  const plotH = bars.length * BAR_ROW;
  const h = top + plotH + 44;
  const x0 = BAR_LABEL_W + 8;
  const plotW = W - x0 - BAR_VALUE_W;
  const ticks = niceTicks(0, extent(bars.map((b) => b.value), 0, 1)[1], 4);
  const max = ticks[ticks.length - 1]!;
  const bx = (v: number) => r1(x0 + (Math.max(0, v) / max) * plotW);
  const id = esc(spec.id);
  const desc = bars.map((b) => `${b.label}: ${spec.formatValue(b.value)}`).join('; ');
  const parts: string[] = [
    `<svg class="chart bars" data-chart="${esc(spec.chart)}" data-points="${bars.length}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="${id}-t ${id}-d">`,
    `<title id="${id}-t">${esc(spec.title)}</title><desc id="${id}-d">${esc(desc)}</desc>`,
    '<g class="grid">',
    ...ticks.map((v) => `<line x1="${bx(v)}" x2="${bx(v)}" y1="${top}" y2="${top + plotH}"/>`),
    '</g>',
    `<g class="axis x-axis"><line x1="${x0}" x2="${x0 + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`,
    ...ticks.map((v) => `<text x="${bx(v)}" y="${top + plotH + 16}" text-anchor="middle">${esc(tickLabel(v))}</text>`),
    '</g>',
    `<text class="axis-label" x="${x0 + plotW / 2}" y="${h - 6}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * BAR_ROW + 6;
    const value = Number.isFinite(b.value) ? b.value : 0;
    const w = Math.max(bx(value) - x0, value > 0 ? 2 : 0);
    parts.push(
      `<g class="bar bar-${(i % 4) + 1}">`,
      `<text class="bar-label" x="${BAR_LABEL_W}" y="${y + 15}" text-anchor="end">${esc(clip(b.label, 24))}<title>${esc(b.label)}</title></text>`,
      `<rect data-bar="${esc(b.label)}" data-value="${esc(b.value)}" x="${x0}" y="${y}" width="${r1(w)}" height="${BAR_ROW - 12}" rx="2"><title>${esc(b.label)}: ${esc(spec.formatValue(b.value))}</title></rect>`,
      `<text class="bar-value" x="${r1(x0 + w + 6)}" y="${y + 15}">${esc(spec.formatValue(b.value))}</text>`,
      '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
