import { describe, expect, it } from 'vitest';
import { niceTicks, renderBarChart, renderLineChart } from './svg-chart.ts';

const spec = (xs: number[], ys: number[]) => ({ chart: 'uploads', id: 'c', title: 'Uploads', yLabel: 'uploads', xs, ys, formatY: String, tone: 'tone-1' });

describe('svg charts', () => {
  it('picks round ticks covering the range', () => {
    expect(niceTicks(0, 97, 4)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 0, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 19_874, 4)).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
  });

  it('draws one vertex and one marker per point, with gaps at values that could not be measured', () => {
    const svg = renderLineChart(spec([60, 120, 180, 240, 300], [5, 7, NaN, 4, 6]));
    expect(svg).toContain('data-points="5"');
    expect(svg.match(/<circle /g)).toHaveLength(4);
    const d = /class="line" data-series="uploads" d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.split(/[ML]/).filter(Boolean)).toHaveLength(4);
    expect(svg).toContain('simulated time (min)');
  });

  it('handles a week of one-second steps: decimated line, no stack overflow, every point still counted', () => {
    const n = 604_800;
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const ys = xs.map((t) => Math.round(100 + 80 * Math.sin(t / 13_751)));
    const svg = renderLineChart(spec(xs, ys));
    expect(svg).toContain(`data-points="${n}"`);
    const drawn = Number(/data-rendered-points="(\d+)"/.exec(svg)![1]);
    expect(drawn).toBeGreaterThan(100);
    expect(drawn).toBeLessThanOrEqual(2_000);
    expect(svg).not.toContain('<circle');
    expect(svg).toContain('simulated time (days)');
    expect(svg.length).toBeLessThan(100_000);
  });

  it('draws a bar per value with its number, even a zero', () => {
    const svg = renderBarChart({ chart: 'blast-radius', id: 'b', title: 't', xLabel: 'devices', bars: [{ label: 'health-gate', value: 0 }, { label: 'transfer-success', value: 19_874 }], formatValue: String });
    expect(svg).toContain('data-points="2"');
    expect(svg).toMatch(/<rect data-bar="health-gate" data-value="0" [^>]*width="0"/);
    expect(svg).toContain('>19874</text>');
  });
});
