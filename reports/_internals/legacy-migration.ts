import type { ScenarioResult } from '../types.ts';
import { escapeHtml as esc } from './escape.ts';
import { formatNumber } from './format.ts';
import { renderGroupedBarChart, renderNightStrip, type NightCell } from './legacy-charts.ts';

/**
 * The migration section of a legacy scenario in report.html, from
 * `metrics.legacy` (harness/products/run/run-legacy-scenario.ts): per line of
 * each migration order, where the strangler-fig migration left it and what it
 * cost; with a counterfactual order, the orders side by side (charts, totals,
 * a reading computed from them); and each order's nights, line by line.
 * Everything is read defensively: a field an older summary lacks shows as —,
 * and a scenario without `metrics.legacy` (or with one this cannot read)
 * renders nothing.
 */

/** Styles the section needs beyond REPORT_CSS (appended to the page's stylesheet). */
export const LEGACY_CSS = `
svg.chart .night-clean { fill: var(--pass); }
svg.chart .night-dirty { fill: var(--fail); }
svg.chart .night-none { fill: var(--grid); }
svg.chart .night-cutover { stroke: var(--fg); stroke-width: 2; }
svg.chart.nights .bar-label { fill: var(--fg); font-size: 12px; }
svg.chart.grouped .bar-value { font-size: 11px; }
svg.chart.grouped .bar-value.missing { fill: var(--muted); font-weight: 400; font-style: italic; }
.legacy .legacy-reading { font-size: 15.5px; max-width: 900px; }
.legacy h4 { font-size: 14px; margin: 18px 0 4px; }
table.legacy-lines th, table.legacy-lines td { padding: 5px 6px; }
table.legacy-lines thead th { font-size: 11px; letter-spacing: .02em; vertical-align: bottom; white-space: normal; hyphens: manual; }
table.legacy-lines td[data-col="state"], table.legacy-lines tbody th { white-space: nowrap; }
table.legacy-lines thead tr:first-child th[colspan] { text-align: center; border-bottom: 1px solid var(--border); }
table.legacy-totals { max-width: 760px; }
table.legacy-totals tbody th { width: 46%; }
.legacy .state-reads-cut-over, .legacy .state-v2-only { color: var(--pass); font-weight: 600; }
.legacy .state-dual-write { color: var(--tone-2); font-weight: 600; }
`;

const KNOWN_KINDS = ['missing-in-v2', 'missing-in-legacy', 'field-differs', 'unmapped-field'];
const KIND_LABEL: Record<string, string> = { 'missing-in-v2': 'missing in v2', 'missing-in-legacy': 'missing in legacy', 'field-differs': 'field differs', 'unmapped-field': 'unmapped field' };

interface Line {
  line: string;
  migrating: boolean | null;
  queuePosition: number | null;
  state: string | null;
  driftBefore: number | null;
  driftAfter: number | null;
  divergences: Record<string, number> | null;
  dirtyNights: number | null;
  mappingChanges: number | null;
  dualWriteDay: number | null;
  cutOverDay: number | null;
  nightsToCutover: number | null;
  refusedCutovers: number | null;
}

interface Order {
  /** '' for the order of a summary that does not name it. */
  name: string;
  primary: boolean;
  lines: Line[];
  /** Days the order ran, and its nights when the summary carries them. */
  days: number | null;
  nights: Map<string, NightCell[]> | null;
}

