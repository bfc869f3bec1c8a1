import { describe, expect, it } from 'vitest';
import { renderGroupedBarChart, renderNightStrip, type NightCell } from './legacy-charts.ts';

describe('legacy migration charts', () => {
  it('draws one bar per series in each group, a zero-width bar and the missing text for no value', () => {
    const svg = renderGroupedBarChart({
      chart: 'legacy-nights-to-cutover',
      id: 'g',
      title: 't',
      xLabel: 'nights',
      series: ['big-first', 'cheap-first'],
      groups: [
        { label: 'sonic-classic', values: [65, null] },
        { label: 'eco-brush', values: [null, 106] },
      ],
      formatValue: (v) => `${v} nights`,
      missing: 'not cut over',
    });
    expect(svg).toContain('data-points="2"');
    expect(svg.match(/<rect data-bar=/g)).toHaveLength(4);
    expect(svg).toMatch(/<g class="bar bar-1"><rect data-bar="sonic-classic" data-series="big-first" data-value="65"/);
    expect(svg).toMatch(/<g class="bar bar-2"><rect data-bar="sonic-classic" data-series="cheap-first" data-value="none"[^>]*width="0"/);
    expect(svg).toContain('>106 nights</text>');
    expect(svg.match(/>not cut over<\/text>/g)).toHaveLength(2);
    // The legend names each series in its bar's tone.
    expect(svg).toMatch(/<g class="legend"><g class="bar bar-1">.*?big-first<\/text><\/g><g class="bar bar-2">.*?cheap-first<\/text><\/g><\/g>/);
    expect(renderGroupedBarChart({ chart: 'c', id: 'e', title: 't', xLabel: 'x', series: ['a'], groups: [], formatValue: String, missing: '—' })).toContain('no values');
  });

  it('merges consecutive nights of one status into one run, fills days the summary lacks as not reconciled, and ticks the cutover', () => {
    const c = (status: NightCell['status'], cleanNights?: number): NightCell => ({ status, ...(cleanNights === undefined ? {} : { cleanNights }) });
    const svg = renderNightStrip({
      chart: 'legacy-nights',
      id: 'n',
      title: 't',
      days: 10,
      rows: [
        { label: 'kids-club', nights: [c('none'), c('clean', 1), c('clean', 2), c('clean', 3), { status: 'dirty', divergences: 2 }, { status: 'dirty', divergences: 1 }, c('clean', 1)], cutOverDay: 7 },
        { label: 'eco-brush', nights: [], cutOverDay: null },
      ],
    });
    const runs = (label: string) => [...new RegExp(`data-night-row="${label}">(.*?)</g>`).exec(svg)![1]!.matchAll(/data-nights="(\w+)" data-from="(\d+)" data-to="(\d+)"/g)].map((m) => `${m[1]} ${m[2]}-${m[3]}`);
    expect(runs('kids-club')).toEqual(['none 1-1', 'clean 2-4', 'dirty 5-6', 'clean 7-7', 'none 8-10']);
    expect(runs('eco-brush')).toEqual(['none 1-10']);
    expect(svg).toContain('kids-club, nights 5–6: dirty, 3 divergent rows');
    expect(svg).toContain('kids-club, night 7: clean (clean-night run at 1)');
    expect(svg.match(/data-cutover-day=/g)).toHaveLength(1);
    expect(svg).toContain('kids-club: 4 clean, 2 dirty, cut over on day 7; eco-brush: 0 clean, 0 dirty, no cutover.');
  });
});
