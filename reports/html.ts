import { join } from 'node:path';
import { writeFileAtomic } from './_internals/atomic-write.ts';
import { escapeHtml as esc } from './_internals/escape.ts';
import { LEGACY_CSS, renderLegacyMigration } from './_internals/legacy-migration.ts';
import { renderBaselineCounterfactual } from './_internals/ota-baseline-chart.ts';
import {
  attackFailed,
  formatMs,
  formatNumber,
  formatRequest,
  formatResponse,
  formatSimDuration,
  formatViolations,
  formatWallSeconds,
  short,
} from './_internals/format.ts';
import { REPORT_CSS } from './_internals/report-css.ts';
import { renderBarChart, renderLineChart } from './_internals/svg-chart.ts';
import { owaspClass } from './owasp.ts';
import type { AttackResult, InvariantResult, RunReport, ScenarioMetrics, ScenarioResult, TimelinePoint, Witness } from './types.ts';

/** File name of the HTML report inside a report directory. */
export const REPORT_HTML_FILE = 'report.html';

/**
 * No network, no script: a report is opened from disk, by CI artefact viewers
 * and by security reviewers, and it carries attacker-made strings.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

type Tone = 'pass' | 'fail' | 'skip' | 'refused' | 'got-through';

const BADGE: Record<Tone, [icon: string, text: string]> = {
  pass: ['✓', 'PASS'],
  fail: ['✗', 'FAIL'],
  skip: ['–', 'SKIP'],
  refused: ['✓', 'REFUSED'],
  'got-through': ['✗', 'GOT THROUGH'],
};

/** A verdict in colour and in words (colour alone is not enough). */
function badge(tone: Tone): string {
  const [icon, text] = BADGE[tone];
  return `<span class="verdict v-${tone}"><span aria-hidden="true">${icon}</span> ${text}</span>`;
}

function facts(entries: [label: string, value: string, mono?: boolean][]): string {
  return `<dl class="facts">${entries.map(([k, v, mono]) => `<div><dt>${esc(k)}</dt><dd${mono ? ' class="mono"' : ''}>${v}</dd></div>`).join('')}</dl>`;
}

function replayLine(s: ScenarioResult, report: RunReport): string {
  return `<p class="replay-line" data-replay><span class="muted">Reproduce</span> <code>${esc(s.replay)}</code> <span class="muted">at commit</span> <code>${esc(short(report.commit))}</code></p>`;
}

/** Escaped text that may wrap after `_` and `/` (problem codes, paths) rather than mid-word. */
function breakable(value: string): string {
  return esc(value).replace(/([_/])/g, '$1<wbr>');
}

function counts<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}

function renderHeader(report: RunReport): string {
  const failing = report.scenarios.filter((s) => s.verdict === 'fail');
  const replay = failing.length
    ? `<section class="replay-box" aria-labelledby="reproduce"><h2 id="reproduce">Reproduce the failures</h2><ul>${failing
        .map((s) => `<li><a href="#${scenarioAnchor(report, s)}">${esc(s.name)}</a>: <code data-replay>${esc(s.replay)}</code></li>`)
        .join('')}</ul><p class="muted">at commit <code>${esc(report.commit)}</code></p></section>`
    : '';
  return `<header class="run-header${report.verdict === 'fail' ? ' is-fail' : ''}" data-run-verdict="${esc(report.verdict)}">
<h1>fleetbed ${esc(commandName(report.command))} ${badge(report.verdict)}</h1>
<p class="command"><code>${esc(report.command)}</code></p>
${facts([
  ['Seed', esc(report.seed), true],
  ['Commit', esc(report.commit), true],
  ['Ledger digest', esc(report.ledgerDigest), true],
  ['Run id', esc(report.runId), true],
  ['Started', esc(report.startedAt)],
  ['Wall time', esc(formatWallSeconds(report.wallSeconds))],
  ['Environment', `${esc(report.environment.kind)} · <code>${esc(report.environment.apiUrl)}</code>`],
  ['Tool', `${esc(report.tool.name)} ${esc(report.tool.version)}`],
])}
${replay}
</header>`;
}

/** `run` from `npx fleetbed run scenarios/ci --seed 7`. */
function commandName(command: string): string {
  const m = /\bfleetbed\s+([a-z-]+)/.exec(command);
  return m ? m[1]! : 'report';
}