interface Legacy {
  days: number | null;
  requiredCleanNights: number | null;
  orders: Order[];
  counterfactualSkipped: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function parseLine(v: unknown): Line | null {
  if (!isObj(v) || typeof v.line !== 'string') return null;
  let divergences: Record<string, number> | null = null;
  if (isObj(v.divergences)) {
    divergences = {};
    for (const [k, n] of Object.entries(v.divergences)) if (num(n) !== null) divergences[k] = n as number;
  }
  return {
    line: v.line,
    migrating: typeof v.migrating === 'boolean' ? v.migrating : null,
    queuePosition: num(v.queuePosition),
    state: str(v.state),
    driftBefore: num(v.driftBeforeMigration),
    driftAfter: num(v.driftAfterMigration),
    divergences,
    dirtyNights: num(v.dirtyNights),
    mappingChanges: num(v.mappingChanges),
    dualWriteDay: num(v.dualWriteDay),
    cutOverDay: num(v.cutOverDay),
    nightsToCutover: num(v.nightsToCutover),
    refusedCutovers: num(v.refusedCutovers),
  };
}

/** `nights[]` of a summary as, per line, one cell per day (index day − 1); null when it holds none. */
function parseNights(v: unknown, days: number | null): { days: number; cells: Map<string, NightCell[]> } | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const cells = new Map<string, NightCell[]>();
  let last = 0;
  for (const n of v) {
    if (!isObj(n) || !isObj(n.lines)) continue;
    const day = num(n.day);
    if (day === null || day < 1 || !Number.isInteger(day) || day > 100_000) continue;
    last = Math.max(last, day);
    for (const [line, x] of Object.entries(n.lines)) {
      if (!isObj(x) || typeof x.clean !== 'boolean') continue;
      const row = cells.get(line) ?? [];
      row[day - 1] = x.clean
        ? { status: 'clean', ...(num(x.cleanNights) !== null ? { cleanNights: x.cleanNights as number } : {}) }
        : { status: 'dirty', ...(num(x.divergences) !== null ? { divergences: x.divergences as number } : {}) };
      cells.set(line, row);
    }
  }
  const total = Math.max(last, days ?? 0);
  if (total === 0) return null;
  for (const row of cells.values()) for (let d = 0; d < total; d++) row[d] ??= { status: 'none' };
  return { days: total, cells };
}

function parseLegacy(s: ScenarioResult): Legacy | null {
  const legacy = (s.metrics as Record<string, unknown> | undefined)?.legacy;
  if (!isObj(legacy)) return null;
  const primaryName = str(legacy.order) ?? '';
  const days = num(legacy.days);
  const source: Record<string, unknown> = isObj(legacy.orders) ? legacy.orders : { [primaryName]: legacy.lines };
  const cf = isObj(legacy.counterfactual) ? legacy.counterfactual : null;
  const orders: Order[] = [];
  for (const [name, value] of Object.entries(source)) {
    if (!Array.isArray(value)) continue;
    const lines = value.map(parseLine).filter((l): l is Line => l !== null);
    if (lines.length === 0) continue;
    const primary = name === primaryName;
    const own = primary ? { days, nights: legacy.nights } : cf && str(cf.order) === name ? { days: num(cf.days), nights: cf.nights } : null;
    const nights = own ? parseNights(own.nights, own.days) : null;
    orders.push({ name, primary, lines, days: nights?.days ?? own?.days ?? days, nights: nights?.cells ?? null });
  }
  if (orders.length === 0) return null;
  orders.sort((a, b) => Number(b.primary) - Number(a.primary));
  return { days, requiredCleanNights: num(legacy.requiredCleanNights), orders, counterfactualSkipped: str(legacy.counterfactualSkipped) };
}

const isCutOver = (l: Line) => l.cutOverDay !== null || l.state === 'reads-cut-over' || l.state === 'v2-only';
const isMigrating = (l: Line) => l.migrating ?? (l.queuePosition !== null || (l.state !== null && l.state !== 'legacy-only'));

function sumOf(lines: readonly Line[], f: (l: Line) => number | null): number | null {
  let total: number | null = null;
  for (const l of lines) {
    const v = f(l);
    if (v !== null) total = (total ?? 0) + v;
  }
  return total;
}

const divergenceTotal = (l: Line) => (l.divergences ? Object.values(l.divergences).reduce((a, b) => a + b, 0) : null);

