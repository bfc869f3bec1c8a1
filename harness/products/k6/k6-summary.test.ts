import { describe, expect, it } from 'vitest';
import type { K6Manifest } from './export-k6.ts';
import { k6RunReport, mergeK6Summaries } from './k6-summary.ts';
import type { K6Reconciliation } from './reconcile-export.ts';

const manifest = {
  plan: { name: 'smoke', file: 'scenarios/load/smoke.ts', seed: '2007', describe: '20 syncs/s for 10 s', shape: 'constant' },
  fleet: { seed: 1, devices: 300, households: 200, phones: 250, startS: 1_893_974_400 },
  clock: { startMs: 1_893_974_400_000, ingestMs: 1_893_974_410_000 },
  k6: { approximation: 'exact', thresholdsLeftOut: ['achieved_rate_ratio'] },
  ledger: { digest: 'abc' },
} as unknown as K6Manifest;
const rec: K6Reconciliation = { method: 'sql', devicesChecked: 300, storedOnPlatform: 459, storedInLedger: 459, mismatches: 0, contentMismatches: 0, contentCompared: true, signaturesVerified: 10, signatureFailures: 0, examples: [], ok: true, keys: { exported: 180, onPlatform: 180, unexpected: 0, missing: 0 } };
const opts = { command: 'fleetbed load reconcile', startedAt: new Date(0), commit: 'c', wallSeconds: 1, apiUrl: '' };

// Shapes as k6 documents them (hand-written here: no k6 binary on this machine).
const summaryExport = {
  metrics: {
    http_reqs: { count: 400, rate: 39.5 },
    http_req_duration: { avg: 5, min: 1, med: 4, max: 40, 'p(90)': 8, 'p(99)': 20, 'p(99.9)': 39 },
    upload_duration: { avg: 6, min: 1, med: 5, max: 40, 'p(90)': 9, 'p(99)': 21, 'p(99.9)': 39, count: 180, thresholds: { 'p(99)<5000': false } },
    http_req_failed: { passes: 0, fails: 400, value: 0, thresholds: { 'rate<0.01': true } },
    checks: { passes: 180, fails: 0, value: 1 },
    iterations: { count: 200, rate: 19.8 },
  },
};
const handleSummary = { metrics: { upload_duration: { type: 'trend', values: { med: 5, 'p(99)': 21, max: 40, count: 180 }, thresholds: { 'p(99)<5000': { ok: false } } } } };

describe('k6RunReport', () => {
  it('maps --summary-export (thresholds true = failed) into the run report', () => {
    const { report, load } = k6RunReport(manifest, summaryExport.metrics, rec, opts);
    expect(load.routes[0]).toMatchObject({ route: 'POST /v2/uploads', count: 180, p50: 5, p99: 21, p999: 39 });
    expect(load.httpReqs).toEqual({ count: 400, perSecond: 39.5 });
    expect(report.scenarios[0]!.thresholds).toEqual([
      { metric: 'upload_duration', expression: 'p(99)<5000', verdict: 'pass', actual: 21 },
      { metric: 'http_req_failed', expression: 'rate<0.01', verdict: 'fail', actual: 0 },
    ]);
    expect(report.verdict).toBe('fail');
    expect(load.notMeasured).toContain('threshold metric achieved_rate_ratio');
  });

  it('reads handleSummary data ({ values }, thresholds { ok }) and fails on a failed reconcile', () => {
    const { report } = k6RunReport(manifest, handleSummary.metrics, { ...rec, ok: false, mismatches: 1, examples: ['device 1: …'] }, opts);
    expect(report.scenarios[0]!.thresholds[0]).toMatchObject({ verdict: 'fail', actual: 21 });
    expect(report.scenarios[0]!.invariants[0]).toMatchObject({ id: 'ING-1', verdict: 'fail', violations: 1 });
  });
});

