import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * fleetbed as platform teams use it: a dependency of their own project, which keeps its
 * scenarios in its own repository, and `npx fleetbed run` there. And a scenario file in a
 * folder that belongs to no project at all.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// realpath: macOS's tmpdir is a symlink, and the paths in the reports are resolved ones.
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'fleetbed-user-project-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run `file args` in `cwd`; exit code and output. No shell: the arguments arrive as given. */
function exec(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: 240_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A small scenario, written as a user writes one: importing the package by its name. */
const SCENARIO = (name: string) => `import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: '${name}',
  description: 'A few homes for one day, from outside the fleetbed repository.',
  seed: 7,
  fleet: { devices: 8 },
  duration: '1d',
});
`;

/** The one scenario of a passing run's summary.json in `dir`. */
function onlyScenario(dir: string) {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  expect(summary.verdict).toBe('pass');
  expect(summary.scenarios).toHaveLength(1);
  return summary.scenarios[0];
}

describe('a project that depends on fleetbed', () => {
  it('runs its own scenarios with npx fleetbed run', async () => {
    const project = join(tmp, 'platform-scenarios');
    mkdirSync(join(project, 'scenarios'), { recursive: true });
    // No "type": "module": the package.json `npm init` writes. Scenario files load as ES modules regardless.
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'platform-scenarios', private: true, devDependencies: { fleetbed: `file:${REPO_ROOT}` } }, null, 2));
    writeFileSync(join(project, 'scenarios', 'smoke.ts'), SCENARIO('platform-smoke'));
    // What `npm install` does for a file: dependency, without the network or the install
    // scripts: link node_modules/fleetbed to the package folder and its bin into node_modules/.bin.
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(REPO_ROOT, join(project, 'node_modules', 'fleetbed'), 'dir');
    symlinkSync('../fleetbed/harness/cli/bin.mjs', join(project, 'node_modules', '.bin', 'fleetbed'));

    const r = await exec('npx', ['--offline', 'fleetbed', 'run', 'scenarios', '--report-dir', 'out', '--quiet'], project, { ...process.env, npm_config_update_notifier: 'false' });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const s = onlyScenario(join(project, 'out'));
    expect(s).toMatchObject({ name: 'platform-smoke', file: 'scenarios/smoke.ts', verdict: 'pass', seed: '7', devices: 8, simulatedSeconds: 86_400 });
    expect(s.replay).toBe('npx fleetbed run scenarios/smoke.ts --seed 7 --devices 8 --duration 1d');
    expect(s.metrics.recordsStored).toBeGreaterThan(0);
  }, 240_000);
});

describe('a scenario file outside any project', () => {
  it('loads and runs: the fleetbed command supplies its own fleetbed', async () => {
    const folder = join(tmp, 'loose');
    mkdirSync(folder);
    writeFileSync(join(folder, 'loose.ts'), SCENARIO('loose-file'));
    const r = await exec(process.execPath, [join(REPO_ROOT, 'harness', 'cli', 'bin.mjs'), 'run', 'loose.ts', '--report-dir', 'out', '--quiet'], folder);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(onlyScenario(join(folder, 'out'))).toMatchObject({ name: 'loose-file', file: 'loose.ts', verdict: 'pass', devices: 8, simulatedSeconds: 86_400 });
  }, 240_000);

  it('a mistake in it is reported like any other scenario\'s, not as a module-loading failure', async () => {
    const folder = join(tmp, 'loose-bad');
    mkdirSync(folder);
    writeFileSync(join(folder, 'bad.ts'), SCENARIO('loose-bad').replace('devices: 8', 'devices: -1'));
    const r = await exec(process.execPath, [join(REPO_ROOT, 'harness', 'cli', 'bin.mjs'), 'run', 'bad.ts'], folder);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fleetbed: bad.ts: fleet.devices must be an integer from 1 to 1000000, got -1');
  });
});
