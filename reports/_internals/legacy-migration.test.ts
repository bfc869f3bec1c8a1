import { describe, expect, it } from 'vitest';
import type { LegacyLineResult, ScenarioResult } from '../types.ts';
import { renderLegacyMigration } from './legacy-migration.ts';

/** A per-line metric as run-legacy-scenario.ts writes it. */
function line(
  name: string,
  queuePosition: number | null,
  state: string,
  driftBeforeMigration: number,
  driftAfterMigration: number,
  [m2, ml, fd, uf]: [number, number, number, number],
  dirtyNights: number,
  mappingChanges: number,
  dualWriteDay: number | null,
  cutOverDay: number | null,
  nightsToCutover: number | null,
  refusedCutovers: number,
): LegacyLineResult {
  return {
    line: name,
    migrating: queuePosition !== null,
    queuePosition,
    state,
    driftBeforeMigration,
    driftAfterMigration,
    divergences: { 'missing-in-v2': m2, 'missing-in-legacy': ml, 'field-differs': fd, 'unmapped-field': uf },
    dirtyNights,
    mappingChanges,
    dualWriteDay,
    cutOverDay,
    nightsToCutover,
    refusedCutovers,
  };
}

// The two orders of /tmp/lg-migration-order/summary.json (legacy-migration-order, seed as run, 180 days).
const BIG_FIRST = [
  line('sonic-classic', 1, 'v2-only', 0, 2, [0, 0, 16, 16], 2, 2, 1, 65, 65, 63),
  line('kids-club', 2, 'v2-only', 0, 0, [0, 0, 0, 0], 0, 0, 1, 31, 31, 29),
  line('flosser-one', 3, 'v2-only', 0, 0, [0, 0, 0, 0], 0, 0, 31, 61, 31, 29),
  line('dental-pro', 4, 'v2-only', 0, 5, [0, 0, 9, 8], 5, 5, 61, 160, 100, 98),
  line('travel-mini', 7, 'dual-write', 7, 1, [0, 0, 2, 2], 1, 1, 174, null, null, 6),
  line('eco-brush', 8, 'legacy-only', 8, 0, [0, 0, 0, 0], 0, 0, null, null, null, 0),
  line('smile-plus', 6, 'dual-write', 6, 0, [0, 0, 0, 0], 0, 0, 160, null, null, 20),
  line('junior-timer', 5, 'v2-only', 1, 9, [0, 0, 11, 6], 7, 7, 65, 174, 110, 108),
];
const CHEAP_FIRST = [
  line('sonic-classic', 8, 'legacy-only', 7, 0, [0, 0, 0, 0], 0, 0, null, null, null, 0),
  line('kids-club', 7, 'dual-write', 7, 0, [0, 0, 0, 0], 0, 0, 174, null, null, 6),
  line('flosser-one', 6, 'dual-write', 3, 0, [0, 0, 0, 0], 0, 0, 160, null, null, 20),
  line('dental-pro', 5, 'v2-only', 4, 1, [0, 0, 2, 2], 1, 1, 106, 160, 55, 53),
  line('travel-mini', 2, 'v2-only', 0, 1, [0, 0, 1, 1], 1, 1, 1, 31, 31, 29),
  line('eco-brush', 1, 'v2-only', 0, 5, [0, 0, 15, 12], 4, 4, 1, 106, 106, 104),
  line('smile-plus', 3, 'v2-only', 2, 0, [0, 0, 0, 0], 0, 0, 31, 61, 31, 29),
  line('junior-timer', 4, 'v2-only', 1, 9, [0, 0, 11, 6], 7, 7, 61, 174, 114, 112),
];

const scenario = (metrics: Record<string, unknown> | undefined, name = 'legacy-migration-order') => ({ name, metrics }) as unknown as ScenarioResult;

/** metrics.legacy of a scenario with a counterfactual, as summarize() and runLegacyScenario write it. */
function twoOrders(big = BIG_FIRST, cheap = CHEAP_FIRST, extra: Record<string, unknown> = {}) {
  return {
    legacy: {
      order: 'big-first',
      queue: ['sonic-classic', 'kids-club', 'flosser-one', 'dental-pro', 'junior-timer', 'smile-plus', 'travel-mini', 'eco-brush'],
      days: 180,
      requiredCleanNights: 30,
      lines: big,
      nights: [],
      counterfactual: { order: 'cheap-first', days: 180, lines: cheap, nights: [] },
      orders: { 'big-first': big, 'cheap-first': cheap },
      ...extra,
    },
  };
}