interface Totals {
  lines: number;
  migrating: number;
  cutOver: number;
  dualWrite: number;
  legacyOnly: number;
  driftBefore: number | null;
  driftAfter: number | null;
  divergences: number | null;
  dirtyNights: number | null;
  mappingChanges: number | null;
  refusedCutovers: number | null;
  nightsToCutover: number | null;
  lastCutOverDay: number | null;
}

function totalsOf(lines: readonly Line[]): Totals {
  const cutDays = lines.map((l) => l.cutOverDay).filter((d): d is number => d !== null);
  return {
    lines: lines.length,
    migrating: lines.filter(isMigrating).length,
    cutOver: lines.filter(isCutOver).length,
    dualWrite: lines.filter((l) => l.state === 'dual-write').length,
    legacyOnly: lines.filter((l) => l.state === 'legacy-only').length,
    driftBefore: sumOf(lines, (l) => l.driftBefore),
    driftAfter: sumOf(lines, (l) => l.driftAfter),
    divergences: sumOf(lines, divergenceTotal),
    dirtyNights: sumOf(lines, (l) => l.dirtyNights),
    mappingChanges: sumOf(lines, (l) => l.mappingChanges),
    refusedCutovers: sumOf(lines, (l) => l.refusedCutovers),
    nightsToCutover: sumOf(lines, (l) => l.nightsToCutover),
    lastCutOverDay: cutDays.length ? Math.max(...cutDays) : null,
  };
}

const n = (v: number | null) => (v === null ? '—' : formatNumber(v));
const plural = (k: number, one: string, many = `${one}s`) => `${formatNumber(k)} ${k === 1 ? one : many}`;

/** `5 of 8 lines`, or `2 of the 2 migrating lines` when some lines do not migrate. */
function ofLines(t: Totals): string {
  return t.migrating > 0 && t.migrating < t.lines ? `${formatNumber(t.cutOver)} of the ${plural(t.migrating, 'migrating line')}` : `${formatNumber(t.cutOver)} of ${plural(t.lines, 'line')}`;
}

const byDay = (days: number | null) => (days === null ? 'by the end of the run' : `by day ${formatNumber(days)}`);

/** One sentence comparing the orders, from their totals. */
function legacyReading(orders: readonly { name: string; totals: Totals }[], days: number | null): string {
  if (orders.length === 0) return '';
  if (orders.length === 1) {
    const { name, totals: t } = orders[0]!;
    const rest = [t.dualWrite ? `${formatNumber(t.dualWrite)} still in dual-write` : '', t.migrating - t.cutOver - t.dualWrite > 0 ? `${formatNumber(t.migrating - t.cutOver - t.dualWrite)} not yet migrating` : ''].filter(Boolean);
    return `${name ? `Order ${name}` : 'The run'} cut over ${ofLines(t)} ${byDay(days)}${rest.length ? `; ${rest.join(', ')}` : ''}.`;
  }
  const cut = orders.map((o) => o.totals.cutOver);
  const same = cut.every((c) => c === cut[0]);
  const all = orders.length === 2 ? 'Both orders' : `All ${orders.length} orders`;
  const ranked = [...orders].sort((a, b) => b.totals.cutOver - a.totals.cutOver);
  const lead = same
    ? `${all} cut over ${ofLines(orders[0]!.totals)} ${byDay(days)}`
    : `${ranked[0]!.name} cut over ${ofLines(ranked[0]!.totals)} ${byDay(days)}, ${ranked
        .slice(1)
        .map((o) => `${o.name} ${formatNumber(o.totals.cutOver)}`)
        .join(', ')}`;
  const clauses: string[] = [];
  const compare = (f: (t: Totals) => number | null, equal: (v: number) => string, pair: (a: string, va: number, b: string, vb: number) => string, list: string) => {
    const vs = orders.map((o) => f(o.totals));
    if (vs.some((v) => v === null)) return;
    const values = vs as number[];
    if (values.every((v) => v === values[0])) clauses.push(equal(values[0]!));
    else if (orders.length === 2) clauses.push(pair(orders[0]!.name, values[0]!, orders[1]!.name, values[1]!));
    else clauses.push(`${list}: ${orders.map((o, i) => `${o.name} ${formatNumber(values[i]!)}`).join(', ')}`);
  };
  compare(
    (t) => t.driftBefore,
    (v) => `${orders.length === 2 ? 'both' : 'each'} let ${plural(v, 'drift event')} land on lines before their migration began`,
    (a, va, b, vb) => `${a} let ${plural(va, 'drift event')} land on lines before their migration began against ${b}’s ${formatNumber(vb)}`,
    'drift events before migration',
  );
  compare(
    (t) => t.divergences,
    (v) => `reconciliation reported ${plural(v, 'divergence')} under each`,
    (a, va, b, vb) => `reconciliation reported ${plural(va, 'divergence')} under ${a} against ${formatNumber(vb)} under ${b}`,
    'divergences reported',
  );
  const tail = clauses.length === 0 ? '' : clauses.length === 1 ? `; ${clauses[0]}` : `; ${clauses.slice(0, -1).join(', ')}, and ${clauses.at(-1)}`;
  return `${lead}${tail}.`;
}

