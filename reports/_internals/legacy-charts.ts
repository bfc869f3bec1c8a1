import { escapeHtml as esc } from './escape.ts';
import { formatNumber } from './format.ts';
import { niceTicks } from './svg-chart.ts';

/**
 * The two charts of a legacy scenario's migration section, server-side SVG in
 * the style of svg-chart.ts (same viewBox width, axes, fonts and `bar-N` tone
 * classes): bars grouped per line with one bar per migration order, and a
 * night-by-night strip of each line's reconciliation (clean, dirty, not
 * reconciled). Colours come from CSS classes (REPORT_CSS and LEGACY_CSS).
 */

const W = 560;
const r1 = (v: number) => Math.round(v * 10) / 10;

function clip(label: string, max: number): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const tickLabel = (v: number) => (Math.abs(v) >= 10_000 ? COMPACT.format(v) : formatNumber(v));

export interface GroupedBarSpec {
  chart: string;
  id: string;
  title: string;
  xLabel: string;
  /** One name per bar of a group (the migration orders), in drawing order. */
  series: readonly string[];
  /** One group per line; `values[i]` belongs to `series[i]`, null when there is none. */
  groups: readonly { label: string; values: readonly (number | null)[] }[];
  formatValue: (v: number) => string;
  /** Written where a value is null (`not cut over`). */
  missing: string;
}

const G_LABEL_W = 120;
const G_VALUE_W = 92;
const G_BAR = 11;
const G_BAR_GAP = 2;
const G_GROUP_GAP = 10;
const G_LEGEND = 24;

