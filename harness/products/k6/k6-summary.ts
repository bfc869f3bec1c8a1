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
  /** Fields of a `fleetbed load` summary k6 does not give (latency from the intended start, per-second timeline, generator CPU, database growth, …). */
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

function stat(m: K6Metric | undefined, name: string): number {
  if (!m) return 0;
  const v = m.values?.[name] ?? m[name];
  return typeof v === 'number' ? v : 0;
}

/**
 * A fleetbed run report (summary.json, report.html) of a k6 run: k6's percentiles, rates,
 * checks and thresholds, and ING-1 from reconciling the export's ledger with the platform.
 * k6's Trend percentiles are from each request's actual start (k6 does not time from the
 * intended send time), and a multi-instance TestRun gives one summary per instance: pass
 * one, or merge them upstream; the report says which fields k6 cannot give.
 */
export function k6RunReport(m: K6Manifest, metrics: Record<string, K6Metric>, rec: K6Reconciliation, o: { command: string; startedAt: Date; commit: string; wallSeconds: number; apiUrl: string }): { report: RunReport; html: LoadReportData; load: K6LoadMetrics } {
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
    notMeasured: ['latency from the intended send time (k6 times each request from its actual start)', 'per-second timeline', 'could-not-start-in-time counts (see iterations.dropped)', 'generator CPU and platform CPU', 'database growth', ...m.k6.thresholdsLeftOut.map((t) => `threshold metric ${t}`)],
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
