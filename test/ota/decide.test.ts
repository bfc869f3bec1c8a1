import { describe, expect, it } from 'vitest';
import { ROLLOUT_GATE_DEFAULTS } from '../../contract/ota-rollout.ts';
import { decide, type DecisionInput, type HealthCounts } from '../../reference-api/src/ota/decide.ts';

const H = 3600_000;
const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({
  policy: 'health-gate',
  gate: { ...ROLLOUT_GATE_DEFAULTS, minSample: 10, failureMinSample: 10 },
  stages: [{ percent: 1, maxDevices: 100, soakSeconds: 24 * 3600 }, { percent: 100, maxDevices: null, soakSeconds: 0 }],
  stageIndex: 0,
  stageStartedAtMs: 0,
  baselineShare: null,
  nowMs: 48 * H,
  ...over,
});
const counts = (over: Partial<HealthCounts> = {}): HealthCounts => ({
  updated: 50,
  updatedReporting: 45,
  baseline: 1000,
  baselineReporting: 900,
  reported: 50,
  failures: 0,
  transferred: 50,
  ...over,
});

describe('the rollout gate (decide)', () => {
  it('advances a soaked stage whose updated devices report like the baseline', () => {
    const r = decide(counts(), input());
    expect(r.evaluation).toMatchObject({ decision: 'advance', healthRatio: 1, baseline: { source: 'not-yet-updated', share: 0.9 } });
    expect(r.baselineShare).toBe(0.9);
  });

  it('completes after the last stage', () => {
    expect(decide(counts(), input({ stageIndex: 1 })).evaluation.decision).toBe('complete');
  });

  it('halts on the health gate as soon as the window shows it, even mid-soak', () => {
    const r = decide(counts({ updatedReporting: 10 }), input({ nowMs: 1 * H }));
    expect(r.evaluation.decision).toBe('halt');
    expect(r.haltReason).toBe('health-gate');
    expect(r.evaluation.reason).toMatch(/10 of 50 updated devices/);
  });

  it('the transfer-success policy ignores post-update health (the counterfactual)', () => {
    const r = decide(counts({ updatedReporting: 0 }), input({ policy: 'transfer-success' }));
    expect(r.evaluation.decision).toBe('advance');
    expect(r.evaluation.healthRatio).toBe(0);
  });

  it.each(['health-gate', 'transfer-success'] as const)('halts on the failure gate under %s', (policy) => {
    const r = decide(counts({ reported: 40, failures: 3 }), input({ policy, nowMs: H }));
    expect(r.haltReason).toBe('failure-threshold');
    // Below the minimum sample, the same rate does not trip it.
    expect(decide(counts({ reported: 9, failures: 3 }), input({ policy, nowMs: H })).evaluation.decision).toBe('hold');
  });

  it('does not judge health below the minimum sample: it holds, and never halts', () => {
    const r = decide(counts({ updated: 9, updatedReporting: 0 }), input());
    expect(r.evaluation).toMatchObject({ decision: 'hold' });
    expect(r.evaluation.reason).toMatch(/waiting for sample: 9 of 10/);
  });

  it('holds until the stage has soaked', () => {
    expect(decide(counts(), input({ nowMs: 23 * H })).evaluation.reason).toMatch(/soaking: stage 0 may advance in 3600 s/);
  });

  it('uses the last full baseline sample when too few devices are left un-updated, and holds with none', () => {
    const few = counts({ baseline: 3, baselineReporting: 0, updatedReporting: 40 });
    expect(decide(few, input({ baselineShare: 0.8 })).evaluation).toMatchObject({ decision: 'advance', baseline: { source: 'last-full-sample', share: 0.8 } });
    expect(decide(few, input({ baselineShare: 0.8 })).baselineShare).toBe(0.8);
    expect(decide(few, input()).evaluation).toMatchObject({ decision: 'hold', baseline: { source: 'none' } });
    expect(decide(counts({ updatedReporting: 5 }), input({ baselineShare: 0.8, stageIndex: 1 })).evaluation.baseline.source).toBe('not-yet-updated');
  });

  it('transfer-success waits for enough successful transfers', () => {
    expect(decide(counts({ transferred: 3 }), input({ policy: 'transfer-success' })).evaluation.reason).toMatch(/waiting for transfers: 3 of 10/);
  });
});
