import { describe, expect, it } from 'vitest';
import { resolveEnvironment } from '../../harness/core/env/index.ts';
import { loadScenarios } from '../../harness/core/scenario/index.ts';
import { runScenario } from '../../harness/products/run/run-scenario.ts';

/**
 * The quiet-brick canary against a platform whose rollouts advance on transfer
 * success alone (test/fixtures/ota-transfer-success-gate.ts): the image spreads past
 * the canary and nothing halts it, so OTA-5 and OTA-7 must turn red — and the
 * same scenario passes on the reference API (the CI suite runs it).
 */
describe('OTA checkers against a transfer-success-only platform', () => {
  it('turn OTA-5 and OTA-7 red', async () => {
    const [scenario] = await loadScenarios('scenarios/ci/ota-canary-quiet-brick.ts');
    const env = await resolveEnvironment({ env: 'embedded', apiEntry: 'test/fixtures/ota-transfer-success-gate.ts', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' } }).start();
    try {
      const { result } = await runScenario(scenario!, { environment: env, progress: { enabled: false } });
      expect(result.error).toBeUndefined();
      const verdicts = Object.fromEntries(result.invariants.map((i) => [i.id, i.verdict]));
      expect(verdicts['OTA-5']).toBe('fail');
      expect(verdicts['OTA-7']).toBe('fail');
      // What stays true on that platform stays green: it verifies images and honours halts.
      expect(verdicts['OTA-1']).toBe('pass');
      expect(verdicts['OTA-4']).toBe('pass');
      const ota5 = result.invariants.find((i) => i.id === 'OTA-5')!;
      expect(ota5.witnesses.length).toBeGreaterThan(0);
      expect(ota5.witnesses.length).toBeLessThanOrEqual(20);
      expect(ota5.witnesses[0]!.detail).toMatch(/never halted/);
      expect(result.verdict).toBe('fail');
      // The platform ran transfer-success: the blast radius is keyed by what it did, and no counterfactual is needed.
      expect(Object.keys(result.metrics.ota!.blastRadius)).toEqual(['transfer-success']);
      expect(result.metrics.ota!.blastRadius['transfer-success']).toBeGreaterThan(100);
    } finally {
      await env.stop();
    }
  }, 300_000);
});