function scenarioAnchor(report: RunReport, s: ScenarioResult): string {
  return `scenario-${report.scenarios.indexOf(s) + 1}`;
}

function renderOverview(report: RunReport): string {
  if (report.scenarios.length === 0) return '<p class="muted">This run has no scenarios.</p>';
  const rows = report.scenarios.map((s) => {
    const inv = counts(s.invariants, (i) => i.verdict);
    const thr = counts(s.thresholds, (t) => t.verdict);
    const invText = [`<span class="nw">${inv.pass ?? 0} pass</span>`, inv.fail ? `<strong class="nw">${inv.fail} fail</strong>` : '', inv.skip ? `<span class="nw">${inv.skip} skip</span>` : ''].filter(Boolean).join(' · ');
    return `<tr data-scenario-row="${esc(s.name)}" data-verdict="${esc(s.verdict)}" class="row-${esc(s.verdict)}"><td><a href="#${scenarioAnchor(report, s)}">${esc(s.name)}</a></td><td>${badge(s.verdict)}</td><td>${invText}</td><td>${s.thresholds.length === 0 ? '<span class="muted">—</span>' : `${thr.pass ?? 0} pass${thr.fail ? ` · <strong>${thr.fail} fail</strong>` : ''}`}</td><td class="num">${esc(formatNumber(s.devices))}</td><td class="num">${esc(formatSimDuration(s.simulatedSeconds))}</td><td class="num">${esc(formatWallSeconds(s.wallSeconds))}</td></tr>`;
  });
  return `<section aria-labelledby="overview"><h2 id="overview">Scenarios</h2><div class="table-wrap"><table class="overview">
<thead><tr><th scope="col">Scenario</th><th scope="col">Verdict</th><th scope="col">Invariants</th><th scope="col">Thresholds</th><th scope="col" class="num">Devices</th><th scope="col" class="num">Simulated</th><th scope="col" class="num">Wall</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function renderWitness(w: Witness): string {
  const where = [w.device !== undefined ? `device ${formatNumber(w.device)}` : '', w.seq !== undefined ? `seq ${formatNumber(w.seq)}` : ''].filter(Boolean).join(', ');
  return `<li data-witness>${where ? `<span class="where">${esc(where)}</span>: ` : ''}expected <code>${esc(w.expected)}</code>, found <code>${esc(w.found)}</code>${w.detail ? ` <span class="muted">(${esc(w.detail)})</span>` : ''}</li>`;
}

function renderInvariants(s: ScenarioResult, report: RunReport, anchor: string): string {
  if (s.invariants.length === 0) return '<p class="muted">No invariants were checked.</p>';
  const rows = s.invariants.map((inv: InvariantResult) => {
    const row = `<tr data-invariant="${esc(inv.id)}" data-verdict="${esc(inv.verdict)}" class="row-${esc(inv.verdict)}"><td><code>${esc(inv.id)}</code></td><td>${esc(inv.title)}${
      inv.verdict === 'skip' && inv.skipReason ? `<br><span class="muted">skipped: ${esc(inv.skipReason)}</span>` : ''
    }</td><td>${badge(inv.verdict)}</td><td class="num">${esc(formatNumber(inv.checked))}</td><td class="num">${esc(formatNumber(inv.violations))}</td></tr>`;
    if (inv.verdict !== 'fail') return row;
    const shown = inv.witnesses.length < inv.violations ? `first ${inv.witnesses.length} of ${formatNumber(inv.violations)}` : `${inv.witnesses.length}`;
    const witnesses = inv.witnesses.length
      ? `<p><strong>Witnesses</strong> <span class="muted">(${esc(shown)})</span></p><ol class="witnesses-list">${inv.witnesses.map(renderWitness).join('')}</ol>`
      : '<p class="muted">No witnesses recorded.</p>';
    return `${row}\n<tr class="detail" data-witnesses-for="${esc(inv.id)}"><td colspan="5"><p><strong>${esc(inv.id)}</strong> ${esc(formatViolations(inv))}.</p>${witnesses}${replayLine(s, report)}</td></tr>`;
  });
  return `<div class="table-wrap"><table class="invariants" aria-labelledby="${anchor}-inv">
<thead><tr><th scope="col">Id</th><th scope="col">Invariant</th><th scope="col">Verdict</th><th scope="col" class="num">Checked</th><th scope="col" class="num">Violations</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function renderThresholds(s: ScenarioResult): string {
  if (s.thresholds.length === 0) return '<p class="muted">No thresholds.</p>';
  return `<div class="table-wrap"><table class="thresholds"><thead><tr><th scope="col">Metric</th><th scope="col">Threshold</th><th scope="col" class="num">Actual</th><th scope="col">Verdict</th></tr></thead><tbody>${s.thresholds
    .map(
      (t) =>
        `<tr data-threshold="${esc(`${t.metric} ${t.expression}`)}" data-verdict="${esc(t.verdict)}" class="row-${esc(t.verdict)}"><td><code>${esc(t.metric)}</code></td><td><code>${esc(t.expression)}</code></td><td class="num">${esc(formatNumber(t.actual))}</td><td>${badge(t.verdict)}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

interface Series {
  chart: string;
  caption: string;
  yLabel: string;
  tone: string;
  value: (p: TimelinePoint) => number;
  format: (v: number) => string;
}

const SERIES: readonly Series[] = [
  { chart: 'uploads', caption: 'Uploads', yLabel: 'uploads', tone: 'tone-1', value: (p) => p.uploads, format: formatNumber },
  { chart: 'duplicates', caption: 'Duplicate records', yLabel: 'duplicates', tone: 'tone-2', value: (p) => p.duplicates, format: formatNumber },
  { chart: 'late', caption: 'Late records', yLabel: 'late records', tone: 'tone-3', value: (p) => p.late, format: formatNumber },
  { chart: 'latency-p99', caption: 'Upload latency, p99', yLabel: 'p99 (ms)', tone: 'tone-4', value: (p) => p.p99Ms, format: formatMs },
];

function stepCaption(timeline: readonly TimelinePoint[]): string {
  if (timeline.length < 2) return '';
  const step = timeline[1]!.t - timeline[0]!.t;
  const uniform = timeline.every((p, i) => i === 0 || Math.abs(p.t - timeline[i - 1]!.t - step) < 1e-6);
  return uniform && step > 0 ? `per ${formatSimDuration(step)} step` : 'per step';
}

function renderTimeline(s: ScenarioResult, anchor: string): string {
  const tl = s.timeline;
  const per = stepCaption(tl);
  const figures = SERIES.map((series) => {
    const svg = renderLineChart({
      chart: series.chart,
      id: `${anchor}-${series.chart}`,
      title: `${series.caption}${series.chart === 'latency-p99' ? '' : ` ${per}`} over simulated time, ${s.name}`,
      yLabel: series.yLabel,
      xs: tl.map((p) => p.t),
      ys: tl.map(series.value),
      formatY: series.format,
      tone: series.tone,
    });
    const sub = series.chart === 'latency-p99' ? (per ? per.replace(/^per/, 'each') : '') : per;
    return `<figure><figcaption>${esc(series.caption)} <span class="muted">${esc(sub)}</span></figcaption>${svg}</figure>`;
  });
  const table = tl.length
    ? `<details><summary>Timeline data (${tl.length} points)</summary><div class="table-wrap"><table class="timeline-data"><thead><tr><th scope="col" class="num">Simulated time</th><th scope="col" class="num">t (s)</th><th scope="col" class="num">Uploads</th><th scope="col" class="num">Stored</th><th scope="col" class="num">Duplicates</th><th scope="col" class="num">Late</th><th scope="col" class="num">Rejected</th><th scope="col" class="num">p99 (ms)</th></tr></thead><tbody>${tl
        .map(
          (p) =>
            `<tr><td class="num">${esc(formatSimDuration(p.t))}</td><td class="num">${esc(formatNumber(p.t))}</td><td class="num">${esc(formatNumber(p.uploads))}</td><td class="num">${esc(formatNumber(p.recordsStored))}</td><td class="num">${esc(formatNumber(p.duplicates))}</td><td class="num">${esc(formatNumber(p.late))}</td><td class="num">${esc(formatNumber(p.rejected))}</td><td class="num">${esc(formatNumber(p.p99Ms))}</td></tr>`,
        )
        .join('')}</tbody></table></div></details>`
    : '';
  return `<div class="charts">${figures.join('\n')}</div>${table}`;
}

const METRIC_LABELS: [key: keyof ScenarioMetrics & string, label: string][] = [
  ['uploads', 'Uploads'],
  ['recordsProduced', 'Records produced by devices'],
  ['recordsStored', 'Records stored'],
  ['duplicates', 'Duplicate records received'],
  ['late', 'Late records'],
  ['rejected', 'Records rejected'],
  ['lostAtDevice', 'Lost at the device (not the platform’s fault)'],
];

function metricValue(v: unknown): string {
  if (typeof v === 'number') return esc(formatNumber(v));
  if (typeof v === 'string') return esc(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  let json: string;
  try {
    json = JSON.stringify(v) ?? String(v);
  } catch {
    json = String(v);
  }
  return `<code>${esc(json)}</code>`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The plain values of metrics.legacy and of its counterfactual (numbers, strings, lists of names), not its per-line and per-night data. */
function legacyScalars(legacy: Record<string, unknown>): [string, unknown][] {
  const plain = (v: unknown) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
  const out = Object.entries(legacy).filter(([, v]) => plain(v));
  if (isPlainObject(legacy.counterfactual)) for (const [k, v] of Object.entries(legacy.counterfactual)) if (plain(v)) out.push([`counterfactual.${k}`, v]);
  return out;
}

function renderMetrics(m: ScenarioMetrics): string {
  const legacy = isPlainObject(m.legacy) ? m.legacy : null;
  const known = new Set<string>([...METRIC_LABELS.map(([k]) => k), 'latencyMs', 'ota', ...(legacy ? ['legacy'] : [])]);
  const rows = METRIC_LABELS.filter(([k]) => m[k] !== undefined).map(([k, label]) => `<tr data-metric="${esc(k)}"><th scope="row">${esc(label)}</th><td class="num">${metricValue(m[k])}</td></tr>`);
  const l = m.latencyMs;
  if (l) {
    for (const k of ['p50', 'p90', 'p99', 'max'] as const) {
      rows.push(`<tr data-metric="latencyMs.${k}"><th scope="row">Upload latency, ${k}</th><td class="num">${esc(formatMs(l[k]))}</td></tr>`);
    }
    rows.push(`<tr data-metric="latencyMs.count"><th scope="row">Upload requests timed</th><td class="num">${esc(formatNumber(l.count))}</td></tr>`);
  }
  for (const [k, v] of Object.entries(m)) if (!known.has(k)) rows.push(`<tr data-metric="${esc(k)}"><th scope="row"><code>${esc(k)}</code></th><td class="num">${metricValue(v)}</td></tr>`);
  for (const [k, v] of Object.entries(m.ota ?? {})) if (k !== 'blastRadius' && k !== 'baselineCounterfactual') rows.push(`<tr data-metric="ota.${esc(k)}"><th scope="row"><code>ota.${esc(k)}</code></th><td class="num">${metricValue(v)}</td></tr>`);
  // metrics.legacy: its scalars here; its lines, nights and orders are the migration section's.
  if (legacy) for (const [k, v] of legacyScalars(legacy)) rows.push(`<tr data-metric="legacy.${esc(k)}"><th scope="row"><code>legacy.${esc(k)}</code></th><td class="num">${metricValue(v)}</td></tr>`);
  return `<div class="table-wrap metrics"><table class="metrics"><tbody>${rows.join('')}</tbody></table></div>`;
}

function renderBlastRadius(s: ScenarioResult, anchor: string): string {
  const radius = s.metrics.ota?.blastRadius;
  if (!radius || typeof radius !== 'object' || Object.keys(radius).length === 0) return '';
  const bars = Object.entries(radius).map(([label, value]) => ({ label, value: Number(value) }));
  const share = (v: number) => (s.devices > 0 && Number.isFinite(v) ? `${formatNumber(Math.round((1000 * v) / s.devices) / 10)}% of ${formatNumber(s.devices)}` : '—');
  const chart = renderBarChart({
    chart: 'blast-radius',
    id: `${anchor}-blast-radius`,
    title: `Devices that took the bad image, by rollout policy, ${s.name}`,
    xLabel: 'devices that took the bad image',
    bars,
    formatValue: (v) => `${formatNumber(v)} devices`,
  });
  return `<section class="ota" data-ota aria-labelledby="${anchor}-ota"><h3 id="${anchor}-ota">OTA blast radius by rollout policy</h3>
<p class="muted">The same seed and the same image under each gating policy: how many devices took the bad image before the rollout stopped.</p>
<figure>${chart}</figure>
<div class="table-wrap"><table class="blast-radius"><thead><tr><th scope="col">Policy</th><th scope="col" class="num">Devices</th><th scope="col" class="num">Share of the fleet</th></tr></thead><tbody>${bars
    .map((b) => `<tr data-policy="${esc(b.label)}" data-value="${esc(b.value)}"><td><code>${esc(b.label)}</code></td><td class="num">${esc(formatNumber(b.value))}</td><td class="num">${esc(share(b.value))}</td></tr>`)
    .join('')}</tbody></table></div></section>`;
}

function renderScenario(s: ScenarioResult, report: RunReport): string {
  const anchor = scenarioAnchor(report, s);
  return `<section class="scenario" id="${anchor}" data-scenario="${esc(s.name)}" data-verdict="${esc(s.verdict)}" aria-labelledby="${anchor}-h">
<header><h2 id="${anchor}-h">${esc(s.name)} ${badge(s.verdict)}</h2>${s.description ? `<p>${esc(s.description)}</p>` : ''}
${facts([
  ['File', esc(s.file), true],
  ['Seed', esc(s.seed), true],
  ['Devices', esc(formatNumber(s.devices))],
  ['Simulated', esc(formatSimDuration(s.simulatedSeconds))],
  ['Wall time', esc(formatWallSeconds(s.wallSeconds))],
  ['Ledger digest', esc(s.ledgerDigest), true],
])}
${replayLine(s, report)}</header>
${s.error !== undefined ? `<div class="error-box" data-scenario-error><p><strong>The scenario could not run.</strong></p><pre>${esc(s.error)}</pre></div>` : ''}
<h3 id="${anchor}-inv">Invariants</h3>
${renderInvariants(s, report, anchor)}
<h3>Thresholds</h3>
${renderThresholds(s)}
<h3>Over simulated time</h3>
${renderTimeline(s, anchor)}
<h3>Metrics</h3>
${renderMetrics(s.metrics)}
${renderBlastRadius(s, anchor)}
${renderBaselineCounterfactual(s, anchor)}
${renderLegacyMigration(s, anchor)}
</section>`;
}

function renderAttackRow(a: AttackResult, index: number): string {
  const failed = attackFailed(a);
  const tone: Tone = a.verdict === 'got-through' ? 'got-through' : 'refused';
  const row = `<tr id="attack-${index + 1}" data-attack="${esc(a.id)}" data-verdict="${esc(a.verdict)}" data-state-unchanged="${a.stateUnchanged}" class="${failed ? 'row-got-through' : 'row-refused'}"><td><code>${breakable(a.id)}</code></td><td>${esc(a.title)}</td><td>${badge(tone)}</td><td><code>${breakable(a.expected)}</code></td><td><code>${breakable(a.got)}</code></td><td>${
    a.stateUnchanged ? 'unchanged' : '<span class="state-changed state-flag">✗ CHANGED</span>'
  }</td></tr>`;
  if (!failed) return row;
  const pair =
    a.request || a.response
      ? `<div class="http-pair">${a.request ? `<div><h4>Request</h4><pre data-attack-request>${esc(formatRequest(a.request))}</pre></div>` : ''}${a.response ? `<div><h4>Response</h4><pre data-attack-response>${esc(formatResponse(a.response))}</pre></div>` : ''}</div>`
      : '<p class="muted">The request and response were not recorded.</p>';
  const why = a.verdict === 'got-through' ? `expected <code>${esc(a.expected)}</code>, got <code>${esc(a.got)}</code>` : 'refused, but the platform’s state digest changed';
  return `${row}\n<tr class="detail" data-attack-detail="${esc(a.id)}"><td colspan="6"><p><strong>${esc(a.id)}</strong> ${why}.</p>${pair}</td></tr>`;
}

function renderAttacks(report: RunReport): string {
  const attacks = report.attacks;
  if (!attacks) return '';
  const groups = new Map<string, { key: string; title: string; rank: number; cases: [AttackResult, number][] }>();
  attacks.forEach((a, i) => {
    const cls = owaspClass(a.class);
    const g = groups.get(cls.key) ?? { ...cls, cases: [] };
    g.cases.push([a, i]);
    groups.set(cls.key, g);
  });
  const sorted = [...groups.values()].sort((a, b) => a.rank - b.rank || a.key.localeCompare(b.key));
  const failed = attacks.map((a, i) => [a, i] as const).filter(([a]) => attackFailed(a));
  const summary = `<p>${esc(formatNumber(attacks.length))} attack cases: <strong>${esc(formatNumber(attacks.length - failed.length))} refused</strong> with no side effect${
    failed.length ? `, <strong class="state-changed">${esc(formatNumber(failed.length))} got through or changed state</strong>: ${failed.map(([a, i]) => `<a href="#attack-${i + 1}"><code>${esc(a.id)}</code></a>`).join(', ')}` : ''
  }.</p>`;
  const sections = sorted.map((g, gi) => {
    const through = g.cases.filter(([a]) => a.verdict === 'got-through').length;
    const changed = g.cases.filter(([a]) => a.verdict === 'refused' && !a.stateUnchanged).length;
    const findings = [through ? `${through} got through` : '', changed ? `${changed} refused but changed state` : ''].filter(Boolean).join(', ');
    return `<section class="owasp" data-owasp="${esc(g.key)}" aria-labelledby="owasp-${gi + 1}"><h3 id="owasp-${gi + 1}">${esc(g.key)}${g.title ? ` ${esc(g.title)}` : ''} <span class="muted">${g.cases.length} case${g.cases.length === 1 ? '' : 's'}${findings ? `, <strong class="state-changed">${findings}</strong>` : ', all refused'}</span></h3>
<div class="table-wrap"><table class="attacks"><colgroup><col class="c-id"><col class="c-title"><col class="c-verdict"><col class="c-expected"><col class="c-got"><col class="c-state"></colgroup><thead><tr><th scope="col">Case</th><th scope="col">What the forged phone tries</th><th scope="col">Verdict</th><th scope="col">Expected</th><th scope="col">Got</th><th scope="col">State</th></tr></thead><tbody>${g.cases
      .map(([a, i]) => renderAttackRow(a, i))
      .join('\n')}</tbody></table></div></section>`;
  });
  return `<section id="attacks" class="attacks-section" aria-labelledby="attacks-h"><h2 id="attacks-h">Attacks, by OWASP API Security Top 10 (2023) class</h2>${summary}${sections.join('\n')}</section>`;
}

/**
 * The report as one self-contained HTML page: inline CSS and server-rendered SVG
 * charts, no script and no network (a Content-Security-Policy forbids both).
 * Every string from the report is escaped. Elements carry data attributes for
 * tests and tools: `data-chart` / `data-points` on charts, `data-invariant` /
 * `data-verdict` on invariant rows, `data-attack` on attack rows.
 */
export function renderHtml(report: RunReport): string {
  const title = `fleetbed ${commandName(report.command)}: ${report.verdict.toUpperCase()} · seed ${report.seed}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(report.tool.name)} ${esc(report.tool.version)}">
<title>${esc(title)}</title>
<style>${REPORT_CSS}${LEGACY_CSS}</style>
</head>
<body>
<div class="page">
${renderHeader(report)}
<main>
${renderOverview(report)}
${report.scenarios.map((s) => renderScenario(s, report)).join('\n')}
${renderAttacks(report)}
</main>
<footer>Written by ${esc(report.tool.name)} ${esc(report.tool.version)} · report schema v${esc(report.schemaVersion)} · run <code>${esc(report.runId)}</code>. This file is self-contained: it loads nothing from the network.</footer>
</div>
</body>
</html>
`;
}

/** Writes `<dir>/report.html` atomically; `dir` must exist. Returns the file's path. */
export async function writeHtml(dir: string, report: RunReport): Promise<string> {
  const path = join(dir, REPORT_HTML_FILE);
  await writeFileAtomic(path, renderHtml(report));
  return path;
}