/** The `<tr>` of one line in one order's table. */
function row(html: string, order: string, name: string): string {
  const m = new RegExp(`<tr data-legacy-line="${name}" data-order="${order}"[^>]*>.*?</tr>`).exec(html);
  expect(m, `${order} ${name}`).not.toBeNull();
  return m![0];
}
const cell = (tr: string, col: string) => new RegExp(`<td[^>]* data-col="${col}">(.*?)</td>`).exec(tr)?.[1];
const total = (html: string, key: string, order: string) => new RegExp(`<tr data-total="${key}">.*?<td class="num" data-order="${order}">(.*?)</td>`).exec(html)?.[1];
const reading = (html: string) => /<p class="legacy-reading" data-legacy-reading><strong>(.*?)<\/strong><\/p>/.exec(html)?.[1];

describe('the legacy migration section of report.html', () => {
  it('tables every line of each order with its numbers in the right cells, in queue order', () => {
    const html = renderLegacyMigration(scenario(twoOrders()), 's1');
    expect(html).toContain('<section class="legacy" data-legacy');
    const sonic = row(html, 'big-first', 'sonic-classic');
    expect(cell(sonic, 'queue')).toBe('1');
    expect(cell(sonic, 'state')).toContain('v2-only');
    expect(cell(sonic, 'dual-write-day')).toBe('1');
    expect(cell(sonic, 'cut-over-day')).toBe('65');
    expect(cell(sonic, 'drift-before')).toBe('0');
    expect(cell(sonic, 'drift-after')).toBe('2');
    expect(cell(sonic, 'divergences-missing-in-v2')).toBe('0');
    expect(cell(sonic, 'divergences-field-differs')).toBe('16');
    expect(cell(sonic, 'divergences-unmapped-field')).toBe('16');
    expect(cell(sonic, 'mapping-changes')).toBe('2');
    expect(cell(sonic, 'dirty-nights')).toBe('2');
    expect(cell(sonic, 'refused-cutovers')).toBe('63');
    expect(cell(sonic, 'nights-to-cutover')).toBe('65');
    const junior = row(html, 'cheap-first', 'junior-timer');
    expect([cell(junior, 'queue'), cell(junior, 'drift-before'), cell(junior, 'drift-after'), cell(junior, 'mapping-changes'), cell(junior, 'refused-cutovers'), cell(junior, 'nights-to-cutover')]).toEqual(['4', '1', '9', '7', '112', '114']);
    // A line that never cut over: — for its nights to cutover and its cutover day.
    const eco = row(html, 'big-first', 'eco-brush');
    expect(cell(eco, 'state')).toContain('legacy-only');
    expect(cell(eco, 'nights-to-cutover')).toBe('—');
    expect(cell(eco, 'cut-over-day')).toBe('—');
    expect(cell(eco, 'drift-before')).toBe('8');
    // Queue order, not listing order: big-first's table runs 1…8.
    const table = /<table class="legacy-lines" data-order="big-first">.*?<\/table>/s.exec(html)![0];
    expect([...table.matchAll(/data-legacy-line="([^"]+)"/g)].map((m) => m[1])).toEqual(['sonic-classic', 'kids-club', 'flosser-one', 'dental-pro', 'junior-timer', 'smile-plus', 'travel-mini', 'eco-brush']);
    expect(html).toContain('Per line, order big-first (this run)');
    expect(html).toContain('Per line, order cheap-first (counterfactual)');
  });

  it('puts two orders side by side: grouped bars per line, totals per order, and a reading computed from them', () => {
    const html = renderLegacyMigration(scenario(twoOrders()), 's1');
    const nights = /<svg class="chart bars grouped" data-chart="legacy-nights-to-cutover" data-points="8".*?<\/svg>/s.exec(html)![0];
    expect(nights).toContain('<rect data-bar="sonic-classic" data-series="big-first (this run)" data-value="65"');
    expect(nights).toContain('<rect data-bar="eco-brush" data-series="cheap-first (counterfactual)" data-value="106"');
    expect(nights).toMatch(/<rect data-bar="eco-brush" data-series="big-first \(this run\)" data-value="none"[^>]*width="0"/);
    expect(nights).toContain('>not cut over</text>');
    const drift = /<svg class="chart bars grouped" data-chart="legacy-drift-before" data-points="8".*?<\/svg>/s.exec(html)![0];
    expect(drift).toContain('<rect data-bar="eco-brush" data-series="big-first (this run)" data-value="8"');
    expect(drift).toContain('<rect data-bar="sonic-classic" data-series="cheap-first (counterfactual)" data-value="7"');

    expect(total(html, 'lines-cut-over', 'big-first')).toBe('5 of 8 lines');
    expect(total(html, 'lines-cut-over', 'cheap-first')).toBe('5 of 8 lines');
    expect(total(html, 'drift-before', 'big-first')).toBe('22');
    expect(total(html, 'drift-before', 'cheap-first')).toBe('24');
    expect(total(html, 'divergences', 'big-first')).toBe('70');
    expect(total(html, 'divergences', 'cheap-first')).toBe('50');
    expect(total(html, 'mapping-changes', 'big-first')).toBe('15');
    expect(total(html, 'mapping-changes', 'cheap-first')).toBe('13');
    expect(total(html, 'nights-to-cutover', 'big-first')).toBe('337');
    expect(total(html, 'nights-to-cutover', 'cheap-first')).toBe('337');
    expect(total(html, 'lines-dual-write', 'cheap-first')).toBe('2');

    expect(reading(html)).toBe(
      'Both orders cut over 5 of 8 lines by day 180; big-first let 22 drift events land on lines before their migration began against cheap-first’s 24, and reconciliation reported 70 divergences under big-first against 50 under cheap-first.',
    );
  });

  it('reads the data, not a script: the order that cut over more lines leads the sentence', () => {
    // cheap-first gets kids-club over the line on day 180; big-first loses dental-pro.
    const cheap = CHEAP_FIRST.map((l) => (l.line === 'kids-club' ? { ...l, state: 'reads-cut-over', cutOverDay: 180, nightsToCutover: 7 } : l));
    const big = BIG_FIRST.map((l) => (l.line === 'dental-pro' ? { ...l, state: 'dual-write', cutOverDay: null, nightsToCutover: null } : l));
    const html = renderLegacyMigration(scenario(twoOrders(big, cheap)), 's1');
    expect(reading(html)).toMatch(/^cheap-first cut over 6 of 8 lines by day 180, big-first 4; /);
    expect(total(html, 'lines-cut-over', 'cheap-first')).toBe('6 of 8 lines');
    expect(total(html, 'lines-cut-over', 'big-first')).toBe('4 of 8 lines');
    // And the other way round.
    const swapped = renderLegacyMigration(scenario(twoOrders(CHEAP_FIRST, BIG_FIRST)), 's1');
    expect(reading(swapped)).toContain('big-first let 24 drift events land on lines before their migration began against cheap-first’s 22');
    // Equal drift reads as such.
    const same = renderLegacyMigration(scenario(twoOrders(BIG_FIRST, BIG_FIRST)), 's1');
    expect(reading(same)).toBe('Both orders cut over 5 of 8 lines by day 180; both let 22 drift events land on lines before their migration began, and reconciliation reported 70 divergences under each.');
  });

  it('shows a single order without the comparison, and a line that does not migrate as such', () => {
    // legacy-deprecated-live: two lines migrate, travel-mini stays on its (deprecated) v1 API.
    const lines = [
      line('eco-brush', 1, 'v2-only', 0, 0, [0, 0, 0, 0], 0, 0, 5, 19, 15, 13),
      line('smile-plus', 2, 'v2-only', 0, 0, [0, 0, 0, 0], 0, 0, 5, 19, 15, 13),
      line('travel-mini', null, 'legacy-only', 0, 0, [0, 0, 0, 0], 0, 0, null, null, null, 0),
    ];
    const html = renderLegacyMigration(scenario({ legacy: { order: 'as-listed', days: 40, requiredCleanNights: 14, lines, nights: [], orders: { 'as-listed': lines } } }, 'legacy-deprecated-live'), 's4');
    expect(reading(html)).toBe('Order as-listed cut over 2 of the 2 migrating lines by day 40.');
    expect(html).not.toContain('data-chart="legacy-nights-to-cutover"');
    expect(html).not.toContain('data-total=');
    const travel = row(html, 'as-listed', 'travel-mini');
    expect(cell(travel, 'queue')).toBe('—');
    expect(cell(travel, 'state')).toContain('not migrating');
    expect(cell(row(html, 'as-listed', 'eco-brush'), 'nights-to-cutover')).toBe('15');
    expect(html).toContain('after 14 consecutive clean nights');
    // A counterfactual that could not run says why.
    const skipped = renderLegacyMigration(scenario({ legacy: { order: 'as-listed', days: 40, lines, orders: { 'as-listed': lines }, counterfactualSkipped: 'the external environment cannot start a second, fresh platform' } }), 's4');
    expect(skipped).toContain('No counterfactual order: the external environment cannot start a second, fresh platform.');
  });

  it('draws each order’s nights, line by line: runs of clean and dirty nights, and the cutover day', () => {
    const night = (day: number, lines: Record<string, [boolean, number, number]>) => ({ day, lines: Object.fromEntries(Object.entries(lines).map(([k, [clean, cleanNights, divergences]]) => [k, { clean, cleanNights, divergences }])) });
    const lines = [line('kids-club', 1, 'reads-cut-over', 0, 1, [0, 0, 3, 3], 1, 1, 2, 6, 5, 3)];
    const nights = [night(1, {}), night(2, { 'kids-club': [true, 1, 0] }), night(3, { 'kids-club': [false, 0, 3] }), night(4, { 'kids-club': [true, 1, 0] }), night(5, { 'kids-club': [true, 2, 0] }), night(6, { 'kids-club': [true, 3, 0] })];
    const html = renderLegacyMigration(scenario({ legacy: { order: 'as-listed', days: 6, requiredCleanNights: 3, lines, nights, orders: { 'as-listed': lines } } }), 's2');
    const svg = /<svg class="chart nights" data-chart="legacy-nights" data-points="1" data-days="6".*?<\/svg>/s.exec(html)![0];
    const runs = [...svg.matchAll(/data-nights="(\w+)" data-from="(\d+)" data-to="(\d+)"/g)].map((m) => `${m[1]} ${m[2]}-${m[3]}`);
    expect(runs).toEqual(['none 1-1', 'clean 2-2', 'dirty 3-3', 'clean 4-6']);
    expect(svg).toContain('kids-club, night 3: dirty, 3 divergent rows');
    expect(svg).toContain('kids-club, nights 4–6: clean (clean-night run 1 → 3)');
    expect(svg).toContain('data-cutover-day="6"');
    // No nights in the summary: no strip.
    expect(renderLegacyMigration(scenario({ legacy: { order: 'as-listed', days: 6, lines, orders: { 'as-listed': lines } } }), 's2')).not.toContain('data-chart="legacy-nights"');
  });

  it('renders nothing for a scenario without metrics.legacy, or with one it cannot read, and never throws', () => {
    expect(renderLegacyMigration(scenario({ uploads: 3 }), 's1')).toBe('');
    expect(renderLegacyMigration(scenario(undefined), 's1')).toBe('');
    for (const legacy of [null, 7, 'x', [], {}, { lines: 'x' }, { orders: { a: [1, null, 'x'] } }, { orders: null, lines: [{}] }]) {
      expect(renderLegacyMigration(scenario({ legacy }), 's1'), JSON.stringify(legacy)).toBe('');
    }
  });

  it('shows an older summary’s lines with — where fields are missing, and escapes what it shows', () => {
    const html = renderLegacyMigration(scenario({ legacy: { lines: [{ line: '<img src=x>', state: 'dual-write', divergences: 'n/a', nights: 'x' }], nights: [{ day: 'x' }, null] } }), 's1');
    expect(html).toContain('data-legacy-line="&lt;img src=x&gt;"');
    expect(html).not.toContain('<img');
    const tr = /<tr data-legacy-line=.*?<\/tr>/.exec(html)![0];
    expect(cell(tr, 'queue')).toBe('—');
    expect(cell(tr, 'nights-to-cutover')).toBe('—');
    expect(reading(html)).toBe('The run cut over 0 of 1 line by the end of the run; 1 still in dual-write.');
  });
});
