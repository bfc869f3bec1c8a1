import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../harness/core/scenario/index.ts';
import { seededRolloutId } from '../../harness/core/ota/operator.ts';
import { toBehaviour } from '../../harness/core/ota/world.ts';

const base = { name: 'ota-x', description: 'an OTA scenario', duration: '2d' };
const rollout = { image: { version: '2.4.0', behaviour: { kind: 'quiet-death', hoursAfterBoot: 6 } }, stages: [{ percent: 10, soak: '12h' }, { percent: 100 }] };

describe('the scenario ota section', () => {
  it('fills defaults and selects the OTA invariants', () => {
    const s = resolveScenario({ ...base, ota: { rollouts: [rollout] } });
    expect(s.invariants).toEqual(['OTA-1', 'OTA-2', 'OTA-3', 'OTA-4', 'OTA-5', 'OTA-6', 'OTA-7']);
    expect(s.ota).toMatchObject({ productLine: 'adult-brush', sessionsPerDay: 2, monitorEverySeconds: 3600, bootLimit: 3, counterfactual: true });
    expect(s.ota).toMatchObject({ baselineSeconds: 7 * 86_400, baselineCounterfactual: [], syncEverySeconds: 12 * 3600, skipDayShare: 0.03 });
    const cf = resolveScenario({ ...base, ota: { rollouts: [rollout], baseline: '0d', baselineCounterfactual: ['0d', '7d', '60d'], syncEvery: '1d', skipDays: 0 } }).ota!;
    expect(cf).toMatchObject({ baselineSeconds: 0, baselineCounterfactual: [0, 7 * 86_400, 60 * 86_400], syncEverySeconds: 86_400, skipDayShare: 0 });
    const r = s.ota!.rollouts[0]!;
    expect(r).toMatchObject({ at: 0, policy: 'health-gate', image: { antiRollbackCounter: 2, sizeBytes: 65_536 } });
    expect(r.stages).toEqual([{ percent: 10, soakSeconds: 43_200 }, { percent: 100, soakSeconds: 0 }]);
    expect(r.gate).toEqual({ windowSeconds: 86_400, minSample: 50, minHealthRatio: 0.8, maxFailureRate: 0.05, failureMinSample: 20 });
    expect(Object.isFrozen(s.ota)).toBe(true);
    // A good image needs no counterfactual; a scenario without ota has none.
    expect(resolveScenario({ ...base, ota: { rollouts: [{ image: { version: '2.4.0' } }] } }).ota!.counterfactual).toBe(false);
    expect(resolveScenario(base).ota).toBeUndefined();
  });

  it.each([
    [{ rollouts: [] }, /ota\.rollouts/],
    [{ rollouts: [rollout], sessionsPerDay: 5 }, /ota\.sessionsPerDay.*divisor of 24/],
    [{ rollouts: [{ ...rollout, image: { version: '2.4' } }] }, /ota\.rollouts\[0\]\.image\.version/],
    [{ rollouts: [{ ...rollout, image: { version: '2.4.0', behaviour: { kind: 'meltdown' } } }] }, /ota\.rollouts\[0\]\.image\.behaviour\.kind/],
    [{ rollouts: [{ ...rollout, image: { version: '2.4.0', behaviour: { kind: 'quiet-death' } } }] }, /quiet-death condition/],
    [{ rollouts: [{ ...rollout, stages: [{ percent: 50 }, { percent: 10 }] }] }, /stages\[1\]\.percent/],
    [{ rollouts: [{ ...rollout, stages: [{ soak: '1h' }] }] }, /stages\[0\].*percent, a maxDevices cap/],
    [{ rollouts: [{ ...rollout, gate: { window: '90m' } }] }, /gate\.window/],
    [{ rollouts: [{ ...rollout, at: '3d' }] }, /rollouts\[0\]\.at/],
    [{ rollouts: [{ ...rollout, expect: { state: 'paused' } }] }, /expect\.state/],
    [{ rollouts: [rollout], canary: true }, /ota/],
    [{ rollouts: [rollout], baseline: '90m' }, /ota\.baseline/],
    [{ rollouts: [rollout], baselineCounterfactual: ['0d', 'soon'] }, /ota\.baselineCounterfactual\[1\]/],
    [{ rollouts: [rollout], syncEvery: '0h' }, /ota\.syncEvery/],
    [{ rollouts: [rollout], skipDays: 1.5 }, /ota\.skipDays/],
  ])('refuses %j, naming the field', (ota, message) => {
    expect(() => resolveScenario({ ...base, ota })).toThrow(message);
  });

  it('seeds rollout ids (the counterfactual shares the cohorts) and maps behaviours onto the simulator', () => {
    expect(seededRolloutId('4242', 0)).toBe(seededRolloutId('4242', 0));
    expect(seededRolloutId('4242', 0)).not.toBe(seededRolloutId('4242', 1));
    expect(seededRolloutId('1', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(toBehaviour({ kind: 'corrupt-transfer', chunk: 2 })).toEqual({ kind: 'corrupt-in-transfer', chunk: 2 });
  });
});
