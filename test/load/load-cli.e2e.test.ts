import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `fleetbed load` as a capacity planner runs it: a child process against the embedded
 * platform (a fresh PostgreSQL and the reference API), a small plan, its exit code, what
 * it prints and the summary it writes. The fleet is built through the API (--no-fixture),
 * so the test does not depend on, or write to, the shared fixture cache.
 */
function fleetbed(args: string[], timeoutMs = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['harness/cli/bin.mjs', ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'fleetbed-load-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fleetbed load, end to end against the embedded platform', () => {
  it('plays scenarios/load/smoke.ts: exit 0, the summary measures the run, the ledger balances (ING-1)', { timeout: 320_000 }, async () => {
    const dir = join(tmp, 'smoke');
    const r = await fleetbed(['load', 'scenarios/load/smoke.ts', '--no-fixture', '--quiet', '--report-dir', dir]);
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^PASS smoke: /m);
    expect(r.stdout).toMatch(/ING-1 pass \(sql: \d+ stored, 0 mismatches\)/);

    const report = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      verdict: string;
      scenarios: Array<{ verdict: string; invariants: Array<{ id: string; verdict: string; violations: number }>; thresholds: Array<{ verdict: string }>; metrics: { load: Record<string, any> } }>;
    };
    expect(report.verdict).toBe('pass');
    const s = report.scenarios[0]!;
    expect(s.invariants).toEqual([expect.objectContaining({ id: 'ING-1', verdict: 'pass', violations: 0 })]);
    expect(s.thresholds.length).toBe(2);
    expect(s.thresholds.every((t) => t.verdict === 'pass')).toBe(true);

    const load = s.metrics.load;
    expect(load.plan).toMatchObject({ name: 'smoke', shape: 'constant', devices: 300 });
    expect(load.fixture).toBe('none');
    expect(load.target).toEqual({ arrivals: 200, syncsPerSecond: 20 });
    expect(load.achieved.completed).toBe(200); // every arrival started and was answered
    expect(load.achieved.ratio).toBeGreaterThan(0.9);
    expect(load.achieved.recordsStored).toBeGreaterThan(0);
    const upload = load.routes.find((x: { route: string }) => x.route === 'POST /v2/uploads');
    expect(upload.count).toBeGreaterThan(0);
    expect(upload.p50).toBeGreaterThan(0);
    expect(upload.p99).toBeGreaterThanOrEqual(upload.p50);
    expect(upload.max).toBeGreaterThanOrEqual(upload.p99);
    expect(load.couldNotStartInTime).toMatchObject({ lateStartMs: 10 });
    expect(load.generator.cpuMicrosPerUpload).toBeGreaterThan(0);
    expect(load.cpu.secondsByGroup).toHaveProperty('generator');
    expect(load.database.reachable).toBe(true);
    expect(load.database.bytesPerRecord).toBeGreaterThan(0);
    expect(load.ledger).toMatchObject({ ok: true, method: 'sql', mismatches: 0, violations: 0 });
    expect(load.ledger.storedOnPlatform).toBe(load.ledger.storedInLedger);
    expect(load.timeline.length).toBeGreaterThanOrEqual(9);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('ING-1');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('id="load-data"');
  });
});
