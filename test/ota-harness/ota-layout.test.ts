import { describe, expect, it } from 'vitest';
import { CHECKERS, OTA_CHECKERS } from '../../harness/core/checkers/checkers.ts';
import type { CheckContext } from '../../harness/core/checkers/types.ts';
import { brushHousehold, runUpdate, stepRunningImages } from '../../harness/core/ota/simulation-step.ts';
import { createWorld } from '../../harness/core/ota/world.ts';
import { resolveScenario } from '../../harness/core/scenario/index.ts';
import { toFleetOptions } from '../../harness/core/scenario/to-fleet-options.ts';
import { runWithResult } from '../../harness/products/run/scenario-result.ts';
import { createFleet } from '../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../simulators/fleet-options.ts';

const OTA_IDS = ['OTA-1', 'OTA-2', 'OTA-3', 'OTA-4', 'OTA-5', 'OTA-6', 'OTA-7'] as const;
const scenario = resolveScenario({
  name: 'ota-layout',
  description: 'a quietly bricking image',
  seed: 4242,
  fleet: { devices: 60 },
  duration: '1d',
  ota: { rollouts: [{ image: { version: '9.0.0', behaviour: { kind: 'quiet-death', hoursAfterBoot: 2 } }, stages: [{ percent: 100 }] }] },
});

describe('the OTA checkers, one per file', () => {
  it('are registered under their invariant ids, and skip a run that is not an OTA scenario', async () => {
    expect(Object.keys(OTA_CHECKERS).sort()).toEqual([...OTA_IDS]);
    for (const id of OTA_IDS) {
      const r = await CHECKERS[id]!({} as CheckContext);
      expect(r).toMatchObject({ id, verdict: 'skip' });
      expect(r.skipReason).toMatch(/OTA scenario/);
    }
  });
});

describe('the OTA simulation step', () => {
  const world = () => {
    const startS = 1_767_225_600;
    return createWorld(scenario.ota!, createFleet(resolveFleetOptions(toFleetOptions(scenario)), startS), startS);
  };

  it('is a function of the seed: two worlds brush and update to the same signed bytes', () => {
    const [a, b] = [world(), world()];
    for (let k = 0; k < 24; k++) {
      stepRunningImages(a, a.startS + k * 3600);
      stepRunningImages(b, b.startS + k * 3600);
      for (let h = 0; h < a.fleet.householdCount; h++) expect(brushHousehold(a, h, k, k)).toEqual(brushHousehold(b, h, k, k));
    }
    const d = a.eligible[0]!;
    const image = a.rolloutImages[0]!;
    const ua = runUpdate(a, d, image, '00000000-0000-4000-8000-000000000000', a.startS + 7200);
    expect(ua).toEqual(runUpdate(b, d, image, '00000000-0000-4000-8000-000000000000', b.startS + 7200));
    expect(ua.reports.map((r) => r.state)).toContain('installed');
    expect(ua.signed).toHaveLength(ua.reports.length);
  });
});

describe('the result skeleton of both runners', () => {
  const parts = (verdict: 'pass' | 'fail') => ({
    ledgerDigest: 'abc',
    invariants: [{ id: 'OTA-1', title: 't', verdict, checked: 1, violations: verdict === 'fail' ? 1 : 0, witnesses: [] }],
    thresholds: [],
    metrics: { uploads: 1, recordsProduced: 0, recordsStored: 0, duplicates: 0, late: 0, rejected: 0, lostAtDevice: 0, latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, count: 0 } },
    timeline: [],
  });

  it('passes only when no invariant or threshold failed, hands back the extra, and cleans up', async () => {
    let cleaned = 0;
    const ok = await runWithResult(scenario, { simulatedSeconds: 86_400, run: async () => ({ parts: parts('pass'), extra: 7 }), cleanup: async () => void cleaned++ });
    expect(ok.extra).toBe(7);
    expect(ok.result).toMatchObject({ name: 'ota-layout', verdict: 'pass', ledgerDigest: 'abc', simulatedSeconds: 86_400, seed: scenario.seed });
    expect(ok.result.replay).toContain('--seed');
    const bad = await runWithResult(scenario, { simulatedSeconds: 86_400, run: async () => ({ parts: parts('fail'), extra: 7 }), cleanup: async () => void cleaned++ });
    expect(bad.result.verdict).toBe('fail');
    expect(cleaned).toBe(2);
  });

  it('turns an error into a fail with its code, every invariant skipped, the timeline so far', async () => {
    let cleaned = false;
    const { result, extra } = await runWithResult(scenario, {
      simulatedSeconds: 3600,
      run: async () => {
        throw Object.assign(new Error('the platform went away'), { code: 'FLEETBED_X' });
      },
      timelineSoFar: () => [{ t: 1, uploads: 1, recordsStored: 1, duplicates: 0, late: 0, rejected: 0, p99Ms: 0 }],
      cleanup: async () => void (cleaned = true),
    });
    expect(extra).toBeUndefined();
    expect(result.verdict).toBe('fail');
    expect(result.error).toBe('[FLEETBED_X] the platform went away');
    expect(result.invariants.map((i) => [i.id, i.verdict])).toEqual(OTA_IDS.map((id) => [id, 'skip']));
    expect(result.timeline).toHaveLength(1);
    expect(cleaned).toBe(true);
  });
});
