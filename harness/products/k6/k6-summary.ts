import { readFileSync } from 'node:fs';
import { REPORT_SCHEMA_VERSION, type RunReport, type ThresholdResult } from '../../../reports/types.ts';
import type { LoadReportData } from '../../../reports/load-html.ts';
import { K6Error } from './errors.ts';
import type { K6Manifest } from './export-k6.ts';
import type { K6Reconciliation } from './reconcile-export.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** One metric of k6's end-of-test data: `--summary-export` (flat values, thresholds as booleans: true = failed) or `handleSummary` (`values`, thresholds `{ ok }`). */
interface K6Metric {
  type?: string;
  values?: Record<string, number>;
  thresholds?: Record<string, boolean | { ok: boolean }>;
  [stat: string]: unknown;
}

/** What fleetbed reads of k6's end-of-test summary, and what it says k6 did not give. */
export interface K6LoadMetrics {
  source: 'k6';
  plan: { name: string; seed: string; devices: number; describe: string; approximation: string };
  httpReqs: { count: number; perSecond: number };
  iterations: { count: number; perSecond: number; dropped: number };
  routes: Array<{ route: string; count: number; p50: number; p90: number; p99: number; p999: number; max: number }>;
  checks: { passes: number; fails: number };
  failedRequestRate: number;
  recordsStored: number;
  /** k6 instances whose summaries this is (a TestRun's parallelism). */
  instances: number;
  /** Fields of a `fleetbed load` summary k6 does not give (latency from the intended start, per-second timeline, generator CPU, database growth, …), and what merging instances approximated. */
  notMeasured: string[];
}

export function readK6Summary(path: string): Record<string, K6Metric> {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { metrics?: Record<string, K6Metric> };
    if (!raw.metrics || typeof raw.metrics !== 'object') throw new Error('no "metrics" object');
    return raw.metrics;
  } catch (error) {
    throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path} is not k6 summary JSON (k6 run --summary-export=FILE, or handleSummary's data): ${(error as Error).message}`);
  }
}