const byQueue = (lines: readonly Line[]) =>
  lines
    .map((l, i) => [l, i] as const)
    .sort(([a, i], [b, j]) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity) || i - j)
    .map(([l]) => l);

function kindsOf(orders: readonly Order[]): string[] {
  const seen = new Set<string>();
  for (const o of orders) for (const l of o.lines) for (const k of Object.keys(l.divergences ?? {})) seen.add(k);
  return [...KNOWN_KINDS.filter((k) => seen.has(k)), ...[...seen].filter((k) => !KNOWN_KINDS.includes(k)).sort()];
}

function stateCell(l: Line): string {
  const state = l.state === null ? '—' : `<span class="state-${esc(l.state.replace(/[^a-z0-9-]/gi, ''))}">${esc(l.state)}</span>`;
  return `${state}${l.migrating === false ? '<br><span class="muted">not migrating</span>' : ''}`;
}

function renderLineTable(o: Order, kinds: readonly string[]): string {
  const cell = (col: string, v: number | null) => `<td class="num" data-col="${col}">${esc(n(v))}</td>`;
  const rows = byQueue(o.lines).map(
    (l) =>
      `<tr data-legacy-line="${esc(l.line)}" data-order="${esc(o.name)}" data-state="${esc(l.state ?? '')}"><th scope="row"><code>${esc(l.line)}</code></th>` +
      cell('queue', l.queuePosition) +
      `<td data-col="state">${stateCell(l)}</td>` +
      cell('dual-write-day', l.dualWriteDay) +
      cell('cut-over-day', l.cutOverDay) +
      cell('drift-before', l.driftBefore) +
      cell('drift-after', l.driftAfter) +
      kinds.map((k) => `<td class="num" data-col="divergences-${esc(k)}">${esc(l.divergences ? n(l.divergences[k] ?? 0) : '—')}</td>`).join('') +
      cell('mapping-changes', l.mappingChanges) +
      cell('dirty-nights', l.dirtyNights) +
      cell('refused-cutovers', l.refusedCutovers) +
      cell('nights-to-cutover', l.nightsToCutover) +
      '</tr>',
  );
  const kindHead = kinds.length ? `<th scope="colgroup" colspan="${kinds.length}">Divergences, by kind</th>` : '';
  return `<div class="table-wrap"><table class="legacy-lines" data-order="${esc(o.name)}"><thead>
<tr><th scope="col" rowspan="2">Line</th><th scope="col" rowspan="2" class="num">Queue</th><th scope="col" rowspan="2">Final state</th><th scope="colgroup" colspan="2">Day of</th><th scope="colgroup" colspan="2">Drift events</th>${kindHead}<th scope="col" rowspan="2" class="num">Mapping changes</th><th scope="col" rowspan="2" class="num">Dirty nights</th><th scope="col" rowspan="2" class="num">Refused cutovers</th><th scope="col" rowspan="2" class="num">Nights to cutover</th></tr>
<tr><th scope="col" class="num">dual-write</th><th scope="col" class="num">cutover</th><th scope="col" class="num">before migration</th><th scope="col" class="num">after</th>${kinds.map((k) => `<th scope="col" class="num">${esc(KIND_LABEL[k] ?? k)}</th>`).join('')}</tr>
</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

const orderTitle = (o: Order) => (o.name ? `${o.name}${o.primary ? ' (this run)' : ' (counterfactual)'}` : 'this run');

function renderTotals(orders: readonly Order[], totals: readonly Totals[], days: number | null): string {
  const rows: [key: string, label: string, value: (t: Totals) => string][] = [
    ['lines-cut-over', `Lines cut over ${byDay(days)}`, (t) => ofLines(t)],
    ['lines-dual-write', 'Lines still in dual-write', (t) => formatNumber(t.dualWrite)],
    ['lines-legacy-only', 'Lines still legacy-only', (t) => formatNumber(t.legacyOnly)],
    ['drift-before', 'Drift events before migration began', (t) => n(t.driftBefore)],
    ['drift-after', 'Drift events after dual-write began', (t) => n(t.driftAfter)],
    ['divergences', 'Divergences reported, all kinds', (t) => n(t.divergences)],
    ['dirty-nights', 'Dirty nights', (t) => n(t.dirtyNights)],
    ['mapping-changes', 'Mapping changes', (t) => n(t.mappingChanges)],
    ['refused-cutovers', 'Refused cutover requests', (t) => n(t.refusedCutovers)],
    ['nights-to-cutover', 'Nights to cutover, summed over the lines cut over', (t) => n(t.nightsToCutover)],
    ['last-cutover-day', 'Day the last line cut over', (t) => n(t.lastCutOverDay)],
  ];
  return `<div class="table-wrap"><table class="legacy-totals"><thead><tr><th scope="col">Per order</th>${orders.map((o) => `<th scope="col" class="num">${esc(orderTitle(o))}</th>`).join('')}</tr></thead><tbody>${rows
    .map(([key, label, value]) => `<tr data-total="${key}"><th scope="row">${esc(label)}</th>${totals.map((t, i) => `<td class="num" data-order="${esc(orders[i]!.name)}">${esc(value(t))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

function renderComparison(legacy: Legacy, totals: readonly Totals[], s: ScenarioResult, anchor: string): string {
  const { orders } = legacy;
  const series = orders.map(orderTitle);
  const lineNames = orders[0]!.lines.map((l) => l.line);
  for (const o of orders.slice(1)) for (const l of o.lines) if (!lineNames.includes(l.line)) lineNames.push(l.line);
  const groups = (f: (l: Line) => number | null) =>
    lineNames.map((name) => ({ label: name, values: orders.map((o) => { const l = o.lines.find((x) => x.line === name); return l ? f(l) : null; }) }));
  const nightsChart = renderGroupedBarChart({
    chart: 'legacy-nights-to-cutover',
    id: `${anchor}-legacy-nights-to-cutover`,
    title: `Nights of dual-write until reads cut over, per line and migration order, ${s.name}`,
    xLabel: 'nights of dual-write to cutover',
    series,
    groups: groups((l) => l.nightsToCutover),
    formatValue: (v) => `${formatNumber(v)} nights`,
    missing: 'not cut over',
  });
  const driftChart = renderGroupedBarChart({
    chart: 'legacy-drift-before',
    id: `${anchor}-legacy-drift-before`,
    title: `Drift events deployed to a line's old API before its migration began, per line and migration order, ${s.name}`,
    xLabel: 'drift events before migration began',
    series,
    groups: groups((l) => l.driftBefore),
    formatValue: (v) => formatNumber(v),
    missing: '—',
  });
  return `<div class="charts"><figure><figcaption>Nights to cutover <span class="muted">per line, each order</span></figcaption>${nightsChart}</figure><figure><figcaption>Drift accreted before migration <span class="muted">per line, each order</span></figcaption>${driftChart}</figure></div>
${renderTotals(orders, totals, legacy.days)}`;
}

function renderNights(legacy: Legacy, s: ScenarioResult, anchor: string): string {
  const figures = legacy.orders
    .filter((o) => o.nights !== null && o.nights.size > 0)
    .map((o, i) => {
      const rows = byQueue(o.lines).map((l) => ({
        label: l.queuePosition === null ? l.line : `${l.queuePosition}. ${l.line}`,
        nights: o.nights!.get(l.line) ?? [],
        cutOverDay: l.cutOverDay,
      }));
      const svg = renderNightStrip({ chart: 'legacy-nights', id: `${anchor}-legacy-nights-${i + 1}`, title: `Reconciliation night by night, per line${o.name ? `, order ${o.name}` : ''}, ${s.name}`, days: o.days ?? 1, rows });
      return `<figure data-legacy-nights="${esc(o.name)}"><figcaption>${esc(orderTitle(o))} <span class="muted">night by night, lines in queue order</span></figcaption>${svg}</figure>`;
    });
  if (figures.length === 0) return '';
  const gate = legacy.requiredCleanNights === null ? 'enough consecutive clean nights' : `${formatNumber(legacy.requiredCleanNights)} consecutive clean nights`;
  return `<h4>Night by night</h4><p class="muted">Each night reconciliation compares a dual-writing line’s legacy and v2 rows; a dirty night (any divergence) restarts its run of clean nights, and reads may cut over only after ${esc(gate)}.</p><div class="charts">${figures.join('')}</div>`;
}

/** The migration section of a legacy scenario; empty for any other scenario, and for a `metrics.legacy` it cannot read. */
export function renderLegacyMigration(s: ScenarioResult, anchor: string): string {
  try {
    const legacy = parseLegacy(s);
    if (!legacy) return '';
    const { orders } = legacy;
    const totals = orders.map((o) => totalsOf(o.lines));
    const reading = legacyReading(
      orders.map((o, i) => ({ name: o.name, totals: totals[i]! })),
      legacy.days,
    );
    const kinds = kindsOf(orders);
    const gate = legacy.requiredCleanNights === null ? '' : ` after ${formatNumber(legacy.requiredCleanNights)} consecutive clean nights`;
    const intro = `<p class="muted">Each v1 product line moves legacy-only → dual-write → reads cut over${esc(gate)} → v2-only, in queue order. Drift deployed to a line’s old API before its migration began is folded into its first mapping; drift after dual-write began must surface as divergences in nightly reconciliation, and each dirty night restarts the clean-night count.</p>`;
    const skipped = legacy.counterfactualSkipped ? `<p class="muted" data-legacy-counterfactual-skipped>No counterfactual order: ${esc(legacy.counterfactualSkipped)}.</p>` : '';
    const comparison = orders.length >= 2 ? renderComparison(legacy, totals, s, anchor) : '';
    const tables = orders.map((o) => `<h4>Per line${o.name ? `, order ${esc(orderTitle(o))}` : ''}</h4>${renderLineTable(o, kinds)}`).join('\n');
    return `<section class="legacy" data-legacy aria-labelledby="${anchor}-legacy"><h3 id="${anchor}-legacy">Legacy migration${orders.length >= 2 ? ' by migration order' : ''}</h3>
${intro}
<p class="legacy-reading" data-legacy-reading><strong>${esc(reading)}</strong></p>
${skipped}${comparison}
${tables}
${renderNights(legacy, s, anchor)}
</section>`;
  } catch {
    return '';
  }
}
