import { describe, expect, it } from 'vitest';
import { quietAfterSeconds, ROLLOUT_GATE_DEFAULTS, SILENCE_TEST } from '../../contract/ota-rollout.ts';
import { binomialUpperTail, wilsonUpper } from '../../reference-api/src/ota/binomial.ts';
import { decide, type DecisionInput, type HealthCounts } from '../../reference-api/src/ota/decide.ts';

const H = 3600_000;
const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({
  policy: 'health-gate',
  gate: { ...ROLLOUT_GATE_DEFAULTS, minSample: 10, failureMinSample: 10 },
  stages: [{ percent: 1, maxDevices: 100, soakSeconds: 24 * 3600 }, { percent: 100, maxDevices: null, soakSeconds: 0 }],
  stageIndex: 0,
  stageStartedAtMs: 0,
  baselineShare: null,
  nowMs: 96 * H,
  ...over,
});
const counts = (over: Partial<HealthCounts> = {}): HealthCounts => ({
  updated: 50,
  watched: 50,
  quiet: 1,
  evaluable: 50,
  evaluableQuiet: 1,
  baseline: 1000,
  baselineQuiet: 30,
  tauUpdatedS: 40 * 3600,
  tauBaselineS: 40 * 3600,
  lineIntervalS: 12 * 3600,
  reported: 50,
  failures: 0,
  transferred: 50,
  ...over,
});

describe('the rollout gate (decide)', () => {
  it('advances a soaked stage whose updated devices stay as un-quiet as the baseline', () => {
    const r = decide(counts(), input());
    expect(r.evaluation).toMatchObject({ decision: 'advance', baseline: { source: 'not-yet-updated', share: 0.97 } });
    expect(r.baselineShare).toBe(0.97);
  });

  it('completes after the last stage', () => {
    expect(decide(counts(), input({ stageIndex: 1 })).evaluation.decision).toBe('complete');
  });

  it('halts a quiet canary of a few devices, mid-soak, by the exact binomial test', () => {
    const r = decide(counts({ watched: 12, quiet: 9, updated: 30 }), input({ nowMs: 30 * H }));
    expect(r.evaluation.decision).toBe('halt');
    expect(r.haltReason).toBe('health-gate');
    expect(r.evaluation.reason).toMatch(/9 of 12 updated devices went quiet since the update/);
    expect(r.evaluation.silence.pValue!).toBeLessThan(SILENCE_TEST.significance);
  });

  it('does not halt a good image for a handful of quiet devices among thousands', () => {
    const r = decide(counts({ updated: 5000, watched: 5000, quiet: 180, evaluable: 5000, evaluableQuiet: 180, baselineQuiet: 30 }), input());
    expect(r.evaluation.decision).toBe('advance');
  });

  it('the transfer-success policy ignores post-update health (the counterfactual)', () => {
    const r = decide(counts({ quiet: 50, evaluableQuiet: 50 }), input({ policy: 'transfer-success' }));
    expect(r.evaluation.decision).toBe('advance');
    expect(r.evaluation.healthRatio).toBe(0);
  });

  it.each(['health-gate', 'transfer-success'] as const)('halts on the failure gate under %s', (policy) => {
    const r = decide(counts({ reported: 40, failures: 3 }), input({ policy, nowMs: H }));
    expect(r.haltReason).toBe('failure-threshold');
    expect(decide(counts({ reported: 9, failures: 3 }), input({ policy, nowMs: H })).evaluation.decision).toBe('hold');
  });

  it('below the minimum sample it never halts, and it holds until enough devices were watched long enough', () => {
    expect(decide(counts({ watched: 4, quiet: 4 }), input({ nowMs: H })).evaluation.decision).toBe('hold');
    const r = decide(counts({ evaluable: 9, evaluableQuiet: 0 }), input());
    expect(r.evaluation).toMatchObject({ decision: 'hold' });
    expect(r.evaluation.reason).toMatch(/watching: 9 of 10/);
  });

  it('a small evaluable sample with some quiet devices is not yet shown healthy: it holds', () => {
    expect(decide(counts({ evaluable: 12, evaluableQuiet: 2, quiet: 2, watched: 12 }), input()).evaluation.reason).toMatch(/not yet shown healthy/);
  });

  it('holds until the stage has soaked', () => {
    expect(decide(counts(), input({ nowMs: 23 * H })).evaluation.reason).toMatch(/soaking: stage 0 may advance in 3600 s/);
  });

  it('uses the last full baseline sample when too few devices are left un-updated, and holds with none', () => {
    const few = counts({ baseline: 3, baselineQuiet: 0 });
    expect(decide(few, input({ baselineShare: 0.95 })).evaluation).toMatchObject({ decision: 'advance', baseline: { source: 'last-full-sample', share: 0.95 } });
    expect(decide(few, input({ baselineShare: 0.95 })).baselineShare).toBe(0.95);
    expect(decide(few, input()).evaluation).toMatchObject({ decision: 'hold', baseline: { source: 'none' } });
  });

  it('transfer-success waits for enough successful transfers', () => {
    expect(decide(counts({ transferred: 3 }), input({ policy: 'transfer-success' })).evaluation.reason).toMatch(/waiting for transfers: 3 of 10/);
  });
});

describe('the silence test statistics', () => {
  it('exact binomial tails', () => {
    expect(binomialUpperTail(5, 5, 0.2)).toBeCloseTo(0.2 ** 5, 12);
    expect(binomialUpperTail(2, 3, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialUpperTail(9, 10, 0.3)).toBeCloseTo(10 * 0.3 ** 9 * 0.7 + 0.3 ** 10, 12);
    expect(binomialUpperTail(3000, 10_000, 0.2)).toBeLessThan(1e-100);
    expect(binomialUpperTail(1, 100, 0.2)).toBe(1);
  });

  it('Wilson upper bound', () => {
    expect(wilsonUpper(0, 0, 1.645)).toBe(1);
    expect(wilsonUpper(0, 100, 1.645)).toBeCloseTo(1.645 ** 2 / (100 + 1.645 ** 2), 9);
    expect(wilsonUpper(50, 100, 1.645)).toBeGreaterThan(0.5);
  });

  it('a device with more history gets a shorter quiet threshold, never below k of its intervals × (1 − e^−…) ', () => {
    const L = 12 * 3600;
    const none = quietAfterSeconds(0, 0, L);
    const week = quietAfterSeconds(13, 13 * L, L);
    const twoMonths = quietAfterSeconds(119, 119 * L, L);
    expect(none).toBeGreaterThan(week);
    expect(week).toBeGreaterThan(twoMonths);
    expect(twoMonths).toBeGreaterThan(SILENCE_TEST.missedReports * L);
    expect(twoMonths / 3600).toBeLessThan(38);
  });
});
