import { describe, expect, it } from 'vitest';
import { runSuite } from '../../harness/products/run/run-suite.ts';
import { loadScenarioFile } from '../../harness/core/scenario/load-scenarios.ts';

// The crash faults must be able to catch a platform that acknowledges before its data is
// durable. A PostgreSQL with synchronous_commit off (and a slow WAL writer) answers COMMIT
// before the WAL is written: a clean restart keeps everything, a crash loses the
// acknowledged tail. The same scenario, the same seed: green on the reference settings, red
// with that misconfiguration, with a replay line.
describe('crash faults bite', () => {
  it('postgres-crash-recovery: acknowledged-then-lost records turn ING-1 red only when commits are not durable', async () => {
    const scenario = await loadScenarioFile('scenarios/ci/postgres-crash-recovery.ts');
    const sigkillOnly = { ...scenario!, faults: scenario!.faults.filter((f) => f.params.mode === 'sigkill') };
    const run = (postgresSettings: Record<string, string>) =>
      runSuite({ scenarios: [sigkillOnly], environment: { postgresSettings }, command: 'test', fixture: 'none', progress: { enabled: false } });

    const durable = await run({});
    expect(durable.scenarios[0]!.verdict, durable.scenarios[0]!.error ?? JSON.stringify(durable.scenarios[0]!.invariants.filter((i) => i.verdict === 'fail'))).toBe('pass');

    // Commits answer before their WAL is written; the WAL writer waits 10 s: a SIGKILL loses the acknowledged tail.
    const lossy = await run({ synchronous_commit: 'off', wal_writer_delay: '10000ms', wal_writer_flush_after: '1GB', wal_buffers: '64MB' });
    const result = lossy.scenarios[0]!;
    // Lost acknowledged commits show either as ING-1's witness (a record acknowledged and not
    // stored) or, when the platform trips over its own lost rows first, as the run's error.
    expect(result.verdict).toBe('fail');
    const ing1 = result.invariants.find((i) => i.id === 'ING-1')!;
    if (result.error === undefined) {
      expect(ing1.verdict).toBe('fail');
      expect(ing1.witnesses.length).toBeGreaterThan(0);
    } else expect(result.error).toMatch(/got 5\d\d|lost|stored/);
    expect(result.replay).toContain('fleetbed run scenarios/ci/postgres-crash-recovery.ts');
  }, 180_000);
});