/** Horizontal bars grouped per entry, one bar per series, a legend above; a null value gets no bar and the `missing` text. */
export function renderGroupedBarChart(spec: GroupedBarSpec): string {
  const { series, groups } = spec;
  const id = esc(spec.id);
  if (groups.length === 0 || series.length === 0) {
    return `<svg class="chart bars" data-chart="${esc(spec.chart)}" data-points="0" viewBox="0 0 ${W} 80" width="${W}" height="80" role="img" aria-labelledby="${id}-t"><title id="${id}-t">${esc(spec.title)}: no values</title><rect class="frame" x="0.5" y="0.5" width="${W - 1}" height="79"/><text class="empty" x="${W / 2}" y="44" text-anchor="middle">no values</text></svg>`;
  }
  const groupH = series.length * (G_BAR + G_BAR_GAP) - G_BAR_GAP;
  const top = G_LEGEND + 6;
  const plotH = groups.length * (groupH + G_GROUP_GAP);
  const h = top + plotH + 40;
  const x0 = G_LABEL_W + 8;
  const plotW = W - x0 - G_VALUE_W;
  let max = 1;
  for (const g of groups) for (const v of g.values) if (v !== null && Number.isFinite(v) && v > max) max = v;
  const ticks = niceTicks(0, max, 4);
  const tmax = ticks[ticks.length - 1]!;
  const bx = (v: number) => r1(x0 + (Math.max(0, v) / tmax) * plotW);
  const val = (v: number | null) => (v === null || !Number.isFinite(v) ? spec.missing : spec.formatValue(v));
  const desc = groups.map((g) => `${g.label}: ${series.map((s, i) => `${s} ${val(g.values[i] ?? null)}`).join(', ')}`).join('; ');
  const parts: string[] = [
    `<svg class="chart bars grouped" data-chart="${esc(spec.chart)}" data-points="${groups.length}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="${id}-t ${id}-d">`,
    `<title id="${id}-t">${esc(spec.title)}</title><desc id="${id}-d">${esc(desc)}</desc>`,
    '<g class="legend">',
  ];
  let lx = x0;
  series.forEach((s, i) => {
    parts.push(`<g class="bar bar-${(i % 4) + 1}"><rect x="${lx}" y="6" width="12" height="12" rx="2"/><text class="bar-label" x="${lx + 17}" y="16">${esc(clip(s, 28))}</text></g>`);
    lx += 17 + Math.min(s.length, 28) * 7.2 + 18;
  });
  parts.push(
    '</g>',
    '<g class="grid">',
    ...ticks.map((v) => `<line x1="${bx(v)}" x2="${bx(v)}" y1="${top}" y2="${top + plotH}"/>`),
    '</g>',
    `<g class="axis x-axis"><line x1="${x0}" x2="${x0 + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`,
    ...ticks.map((v) => `<text x="${bx(v)}" y="${top + plotH + 16}" text-anchor="middle">${esc(tickLabel(v))}</text>`),
    '</g>',
    `<text class="axis-label" x="${x0 + plotW / 2}" y="${h - 6}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
  );
  groups.forEach((g, gi) => {
    const gy = top + G_GROUP_GAP / 2 + gi * (groupH + G_GROUP_GAP);
    parts.push(`<g class="group" data-group="${esc(g.label)}"><text class="bar-label" x="${G_LABEL_W}" y="${r1(gy + groupH / 2 + 4)}" text-anchor="end">${esc(clip(g.label, 20))}<title>${esc(g.label)}</title></text>`);
    series.forEach((s, i) => {
      const v = g.values[i] ?? null;
      const y = gy + i * (G_BAR + G_BAR_GAP);
      const has = v !== null && Number.isFinite(v);
      const w = has ? Math.max(bx(v) - x0, v > 0 ? 2 : 0) : 0;
      const text = val(v);
      parts.push(
        `<g class="bar bar-${(i % 4) + 1}">`,
        `<rect data-bar="${esc(g.label)}" data-series="${esc(s)}" data-value="${has ? esc(v) : 'none'}" x="${x0}" y="${y}" width="${r1(w)}" height="${G_BAR}" rx="1.5"><title>${esc(`${g.label}, ${s}: ${text}`)}</title></rect>`,
        `<text class="bar-value${has ? '' : ' missing'}" x="${r1(x0 + w + 5)}" y="${y + G_BAR - 1.5}">${esc(text)}</text>`,
        '</g>',
      );
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}

export type NightStatus = 'clean' | 'dirty' | 'none';

/** One line's night on one day: reconciled clean (with the clean-night run so far), dirty (with its divergent rows), or not reconciled. */
export interface NightCell {
  status: NightStatus;
  cleanNights?: number;
  divergences?: number;
}

export interface NightStripSpec {
  chart: string;
  id: string;
  title: string;
  /** Days the run lasted: the strip's width. */
  days: number;
  /** One row per line: `nights[d]` is day d + 1; `cutOverDay` gets a tick. */
  rows: readonly { label: string; nights: readonly NightCell[]; cutOverDay: number | null }[];
}

const S_LABEL_W = 120;
const S_ROW = 13;
const S_GAP = 5;

interface Run {
  status: NightStatus;
  from: number;
  to: number;
  firstClean: number;
  lastClean: number;
  divergences: number;
}

/** Consecutive days of one status, merged: a row is a few rects, not one per day. */
function runsOf(nights: readonly NightCell[], days: number): Run[] {
  const out: Run[] = [];
  for (let d = 0; d < days; d++) {
    const c = nights[d] ?? { status: 'none' as const };
    const last = out.at(-1);
    if (last && last.status === c.status) {
      last.to = d + 1;
      if (c.cleanNights !== undefined) last.lastClean = c.cleanNights;
      last.divergences += c.divergences ?? 0;
    } else {
      out.push({ status: c.status, from: d + 1, to: d + 1, firstClean: c.cleanNights ?? 0, lastClean: c.cleanNights ?? 0, divergences: c.divergences ?? 0 });
    }
  }
  return out;
}

function runTitle(label: string, r: Run): string {
  const when = r.from === r.to ? `night ${r.from}` : `nights ${r.from}–${r.to}`;
  if (r.status === 'clean') return `${label}, ${when}: clean (${r.firstClean === r.lastClean ? `clean-night run at ${r.lastClean}` : `clean-night run ${r.firstClean} → ${r.lastClean}`})`;
  if (r.status === 'dirty') return `${label}, ${when}: dirty, ${formatNumber(r.divergences)} divergent row${r.divergences === 1 ? '' : 's'}`;
  return `${label}, ${when}: not reconciled`;
}

/** A strip per line over the run's days: green clean nights, red dirty ones, grey where the line was not reconciled; a dark tick on the day its reads cut over. */
export function renderNightStrip(spec: NightStripSpec): string {
  const days = Math.max(1, Math.floor(spec.days));
  const id = esc(spec.id);
  const top = 6;
  const plotH = spec.rows.length * (S_ROW + S_GAP);
  const h = top + plotH + 52;
  const x0 = S_LABEL_W + 8;
  const plotW = W - x0 - 10;
  const dx = (day: number) => r1(x0 + ((day - 1) / days) * plotW);
  const ticks = niceTicks(1, days, 6).filter((v) => v >= 1 && v <= days);
  const summary = spec.rows.map((row) => {
    const c = row.nights.slice(0, days);
    return `${row.label}: ${c.filter((x) => x.status === 'clean').length} clean, ${c.filter((x) => x.status === 'dirty').length} dirty${row.cutOverDay === null ? ', no cutover' : `, cut over on day ${row.cutOverDay}`}`;
  });
  const parts: string[] = [
    `<svg class="chart nights" data-chart="${esc(spec.chart)}" data-points="${spec.rows.length}" data-days="${days}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="${id}-t ${id}-d">`,
    `<title id="${id}-t">${esc(spec.title)}</title><desc id="${id}-d">${esc(`${days} nights. ${summary.join('; ')}.`)}</desc>`,
  ];
  spec.rows.forEach((row, ri) => {
    const y = top + ri * (S_ROW + S_GAP);
    parts.push(`<g class="night-row" data-night-row="${esc(row.label)}"><text class="bar-label" x="${S_LABEL_W}" y="${y + S_ROW - 2}" text-anchor="end">${esc(clip(row.label, 20))}<title>${esc(row.label)}</title></text>`);
    for (const r of runsOf(row.nights, days)) {
      const x = dx(r.from);
      parts.push(`<rect class="night-${r.status}" data-nights="${r.status}" data-from="${r.from}" data-to="${r.to}" x="${x}" y="${y}" width="${r1(dx(r.to + 1) - x)}" height="${S_ROW}"><title>${esc(runTitle(row.label, r))}</title></rect>`);
    }
    if (row.cutOverDay !== null && row.cutOverDay >= 1 && row.cutOverDay <= days) {
      const x = r1((dx(row.cutOverDay) + dx(row.cutOverDay + 1)) / 2);
      parts.push(`<line class="night-cutover" data-cutover-day="${row.cutOverDay}" x1="${x}" x2="${x}" y1="${y - 2}" y2="${y + S_ROW + 2}"><title>${esc(`${row.label}: reads cut over on day ${row.cutOverDay}`)}</title></line>`);
    }
    parts.push('</g>');
  });
  const axisY = top + plotH;
  parts.push(
    `<g class="axis x-axis"><line x1="${x0}" x2="${x0 + plotW}" y1="${axisY}" y2="${axisY}"/>`,
    ...ticks.map((v) => {
      const x = r1((dx(v) + dx(v + 1)) / 2);
      return `<line x1="${x}" x2="${x}" y1="${axisY}" y2="${axisY + 4}"/><text x="${x}" y="${axisY + 16}" text-anchor="middle">${esc(tickLabel(v))}</text>`;
    }),
    '</g>',
    `<text class="axis-label" x="${x0 + plotW / 2}" y="${axisY + 32}" text-anchor="middle">day of the run</text>`,
  );
  const legend: [string, string][] = [
    ['night-clean', 'clean night'],
    ['night-dirty', 'dirty night'],
    ['night-none', 'not reconciled'],
  ];
  let lx = x0;
  const ly = axisY + 40;
  parts.push('<g class="legend">');
  for (const [cls, text] of legend) {
    parts.push(`<rect class="${cls}" x="${lx}" y="${ly}" width="10" height="10"/><text x="${lx + 14}" y="${ly + 9}">${esc(text)}</text>`);
    lx += 14 + text.length * 6.2 + 16;
  }
  parts.push(`<line class="night-cutover" x1="${lx + 5}" x2="${lx + 5}" y1="${ly - 1}" y2="${ly + 11}"/><text x="${lx + 14}" y="${ly + 9}">reads cut over</text>`, '</g>', '</svg>');
  return parts.join('');
}
