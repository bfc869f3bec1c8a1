// docker-compose.yml on a real engine, through scripts/compose-suite.mjs: the images (public,
// else `fleetbed images build`'s), host networking, two CI scenarios with --env url on a small
// fleet, then down -v. Skipped, with the reason printed, where no engine or no Compose answers.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../harness/core/env/options.ts';
import { buildImages } from '../../harness/products/images/index.ts';
import { engineLeftovers, noEngineReason } from './engine.ts';

const PROJECT = 'fleetbed-e2e';
const PROJECT_LABEL = `com.docker.compose.project=${PROJECT}`;
const SCRIPT = join(REPO_ROOT, 'scripts', 'compose-suite.mjs');
const suite = (args: string[], timeout: number) =>
  promisify(execFile)(process.execPath, [SCRIPT, ...args], { cwd: REPO_ROOT, timeout, maxBuffer: 32 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );

let reason = await noEngineReason();
if (!reason) {
  const check = await suite(['--check'], 60_000);
  if (check.code !== 0) reason = check.stderr.trim().split('\n').pop();
}
if (reason) console.log(`[compose] the docker-compose.yml tests are skipped: ${reason}`);

describe.skipIf(reason !== undefined)('docker-compose.yml on a Docker engine (scripts/compose-suite.mjs)', () => {
  it('brings PostgreSQL and the API up, runs two CI scenarios and the attack suite against them with --env url, and takes them down', async () => {
    await buildImages({ log: () => {} }); // what the suite would build, so that the leftovers compare like with like
    const before = await engineLeftovers(PROJECT_LABEL);
    const out = mkdtempSync(join(tmpdir(), 'fleetbed-compose-e2e-'));
    try {
      const started = performance.now();
      const { code, stdout, stderr } = await suite(
        ['--scenarios', 'scenarios/ci/two-phones-one-home.ts', '--scenarios', 'scenarios/ci/retry-after-commit.ts', '--devices', '40', '--attack', 'scenarios/security', '--out', out, '--project-name', PROJECT],
        600_000,
      );
      const lines = stderr.split('\n').filter((line) => line.startsWith('compose-suite:'));
      console.log(`[compose] suite exit ${code} in ${Math.round(performance.now() - started)} ms:\n  ${lines.join('\n  ')}`);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stderr).toMatch(/compose-suite: found (docker compose \(v2|docker-compose \(v1)/);
      expect(stderr).toMatch(/compose-suite: images: PostgreSQL \S+ \((public|local build|FLEETBED_POSTGRES_IMAGE)\)/);
      expect(stderr).toContain('--env url --target-url http://127.0.0.1:');
      expect(stderr).toContain('taking the platform down (down -v)');
      for (const reports of ['reports-1', 'reports-2', 'attack-1']) expect(existsSync(join(out, reports, 'summary.json')), reports).toBe(true);
      const attacks = (JSON.parse(readFileSync(join(out, 'attack-1', 'summary.json'), 'utf8')) as { attacks: Array<{ verdict: string; stateUnchanged: boolean }> }).attacks;
      expect(attacks.length).toBeGreaterThan(100);
      expect(attacks.filter((a) => a.verdict !== 'refused' || !a.stateUnchanged)).toEqual([]);
      expect(existsSync(join(out, 'compose.log'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    expect(await engineLeftovers(PROJECT_LABEL)).toEqual(before);
    expect(before.containers).toEqual([]);
  }, 660_000);
});
