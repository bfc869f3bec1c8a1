import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../types.ts';
import { renderBaselineCounterfactual } from './ota-baseline-chart.ts';

const run = (baselineDays: number, onsetToHaltHours: number | null) => ({
  baselineDays,
  state: onsetToHaltHours === null ? 'active' : 'halted',
  haltedAtHours: onsetToHaltHours === null ? null : 19 + onsetToHaltHours,
  haltStage: onsetToHaltHours === null ? null : 0,
  onsetHours: 19,
  onsetToHaltHours,
  blastRadius: 19,
  canaryDevices: 19,
});
const scenario = (ota: Record<string, unknown>) => ({ name: 'ota-baseline-age', metrics: { ota: { blastRadius: {}, ...ota } } }) as unknown as ScenarioResult;

describe('the OTA baseline counterfactual in report.html', () => {
  it('charts onset → halt per baseline length and tables every run, halted or not', () => {
    const html = renderBaselineCounterfactual(scenario({ baselineCounterfactual: [run(0, 66), run(7, 34), run(60, null)] }), 's0');
    expect(html).toContain('data-chart="baseline-onset-to-halt"');
    expect(html.match(/<tr data-baseline-days=/g)).toHaveLength(3);
    expect(html).toContain('not halted');
    expect(html).toContain('66 h');
  });

  it('renders nothing for a scenario without one', () => {
    expect(renderBaselineCounterfactual(scenario({}), 's0')).toBe('');
  });
});
