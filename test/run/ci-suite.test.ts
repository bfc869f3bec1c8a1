import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/** The CI suite passes on the reference API: what `npx fleetbed run scenarios/ci --jobs 2` gates a release on. */
it('npx fleetbed run scenarios/ci --jobs 2 passes on the reference API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbed-ci-suite-'));
  try {
    const started = performance.now();
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('node', ['harness/cli/bin.mjs', 'run', 'scenarios/ci', '--jobs', '2', '--report-dir', dir, '--quiet'], { timeout: 900_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    console.log(`fleetbed run scenarios/ci --jobs 2 took ${((performance.now() - started) / 1000).toFixed(1)} s\n${r.stdout}`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.verdict).toBe('pass');
    expect(summary.scenarios.length).toBeGreaterThanOrEqual(10);
    for (const s of summary.scenarios) {
      expect(s.error, s.name).toBeUndefined();
      // Every scenario checked something: no vacuous pass.
      expect(s.invariants.filter((i: { verdict: string }) => i.verdict === 'pass').length, s.name).toBeGreaterThan(0);
      expect(s.metrics.recordsStored, s.name).toBeGreaterThan(0);
    }
    // Hostile phones in every fleet scenario: thousands of hostile records, every one refused.
    const hostile = summary.scenarios.flatMap((s: { metrics: { hostile?: Record<string, { records: number; answers: Record<string, number> }> } }) => Object.values(s.metrics.hostile ?? {}));
    expect(hostile.reduce((n: number, k: { records: number }) => n + k.records, 0)).toBeGreaterThanOrEqual(3000);
    for (const k of hostile) expect(Object.keys(k.answers).filter((a) => a === 'stored' || a === 'duplicate' || a === 'replayed')).toEqual([]);
    // One gate: the attack catalogue runs inside the same run (scenarios/ci/forged-phone-attacks.ts).
    expect(summary.attacks.length).toBeGreaterThanOrEqual(100);
    expect(summary.attacks.filter((a: { verdict: string; stateUnchanged: boolean }) => a.verdict !== 'refused' || !a.stateUnchanged)).toEqual([]);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites[^>]*failures="0"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
