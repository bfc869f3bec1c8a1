import type { OtaBaselineRun, ScenarioResult } from '../types.ts';
import { escapeHtml as esc } from './escape.ts';
import { formatNumber } from './format.ts';
import { renderBarChart } from './svg-chart.ts';

type BaselineRun = Pick<OtaBaselineRun, 'baselineDays' | 'state' | 'haltedAtHours' | 'haltStage' | 'onsetHours' | 'onsetToHaltHours' | 'blastRadius' | 'canaryDevices'>;

function runsOf(s: ScenarioResult): BaselineRun[] {
  const v = s.metrics.ota?.baselineCounterfactual;
  return Array.isArray(v) ? (v as BaselineRun[]).filter((r) => r && typeof r.baselineDays === 'number') : [];
}

const hoursText = (h: number | null) => (h === null ? 'not halted' : `${formatNumber(h)} h`);

/**
 * The baseline counterfactual of an OTA scenario (metrics.ota.baselineCounterfactual):
 * the same seed and bad image with 0, 7, 60… days of fleet-health baseline,
 * charted as onset → halt per baseline length, with the blast radius of each in
 * the table. Empty when the scenario ran none.
 */
export function renderBaselineCounterfactual(s: ScenarioResult, anchor: string): string {
  const runs = runsOf(s);
  if (runs.length === 0) return '';
  const label = (r: BaselineRun) => `${formatNumber(r.baselineDays)} d baseline`;
  const halted = runs.filter((r) => r.onsetToHaltHours !== null);
  const chart =
    halted.length === 0
      ? ''
      : `<figure>${renderBarChart({
          chart: 'baseline-onset-to-halt',
          id: `${anchor}-baseline-onset-to-halt`,
          title: `Hours from onset to halt, by days of baseline before the rollout, ${s.name}`,
          xLabel: 'hours from onset to halt',
          bars: halted.map((r) => ({ label: label(r), value: r.onsetToHaltHours! })),
          formatValue: (v) => `${formatNumber(v)} h`,
        })}</figure>`;
  const rows = runs
    .map(
      (r) =>
        `<tr data-baseline-days="${esc(r.baselineDays)}"><td>${esc(label(r))}</td><td>${esc(r.state)}${r.haltStage === null ? '' : ` (stage ${esc(r.haltStage)})`}</td>` +
        `<td class="num">${esc(hoursText(r.haltedAtHours))}</td><td class="num">${esc(r.onsetToHaltHours === null ? '—' : `${formatNumber(r.onsetToHaltHours)} h`)}</td>` +
        `<td class="num">${esc(formatNumber(r.blastRadius))}</td><td class="num">${esc(formatNumber(r.canaryDevices))}</td></tr>`,
    )
    .join('');
  return `<section class="ota" data-ota-baseline aria-labelledby="${anchor}-ota-baseline"><h3 id="${anchor}-ota-baseline">OTA health gate by length of baseline</h3>
<p class="muted">The same seed and the same bad image, with different lengths of fleet-health telemetry before the rollout. The gate judges each device against its own rhythm: with less history it needs a longer silence before a device counts as quiet.</p>
${chart}
<div class="table-wrap"><table class="baseline-counterfactual"><thead><tr><th scope="col">Baseline</th><th scope="col">Rollout</th><th scope="col" class="num">Halted at</th><th scope="col" class="num">Onset → halt</th><th scope="col" class="num">Blast radius</th><th scope="col" class="num">Canary</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}
