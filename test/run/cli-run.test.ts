import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `fleetbed run` as a CI user runs it: a child process, its exit code, its output, its report files. */
function fleetbed(args: string[], timeoutMs = 240_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['harness/cli/bin.mjs', ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'fleetbed-cli-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fleetbed run: usage errors exit 2 before anything starts', () => {
  it('an unknown flag', async () => {
    const r = await fleetbed(['run', 'scenarios/ci', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('a malformed scenario names the file, the field, the value and what was expected', async () => {
    const file = join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad-one', description: 'x', fleet: { devices: -5 } }));
    const r = await fleetbed(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json/);
    expect(r.stderr).toMatch(/fleet\.devices/);
    expect(r.stderr).toMatch(/-5/);
    expect(r.stderr).toMatch(/integer/);
  });

  it('a bad --devices value', async () => {
    const r = await fleetbed(['run', 'scenarios/ci', '--devices', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/devices/);
  });
});

describe('fleetbed run against a deliberately broken platform', () => {
  it('exits 1, prints the replay line and the commit, and writes the witnesses into the reports', async () => {
    const dir = join(tmp, 'broken');
    const r = await fleetbed(['run', 'scenarios/ci/two-phones-one-home.ts', '--devices', '80', '--api-entry', 'test/fixtures/bola-read-other-device.ts', '--report-dir', dir, '--quiet']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL two-phones-one-home AUTH-2: replay with: npx fleetbed run scenarios\/ci\/two-phones-one-home\.ts --seed 1103 --devices 80 --api-entry test\/fixtures\/bola-read-other-device\.ts +\(commit [0-9a-f]{7,}/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.verdict).toBe('fail');
    const auth2 = summary.scenarios[0].invariants.find((i: { id: string }) => i.id === 'AUTH-2');
    expect(auth2.verdict).toBe('fail');
    expect(auth2.witnesses.length).toBeGreaterThan(0);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure[^>]*AUTH-2|AUTH-2[^<]*<failure/s);
    expect(junit).toContain('--api-entry test/fixtures/bola-read-other-device.ts');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  }, 240_000);
});

describe('fleetbed run --shrink', () => {
  it('re-runs a failing scenario smaller with the same seed and reports the smallest run that still fails', async () => {
    const dir = join(tmp, 'shrink');
    const r = await fleetbed(['run', 'scenarios/ci/two-phones-one-home.ts', '--devices', '40', '--api-entry', 'test/fixtures/bola-read-other-device.ts', '--shrink', '--report-dir', dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/shrink two-phones-one-home: trying 20 devices/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    const shrunk = summary.scenarios[0].metrics.shrunk;
    expect(shrunk.devices).toBeLessThan(40);
    expect(shrunk.failing).toContain('AUTH-2');
    expect(shrunk.replay).toContain('--seed 1103');
    expect(shrunk.replay).toContain(`--devices ${shrunk.devices}`);
    expect(r.stderr).toContain(`smallest failing run: ${shrunk.replay}`);
  }, 300_000);
});
