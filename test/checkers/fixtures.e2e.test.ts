import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvironment, type StartedEnvironment } from '../../harness/core/env/index.ts';
import { runScenario } from '../../harness/products/run/run-scenario.ts';
import { resolveScenario } from '../../harness/core/scenario/index.ts';
import type { Behaviour } from '../../harness/core/scenario/types.ts';
import type { ScenarioResult } from '../../reports/types.ts';
import { WEAKNESSES, type WeaknessName } from '../fixtures/weaknesses.ts';

/**
 * The checkers catch real bugs: each deliberately broken platform of
 * test/fixtures (the reference API wrapped, reference-api/ untouched) runs one
 * small scenario through the runner, in its own embedded environment, and must
 * turn its invariant red with a witness — while the clean reference API passes
 * the very same scenario. All of them run side by side.
 */
// Hostile records at volume (2 days × 1500: 2000 forged or tampered), so a check skipped for 1 record in 1000 shows.
const BEHAVIOUR: Partial<Behaviour> = { retryAfterCommit: 0.3, twoPhones: 0.9, latePhones: 0.2, reinstall: 0.05, hostileRecords: 1500 };

function scenario(name: string) {
  return resolveScenario({ name, description: `checkers e2e: ${name}`, seed: 2024, fleet: { devices: 120 }, duration: '2d', behaviour: BEHAVIOUR });
}

/** Fixtures whose weakness lives in their own entry file, not in weaknesses.ts: name and the invariant they must turn red. */
const STANDALONE = [{ name: 'overwrite-stored-record', invariant: 'ING-1' }] as const;
type FixtureName = WeaknessName | (typeof STANDALONE)[number]['name'];

const CASES: Array<FixtureName | 'clean'> = ['clean', 'lose-acked-record', 'duplicate-on-retry', 'accept-bad-signature', 'bola-read-other-device', 'update-event-in-place', 'replay-keeps-access-tokens', 'revoked-consent-still-readable', 'skip-signature-one-in-1000', 'idempotency-across-accounts', ...STANDALONE.map((f) => f.name)];
const results = new Map<string, ScenarioResult>();
const envs: StartedEnvironment[] = [];

beforeAll(async () => {
  await Promise.all(
    CASES.map(async (name) => {
      const env = await resolveEnvironment({
        env: 'embedded',
        ...(name === 'clean' ? {} : { apiEntry: `test/fixtures/${name}.ts` }),
        apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' },
        startupTimeoutMs: 60_000,
      }).start();
      envs.push(env);
      const { result } = await runScenario(scenario(name), { environment: env, progress: { enabled: false } });
      results.set(name, result);
    }),
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(envs.map((e) => e.stop()));
});

const summary = (r: ScenarioResult) => r.invariants.map((i) => `${i.id}:${i.verdict}${i.verdict === 'fail' ? ` ${JSON.stringify(i.witnesses[0])}` : ''}`).join('\n');

describe('the clean reference API', () => {
  it('passes every invariant of the scenario', () => {
    const r = results.get('clean')!;
    expect(r.error).toBeUndefined();
    expect(summary(r)).not.toMatch(/:fail/);
    expect(r.verdict).toBe('pass');
    expect(r.invariants.find((i) => i.id === 'PRIV-2')!.verdict).toBe('pass');
    expect(r.invariants.find((i) => i.id === 'ING-3')!.checked).toBeGreaterThan(0);
  });
});

/** What a witness of each fixture's invariant must say. */
const WITNESS: Record<FixtureName, RegExp> = {
  'lose-acked-record': /acknowledged as stored and is gone|acknowledged records missing/,
  'duplicate-on-retry': /an extra copy of seq \d+|stored-twice/,
  'accept-bad-signature': /does not verify/,
  'bola-read-other-device': /^200 \{"deviceId"/,
  'update-event-in-place': /updated in place/,
  'replay-keeps-access-tokens': /^HTTP 200$/,
  'revoked-consent-still-readable': /^HTTP 200$/,
  'skip-signature-one-in-1000': /^hostile-signature-accepted: a (forged|tampered) record .* was answered stored/,
  'idempotency-across-accounts': /^hostile-key-crossed: upload \S+ of phone \d+ .* was answered with the owner's answer/,
  'overwrite-stored-record': /^content digest [0-9a-f]{8}: a stored record's content was overwritten/,
};

describe.each([...Object.values(WEAKNESSES).map((w) => [w.name, w.invariant] as const), ...STANDALONE.map((f) => [f.name, f.invariant] as const)])('the %s fixture', (name, invariant) => {
  it(`turns ${invariant} red with a witness, and the scenario fails`, () => {
    const r = results.get(name)!;
    expect(r.error, r.error).toBeUndefined();
    const inv = r.invariants.find((i) => i.id === invariant)!;
    expect(inv.verdict, summary(r)).toBe('fail');
    expect(inv.violations).toBeGreaterThan(0);
    expect(inv.witnesses.length).toBeGreaterThan(0);
    const witness = inv.witnesses.find((w) => WITNESS[name].test(w.found));
    expect(witness, JSON.stringify(inv.witnesses, null, 1)).toBeDefined();
    expect(r.verdict).toBe('fail');
    expect(r.replay).toMatch(/fleetbed run .*--seed 2024/);
    console.log(`[fixtures] ${name} → ${invariant} fail (${inv.violations} violations); witness: ${JSON.stringify(witness)}\n  other invariants red: ${r.invariants.filter((i) => i.verdict === 'fail' && i.id !== invariant).map((i) => i.id).join(', ') || 'none'}`);
  });
});
