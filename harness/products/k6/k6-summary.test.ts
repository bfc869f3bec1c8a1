import { describe, expect, it } from 'vitest';
import type { K6Manifest } from './export-k6.ts';
import { k6RunReport } from './k6-summary.ts';
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
