// The containers environment on a real Docker engine: fleetbed's Debian images (or the public
// ones where a registry answers), Testcontainers with host networking, `fleetbed run` and
// `fleetbed attack` with --env containers, the reaper after a SIGKILL, and the error for a
// missing image. Skipped, with the reason printed, where no engine answers.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainersEnvironment, waitFor } from '../../harness/core/env/index.ts';
import { CONTAINERS_LABEL } from '../../harness/core/env/containers.ts';
import { REPO_ROOT } from '../../harness/core/env/options.ts';
import { buildImages } from '../../harness/products/images/index.ts';
import { docker, engineLeftovers, noEngineReason } from './engine.ts';

const reason = await noEngineReason();
if (reason) console.log(`[containers] the containers environment tests are skipped: ${reason}`);

const CLI = join(REPO_ROOT, 'harness', 'cli', 'bin.mjs');
const DEVICES = '40';
type Outcome = { code: number; stdout: string; stderr: string };
const cli = (args: string[], env: Record<string, string> = {}, timeout = 300_000): Promise<Outcome> =>
  promisify(execFile)(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout, maxBuffer: 32 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
/**
 * The images for the sources as they are now (cached, about a second, unless reference-api/ or
 * contract/ changed meanwhile), named through FLEETBED_POSTGRES_IMAGE / FLEETBED_API_IMAGE for
 * the CLI runs, so that an edit made while a test runs cannot leave the CLI without its image.
 */
const ensureImages = async () => {
  const built = await buildImages({ log: (line) => (/built in|removed/.test(line) ? console.log(`[containers] images: ${line}`) : undefined) });
  return { FLEETBED_POSTGRES_IMAGE: built.postgres.name, FLEETBED_API_IMAGE: built.api.name };
};
const labelled = async () => (await docker(['ps', '-a', '-q', '--filter', `label=${CONTAINERS_LABEL}`])).split('\n').filter(Boolean);

describe.skipIf(reason !== undefined)('the containers environment on a Docker engine', () => {
  let before: Awaited<ReturnType<typeof engineLeftovers>>;
  const suiteStarted = performance.now();

  beforeAll(async () => {
    const built = await buildImages({ log: (line) => console.log(`[containers] images: ${line}`) });
    console.log(
      `[containers] images ${built.postgres.cached && built.api.cached ? 'cached' : 'built'} in ${(built.elapsedMs / 1000).toFixed(1)} s ` +
        `(base ${built.base.cached ? 'cached' : `${(built.base.elapsedMs / 1000).toFixed(1)} s`}, postgres ${built.postgres.cached ? 'cached' : `${(built.postgres.elapsedMs / 1000).toFixed(1)} s`}, ` +
        `api ${built.api.cached ? 'cached' : `${(built.api.elapsedMs / 1000).toFixed(1)} s`})`,
    );
    before = await engineLeftovers(CONTAINERS_LABEL);
    expect(before.containers, 'containers already on the engine before the tests').toEqual([]);
  }, 900_000);

  afterAll(async () => {
    console.log(`[containers] suite took ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`);
    if (before) expect(await engineLeftovers(CONTAINERS_LABEL)).toEqual(before);
  });

  it('starts PostgreSQL and the API in host-networked containers on loopback ports, and removes them on dispose', async () => {
    const lines: string[] = [];
    let ids: { postgres: string; api: string };
    {
      await using env = await new ContainersEnvironment({ log: (line) => lines.push(line), postgresSettings: { work_mem: '8MB' } }).start();
      console.log(`[containers] environment ready in ${env.readyMs} ms: ${lines.join('; ')}`);
      expect(lines.join('\n')).toMatch(/containers: PostgreSQL \S+ \((public|local build)\), API \S+ \((public|local build)/);
      expect(env.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(env.databaseUrl).toMatch(/^postgres:\/\/fleetbed:[0-9a-f]+@127\.0\.0\.1:\d+\/fleetbed$/);
      expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);
      ids = env.containerIds;
      for (const id of [ids.postgres, ids.api]) {
        expect(await docker(['inspect', '--format', '{{.HostConfig.NetworkMode}}', id])).toBe('host');
      }
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: env.databaseUrl });
      await client.connect();
      try {
        expect((await client.query('SHOW work_mem')).rows[0]).toEqual({ work_mem: '8MB' });
        expect((await client.query("SELECT setting FROM pg_settings WHERE name = 'listen_addresses'")).rows[0]).toEqual({ setting: '127.0.0.1' });
      } finally {
        await client.end();
      }
      const restarted = performance.now();
      await env.restartDatabase();
      await env.restartApi();
      console.log(`[containers] restartDatabase + restartApi in ${Math.round(performance.now() - restarted)} ms`);
      expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);
    }
    expect(await docker(['ps', '-a', '-q', '--filter', `id=${ids.postgres}`, '--filter', `id=${ids.api}`])).toBe('');
  }, 300_000);

  it('fleetbed run --env containers: two CI scenarios with restarts pass on small fleets', async () => {
    for (const scenario of ['scenarios/ci/postgres-restart.ts', 'scenarios/ci/api-restart-mid-upload.ts']) {
      const images = await ensureImages();
      const started = performance.now();
      const { code, stdout, stderr } = await cli(['run', scenario, '--env', 'containers', '--devices', DEVICES, '--quiet', '--reporters', 'json', '--report-dir', join(REPO_ROOT, 'reports', 'out', 'containers-e2e')], images);
      console.log(`[containers] fleetbed run ${scenario} --env containers: exit ${code} in ${Math.round(performance.now() - started)} ms`);
      expect(stderr).toContain(`[fleetbed env] containers: PostgreSQL ${images.FLEETBED_POSTGRES_IMAGE} (variable), API ${images.FLEETBED_API_IMAGE} (variable)`);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(/PASS/);
    }
    expect(await labelled()).toEqual([]);
  }, 600_000);

  it('fleetbed attack --env containers: every attack of the suite is refused', async () => {
    const images = await ensureImages();
    const started = performance.now();
    const { code, stdout, stderr } = await cli(['attack', 'scenarios/security', '--env', 'containers', '--reporters', 'json', '--report-dir', join(REPO_ROOT, 'reports', 'out', 'containers-e2e-attack')], images);
    console.log(`[containers] fleetbed attack --env containers: exit ${code} in ${Math.round(performance.now() - started)} ms`);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/attacks: (\d+) of \1 refused with no side effect/);
    expect(await labelled()).toEqual([]);
  }, 600_000);

  it("a SIGKILLed harness leaves no container behind: fleetbed's reaper removes them", async () => {
    const images = await ensureImages();
    const script = `
      import { ContainersEnvironment } from ${JSON.stringify(join(REPO_ROOT, 'harness/core/env/index.ts'))};
      const env = await new ContainersEnvironment({ log: () => {}, postgresImage: ${JSON.stringify(images.FLEETBED_POSTGRES_IMAGE)}, apiImage: ${JSON.stringify(images.FLEETBED_API_IMAGE)} }).start();
      console.log(JSON.stringify(env.containerIds));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the child harness exited (code ${code}) before printing its container ids`))));
    const ids = await Promise.race([
      waitFor('the child harness to print its container ids', () => (stdout.includes('}') ? (JSON.parse(stdout) as { postgres: string; api: string }) : false), { timeoutMs: 120_000, intervalMs: 50 }),
      exited,
    ]);
    expect((await labelled()).length).toBe(2);
    child.kill('SIGKILL');
    const killed = performance.now();
    await waitFor('the reaper to remove both containers', async () => (await docker(['ps', '-a', '-q', '--filter', `id=${ids.postgres}`, '--filter', `id=${ids.api}`])) === '', { timeoutMs: 30_000, intervalMs: 100 });
    console.log(`[containers] after SIGKILL, the reaper removed both containers in ${Math.round(performance.now() - killed)} ms`);
    expect(await labelled()).toEqual([]);
  }, 300_000);

  it('a container that exits before it is ready: FLEETBED_ENV_START_FAILED at once, quoting its log; nothing left', async () => {
    const images = await ensureImages();
    const started = performance.now();
    const error = await new ContainersEnvironment({ postgresImage: images.FLEETBED_POSTGRES_IMAGE, apiImage: images.FLEETBED_API_IMAGE, postgresSettings: { shared_buffers: 'lots' }, log: () => {} })
      .start()
      .then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
    const elapsedMs = Math.round(performance.now() - started);
    console.log(`[containers] a PostgreSQL that exits: ${error?.code} after ${elapsedMs} ms`);
    expect(error?.code).toBe('FLEETBED_ENV_START_FAILED');
    expect(error?.message).toMatch(/exited with code \d+ before it was ready/);
    expect(error?.message).toContain('shared_buffers');
    expect(elapsedMs).toBeLessThan(60_000); // not the 300 s startup deadline
    expect(await labelled()).toEqual([]);
  }, 120_000);

  it('an engine without the image named: FLEETBED_ENV_NO_IMAGE, naming fleetbed images build, nothing started', async () => {
    const started = performance.now();
    const error = await new ContainersEnvironment({ postgresImage: 'fleetbed/no-such-image:0', log: () => {} }).start().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toBe('FLEETBED_ENV_NO_IMAGE');
    expect(error?.message).toContain('fleetbed/no-such-image:0 (given as an option) is not on the engine and cannot be pulled');
    expect(error?.message).toContain('npx fleetbed images build');
    expect(error?.message).toContain('FLEETBED_POSTGRES_IMAGE');
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(await labelled()).toEqual([]);
  }, 60_000);
});
