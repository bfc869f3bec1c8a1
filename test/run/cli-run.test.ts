import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('a bad --duration value names the flag, the value and the form expected', async () => {
    for (const bad of ['2 days', '90m']) {
      const r = await fleetbed(['run', 'scenarios/ci', '--duration', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--duration must be whole hours from "1h" to "365d" in the form of a scenario's duration, e.g. "2d", "36h" or "1d12h", got ${JSON.stringify(bad)}`);
    }
  });

  it('a scenario with several mistakes: every one, a line each, each naming the file', async () => {
    const file = join(tmp, 'three-mistakes.json');
    writeFileSync(file, JSON.stringify({ name: 'Three Mistakes', description: 'x', fleet: { devices: 0 }, duration: '2 days' }));
    const r = await fleetbed(['run', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^fleetbed: .*three-mistakes\.json: 3 problems$/);
    expect(lines[1]).toMatch(/three-mistakes\.json: name must be a kebab-case name .*, got "Three Mistakes"$/);
    expect(lines[2]).toMatch(/three-mistakes\.json: fleet\.devices must be an integer from 1 to 1000000, got 0$/);
    expect(lines[3]).toMatch(/three-mistakes\.json: duration must be a duration such as .*, got "2 days"$/);
    expect(lines[4]).toBe('Nothing was started. Fix the scenario and run again.');
  });
});

describe('fleetbed run against a deliberately broken platform', () => {
  it('exits 1, prints the replay line and the commit, and writes the witnesses into the reports', async () => {
    const dir = join(tmp, 'broken');
    const r = await fleetbed(['run', 'scenarios/ci/two-phones-one-home.ts', '--devices', '80', '--api-entry', 'test/fixtures/bola-read-other-device.ts', '--report-dir', dir, '--quiet']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL two-phones-one-home AUTH-2: replay with: npx fleetbed run scenarios\/ci\/two-phones-one-home\.ts --seed 1103 --devices 80 --duration 2d --api-entry test\/fixtures\/bola-read-other-device\.ts +\(commit [0-9a-f]{7,}/);
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
  it('reports the smallest run that still fails, and its replay line reproduces that run: seed, devices and days', async () => {
    // 20 devices over the scenario's 2 days: shrink tries 10 devices, then 10 devices over 1 day.
    const dir = join(tmp, 'shrink');
    const r = await fleetbed(['run', 'scenarios/ci/two-phones-one-home.ts', '--devices', '20', '--api-entry', 'test/fixtures/bola-read-other-device.ts', '--shrink', '--report-dir', dir, '--quiet']);
    expect(r.code, r.stderr).toBe(1);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.scenarios[0]).toMatchObject({ devices: 20, simulatedSeconds: 2 * 86_400 });
    expect(summary.scenarios[0].replay).toContain('--devices 20 --duration 2d');
    const shrunk = summary.scenarios[0].metrics.shrunk;
    expect(shrunk).toMatchObject({ devices: 10, simulatedSeconds: 86_400 });
    expect(shrunk.failing).toContain('AUTH-2');
    expect(shrunk.replay).toBe('npx fleetbed run scenarios/ci/two-phones-one-home.ts --seed 1103 --devices 10 --duration 1d --api-entry test/fixtures/bola-read-other-device.ts');

    // Run the replay line as printed (it needs no shell quoting here), into its own report directory.
    const [npx, command, ...args] = shrunk.replay.split(' ');
    expect(`${npx} ${command}`).toBe('npx fleetbed');
    const replayDir = join(tmp, 'replay');
    const again = await fleetbed([...args, '--report-dir', replayDir, '--quiet']);
    expect(again.code, again.stderr).toBe(1);
    const replayed = JSON.parse(readFileSync(join(replayDir, 'summary.json'), 'utf8')).scenarios[0];
    expect(replayed).toMatchObject({ seed: '1103', devices: shrunk.devices, simulatedSeconds: shrunk.simulatedSeconds, replay: shrunk.replay });
    expect(replayed.invariants.filter((i: { verdict: string }) => i.verdict === 'fail').map((i: { id: string }) => i.id)).toEqual(shrunk.failing);
  }, 300_000);
});

describe('fleetbed run --jobs', () => {
  it('runs scenarios side by side with the verdicts, ledger digests and file order of a run one after another', async () => {
    const suite = join(tmp, 'jobs-suite');
    mkdirSync(suite);
    const scenario = (name: string, seed: number, devices: number) =>
      writeFileSync(join(suite, `${name}.json`), JSON.stringify({ name, description: `${name}: a small fleet for --jobs`, seed, fleet: { devices }, duration: '1d', invariants: ['ING-1', 'ING-3', 'AUTH-1'] }));
    scenario('a-larger', 71, 40);
    scenario('b-small', 72, 12);
    scenario('c-small', 73, 12);
    const one = await fleetbed(['run', suite, '--report-dir', join(tmp, 'jobs-1'), '--quiet']);
    const two = await fleetbed(['run', suite, '--jobs', '2', '--report-dir', join(tmp, 'jobs-2')]);
    expect([one.code, two.code], `${one.stderr}\n${two.stderr}`).toEqual([0, 0]);
    const read = (dir: string) => JSON.parse(readFileSync(join(tmp, dir, 'summary.json'), 'utf8')) as { ledgerDigest: string; scenarios: Array<{ name: string; verdict: string; ledgerDigest: string }> };
    const [a, b] = [read('jobs-1'), read('jobs-2')];
    expect(b.scenarios.map((s) => s.name)).toEqual(['a-larger', 'b-small', 'c-small']);
    expect(b.scenarios.map((s) => [s.name, s.verdict, s.ledgerDigest])).toEqual(a.scenarios.map((s) => [s.name, s.verdict, s.ledgerDigest]));
    expect(b.ledgerDigest).toBe(a.ledgerDigest);
    // Side by side, each scenario's lines carry its name; the small ones finish while the larger one runs.
    expect(two.stderr).toMatch(/\[b-small\] /);
    const finished = [...two.stderr.matchAll(/PASS (\S+) \(\d\/3\)/g)].map((m) => m[1]);
    expect(finished.sort()).toEqual(['a-larger', 'b-small', 'c-small']);
  }, 240_000);

  it('is a usage error with a shared platform, or with a value that is not a count', async () => {
    const url = await fleetbed(['run', 'scenarios/ci', '--jobs', '2', '--env', 'url', '--target-url', 'http://127.0.0.1:9']);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/--jobs 2 runs scenarios side by side.*only the embedded environment/);
    const bad = await fleetbed(['run', 'scenarios/ci', '--jobs', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs takes a whole number from 1 to 999 or auto, got "many"/);
  });
});
