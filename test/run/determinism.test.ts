import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../harness/core/scenario/load-scenarios.ts';
import { applyOverrides } from '../../harness/core/scenario/overrides.ts';
import { runSuite } from '../../harness/products/run/run-suite.ts';

/**
 * The same seed, scenario and code give the same ledger digest and the same
 * verdicts — here with faults on (responses dropped after commit, retries),
 * whose fates are seeded draws, not arrival order. A different seed gives a
 * different world.
 */
describe('a run is reproducible from its seed', () => {
  it('same seed → same ledger digest and verdicts; another seed → another digest', async () => {
    const base = await loadScenarioFile('scenarios/ci/retry-after-commit.ts');
    const small = applyOverrides(base, { devices: 60 });
    const run = (s = small) => runSuite({ scenarios: [s], environment: {}, command: 'test', progress: { enabled: false } });
    const a = await run();
    const b = await run();
    const c = await run(applyOverrides(small, { seed: '7' }));
    const verdicts = (r: typeof a) => r.scenarios[0]!.invariants.map((i) => `${i.id}:${i.verdict}:${i.checked}`);
    expect(a.scenarios[0]!.error).toBeUndefined();
    expect(a.scenarios[0]!.ledgerDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.scenarios[0]!.ledgerDigest).toBe(a.scenarios[0]!.ledgerDigest);
    expect(verdicts(b)).toEqual(verdicts(a));
    expect(a.verdict).toBe('pass');
    expect(c.scenarios[0]!.ledgerDigest).not.toBe(a.scenarios[0]!.ledgerDigest);
  });
});

describe('an OTA run is reproducible from its seed', () => {
  it('same seed → same OTA ledger digest, though households answer in any order', async () => {
    // 16 households run concurrently; the digest must not depend on which response came first.
    const base = await loadScenarioFile('scenarios/ci/ota-boot-loop-rollback.ts');
    const small = applyOverrides(base, { devices: 60 });
    const run = () => runSuite({ scenarios: [small], environment: {}, command: 'test', progress: { enabled: false } });
    const a = await run();
    const b = await run();
    expect(a.scenarios[0]!.error).toBeUndefined();
    expect(a.scenarios[0]!.ledgerDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.scenarios[0]!.ledgerDigest).toBe(a.scenarios[0]!.ledgerDigest);
  }, 180_000);
});