/** A number a metric holds under `name` (`values.name` in handleSummary data, `name` in --summary-export), or undefined. */
function raw(m: K6Metric, name: string): number | undefined {
  const v = m.values?.[name] ?? m[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const TREND_STAT = /^(med|p\(\d+(?:\.\d+)?\))$/;

/**
 * One summary of several k6 instances' summaries (a k6-operator TestRun with
 * `parallelism: N` writes one per pod), in --summary-export's flat shape. The
 * instances run side by side over the same period, so counts add and per-second
 * rates add; a Rate (`http_req_failed`, `checks`) is passes over passes + fails
 * of all; a Trend's `min`/`max` are the extremes, `avg` is weighted by its
 * `count` where each has one, and each percentile (`med`, `p(…)`) is the
 * largest of the instances' — an upper bound, because a summary holds no
 * histogram to merge. A threshold fails if it failed on any instance (each pod
 * judges its own share). `notes` says what was approximated. One summary comes
 * back as it is.
 */
export function mergeK6Summaries(summaries: ReadonlyArray<Record<string, K6Metric>>): { metrics: Record<string, K6Metric>; notes: string[] } {
  if (summaries.length === 1) return { metrics: summaries[0]!, notes: [] };
  const names = [...new Set(summaries.flatMap((x) => Object.keys(x)))].sort();
  const metrics: Record<string, K6Metric> = {};
  let percentiles = false;
  for (const name of names) {
    const parts = summaries.map((x) => x[name]).filter((m): m is K6Metric => m !== undefined);
    const stats = [...new Set(parts.flatMap((m) => [...Object.keys(m.values ?? {}), ...Object.keys(m).filter((k) => typeof m[k] === 'number')]))];
    const out: K6Metric = {};
    const type = parts.find((m) => typeof m.type === 'string')?.type;
    if (type) out.type = type;
    const sum = (k: string) => parts.reduce((a, m) => a + (raw(m, k) ?? 0), 0);
    const isRate = stats.includes('passes') && stats.includes('fails');
    for (const k of stats) {
      const vs = parts.map((m) => raw(m, k)).filter((v): v is number => v !== undefined);
      if (vs.length === 0) continue;
      if (k === 'count' || k === 'passes' || k === 'fails' || (k === 'rate' && !isRate)) out[k] = sum(k);
      else if (k === 'min') out[k] = Math.min(...vs);
      else if (k === 'max') out[k] = Math.max(...vs);
      else if (k === 'avg') {
        const counted = parts.every((m) => raw(m, 'count') !== undefined && raw(m, 'avg') !== undefined);
        const total = sum('count');
        out[k] = counted && total > 0 ? parts.reduce((a, m) => a + raw(m, 'avg')! * raw(m, 'count')!, 0) / total : vs.reduce((a, v) => a + v, 0) / vs.length;
      } else if ((k === 'value' || k === 'rate') && isRate) {
        const n = sum('passes') + sum('fails');
        out[k] = n > 0 ? sum('passes') / n : 0;
      } else if (TREND_STAT.test(k)) {
        out[k] = Math.max(...vs);
        percentiles = true;
      } else out[k] = Math.max(...vs);
    }
    const thresholds: Record<string, boolean> = {};
    for (const m of parts) for (const [expr, v] of Object.entries(m.thresholds ?? {})) thresholds[expr] = (thresholds[expr] ?? false) || (typeof v === 'boolean' ? v : !v.ok);
    if (Object.keys(thresholds).length > 0) out.thresholds = thresholds;
    metrics[name] = out;
  }
  const notes = [`merged from ${summaries.length} k6 instances' summaries: counts and rates added, thresholds failed if any instance failed them`];
  if (percentiles) notes.push(`percentiles are the largest of the ${summaries.length} instances' (an upper bound: k6 summaries carry no histogram to merge)`);
  return { metrics, notes };
}

function stat(m: K6Metric | undefined, name: string): number {
  if (!m) return 0;
  const v = m.values?.[name] ?? m[name];
  return typeof v === 'number' ? v : 0;
}

/**
 * A fleetbed run report (summary.json, report.html) of a k6 run: k6's percentiles, rates,
 * checks and thresholds, and ING-1 from reconciling the export's ledger with the platform.
 * k6's Trend percentiles are from each request's actual start (k6 does not time from the
 * intended send time); a multi-instance TestRun gives one summary per instance, merged by
 * {@link mergeK6Summaries}; the report says which fields k6 cannot give.
 */
export function k6RunReport(m: K6Manifest, metrics: Record<string, K6Metric>, rec: K6Reconciliation, o: { command: string; startedAt: Date; commit: string; wallSeconds: number; apiUrl: string; instances?: number; notes?: string[] }): { report: RunReport; html: LoadReportData; load: K6LoadMetrics } {
  const route = (name: string, metric: string) => {
    const t = metrics[metric];
    return { route: name, count: Math.round(stat(t, 'count')), p50: stat(t, 'med'), p90: stat(t, 'p(90)'), p99: stat(t, 'p(99)'), p999: stat(t, 'p(99.9)'), max: stat(t, 'max') };
  };
  const routes = [route('POST /v2/uploads', 'upload_duration'), route('POST /v2/oauth/token', 'token_duration'), route('all requests', 'http_req_duration')];
  const thresholds: ThresholdResult[] = [];
  for (const [metric, t] of Object.entries(metrics)) {
    for (const [expression, v] of Object.entries(t.thresholds ?? {})) {
      const failed = typeof v === 'boolean' ? v : !v.ok;
      const stat = /^(p\(\d+(?:\.\d+)?\)|avg|min|med|max|rate|count|value)/.exec(expression)?.[1] ?? '';
      const actual = stat === 'rate' || stat === 'value' ? (metrics[metric]?.values?.rate ?? (metrics[metric]?.value as number | undefined) ?? -1) : stat ? (metrics[metric]?.values?.[stat] ?? (metrics[metric]?.[stat] as number | undefined) ?? -1) : -1;
      thresholds.push({ metric, expression, verdict: failed ? 'fail' : 'pass', actual });
    }
  }
  const load: K6LoadMetrics = {
    source: 'k6',
    plan: { name: m.plan.name, seed: m.plan.seed, devices: m.fleet.devices, describe: m.plan.describe, approximation: m.k6.approximation },
    httpReqs: { count: stat(metrics.http_reqs, 'count'), perSecond: stat(metrics.http_reqs, 'rate') },
    iterations: { count: stat(metrics.iterations, 'count'), perSecond: stat(metrics.iterations, 'rate'), dropped: stat(metrics.dropped_iterations, 'count') },
    routes,
    checks: { passes: stat(metrics.checks, 'passes'), fails: stat(metrics.checks, 'fails') },
    failedRequestRate: stat(metrics.http_req_failed, 'rate') || stat(metrics.http_req_failed, 'value'),
    recordsStored: stat(metrics.records_stored, 'count'),
    instances: o.instances ?? 1,
    notMeasured: [...(o.notes ?? []), 'latency from the intended send time (k6 times each request from its actual start)', 'per-second timeline', 'could-not-start-in-time counts (see iterations.dropped)', 'generator CPU and platform CPU', 'database growth', ...m.k6.thresholdsLeftOut.map((t) => `threshold metric ${t}`)],
  };
  const ing1 = {
    id: 'ING-1',
    title: 'exactly once: every record a device produced and a phone relayed at least once is stored exactly once',
    verdict: rec.ok ? ('pass' as const) : ('fail' as const),
    checked: rec.devicesChecked,
    violations: rec.mismatches + (rec.keys ? rec.keys.unexpected + rec.keys.missing : 0),
    witnesses: rec.examples.map((e) => ({ expected: 'the platform holds what the export\'s ledger booked', found: e })),
  };
  const pass = rec.ok && thresholds.every((t) => t.verdict === 'pass') && load.checks.fails === 0;
  const upload = routes[0]!;
  const report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'fleetbed', version: pkg.version },
    runId: `k6-${o.startedAt.toISOString().slice(0, 19).replace(/[-:T]/g, '')}`,
    command: o.command,
    seed: m.plan.seed,
    commit: o.commit,
    ledgerDigest: m.ledger.digest,
    verdict: pass ? 'pass' : 'fail',
    startedAt: o.startedAt.toISOString(),
    wallSeconds: o.wallSeconds,
    environment: { kind: 'k6', apiUrl: o.apiUrl },
    scenarios: [
      {
        name: m.plan.name,
        description: `${m.plan.describe} (played by k6: ${m.k6.approximation})`,
        file: m.plan.file,
        verdict: pass ? 'pass' : 'fail',
        seed: m.plan.seed,
        devices: m.fleet.devices,
        simulatedSeconds: (m.clock.ingestMs - m.clock.startMs) / 1000,
        wallSeconds: o.wallSeconds,
        ledgerDigest: m.ledger.digest,
        replay: `npx fleetbed k6 export ${m.plan.file} --seed ${m.plan.seed} --devices ${m.fleet.devices} --out DIR`,
        invariants: [ing1],
        thresholds,
        metrics: { uploads: upload.count, recordsProduced: 0, recordsStored: rec.storedOnPlatform, duplicates: 0, late: 0, rejected: 0, lostAtDevice: 0, latencyMs: { p50: upload.p50, p90: upload.p90, p99: upload.p99, max: upload.max, count: upload.count }, load },
        timeline: [],
      },
    ],
  };
  const html: LoadReportData = {
    plan: { name: m.plan.name, describe: `${m.plan.describe}; played by k6 (${m.k6.approximation}). Not measured by k6: ${load.notMeasured.join('; ')}`, devices: m.fleet.devices, seed: m.plan.seed },
    verdict: { kind: pass ? 'kept-up' : 'platform-saturated', text: `${pass ? 'PASS' : 'FAIL'}: ING-1 ${ing1.verdict} (${rec.method}, ${rec.storedOnPlatform} stored, ${rec.mismatches} mismatches); ${thresholds.filter((t) => t.verdict === 'fail').length} thresholds failed; ${load.iterations.dropped} dropped iterations; ${load.httpReqs.perSecond.toFixed(1)} requests/s` },
    timeline: [],
    routes,
    errors: { rate: load.failedRequestRate, byOutcome: { 'checks failed': load.checks.fails } },
    database: { reachable: false, reason: 'k6 does not measure database growth' },
  };
  return { report, html, load };
}