describe('mergeK6Summaries: one summary per k6-operator instance', () => {
  // Two pods' --summary-export files and a third in handleSummary's shape.
  const a = {
    http_reqs: { count: 400, rate: 40 },
    iterations: { count: 200, rate: 20 },
    dropped_iterations: { count: 1, rate: 0.1 },
    upload_duration: { avg: 6, min: 2, med: 5, max: 40, 'p(90)': 9, 'p(99)': 21, 'p(99.9)': 39, count: 200, thresholds: { 'p(99)<30': false } },
    http_req_failed: { passes: 4, fails: 396, value: 0.01, thresholds: { 'rate<0.02': false } },
    checks: { passes: 200, fails: 0, value: 1 },
  };
  const b = {
    http_reqs: { count: 600, rate: 60 },
    iterations: { count: 300, rate: 30 },
    upload_duration: { avg: 11, min: 1, med: 7, max: 90, 'p(90)': 12, 'p(99)': 35, 'p(99.9)': 80, count: 300, thresholds: { 'p(99)<30': true } },
    http_req_failed: { passes: 0, fails: 600, value: 0, thresholds: { 'rate<0.02': false } },
    checks: { passes: 299, fails: 1, value: 0.9967 },
  };
  const c = { http_reqs: { type: 'counter', values: { count: 100, rate: 10 } }, upload_duration: { type: 'trend', values: { avg: 3, min: 1, med: 3, max: 9, 'p(99)': 8, count: 100 }, thresholds: { 'p(99)<30': { ok: true } } } };

  it('adds counts and rates, weighs Rates and averages, keeps extremes, bounds percentiles from above', () => {
    const { metrics, notes } = mergeK6Summaries([a, b, c]);
    expect(metrics.http_reqs).toMatchObject({ count: 1100, rate: 110 });
    expect(metrics.iterations).toMatchObject({ count: 500, rate: 50 });
    expect(metrics.dropped_iterations).toMatchObject({ count: 1 });
    expect(metrics.upload_duration).toMatchObject({ count: 600, min: 1, max: 90, med: 7, 'p(90)': 12, 'p(99)': 35, 'p(99.9)': 80 });
    expect(metrics.upload_duration!.avg).toBeCloseTo((6 * 200 + 11 * 300 + 3 * 100) / 600, 10);
    expect(metrics.http_req_failed).toMatchObject({ passes: 4, fails: 996, value: 0.004 });
    expect(metrics.checks).toMatchObject({ passes: 499, fails: 1, value: 0.998 });
    // A threshold one pod failed fails the merged run.
    expect(metrics.upload_duration!.thresholds).toEqual({ 'p(99)<30': true });
    expect(metrics.http_req_failed!.thresholds).toEqual({ 'rate<0.02': false });
    expect(notes.join(' ')).toMatch(/3 k6 instances.*upper bound/s);
  });

  it('feeds k6RunReport: the merged totals, the failed threshold, the approximation said in notMeasured', () => {
    const { metrics, notes } = mergeK6Summaries([a, b]);
    const { report, load } = k6RunReport(manifest, metrics, rec, { ...opts, instances: 2, notes });
    expect(load.instances).toBe(2);
    expect(load.httpReqs).toEqual({ count: 1000, perSecond: 100 });
    expect(load.routes[0]).toMatchObject({ route: 'POST /v2/uploads', count: 500, p99: 35, max: 90 });
    expect(load.checks).toEqual({ passes: 499, fails: 1 });
    expect(report.scenarios[0]!.thresholds).toContainEqual({ metric: 'upload_duration', expression: 'p(99)<30', verdict: 'fail', actual: 35 });
    expect(report.verdict).toBe('fail');
    expect(load.notMeasured[0]).toMatch(/merged from 2 k6 instances/);
  });

  it('gives one summary back unchanged', () => {
    expect(mergeK6Summaries([a])).toEqual({ metrics: a, notes: [] });
  });
});
