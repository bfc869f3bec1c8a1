import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedEnvironment } from './embedded.ts';
import { defaultSettings } from './_internals/embedded-database.ts';
import { REPO_ROOT } from './options.ts';
import { isAlive, processesMentioning } from './test-fixtures/process-state.ts';
import { waitFor } from './wait.ts';

async function query<T>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('EmbeddedEnvironment', () => {
  it('starts PostgreSQL and the reference API; stop() leaves no process and no temp dir', async () => {
    const env = await new EmbeddedEnvironment().start();
    const { postgres, api } = env.pids;
    try {
      console.log(`[embedded] time to ready: ${env.readyAfterMs} ms`);
      expect(env.kind).toBe('embedded');
      expect(env.testMode).toBe(true);
      expect(env.factorySecret).toMatch(/^[0-9a-f]{64}$/);
      const readyz = await fetch(`${env.apiUrl}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toEqual({ status: 'ok' });
      expect(await query(env.databaseUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(existsSync(env.workDir)).toBe(true);
      expect(postgres !== undefined && isAlive(postgres)).toBe(true);
      expect(api !== undefined && isAlive(api)).toBe(true);
    } finally {
      await env.stop();
    }
    expect(existsSync(env.workDir)).toBe(false);
    expect(isAlive(postgres as number)).toBe(false);
    expect(isAlive(api as number)).toBe(false);
    expect(processesMentioning(env.workDir)).toEqual([]);
    await expect(fetch(`${env.apiUrl}/healthz`)).rejects.toThrow();
    await env.stop(); // idempotent
  });

  it('restartDatabase keeps port and data; restartApi comes back on the same URL', async () => {
    await using env = await new EmbeddedEnvironment().start();
    await query(env.databaseUrl, 'CREATE TABLE survivor (n int); INSERT INTO survivor VALUES (42)');

    const oldPostgres = env.pids.postgres as number;
    await env.restartDatabase();
    expect(isAlive(oldPostgres)).toBe(false);
    expect(env.pids.postgres).not.toBe(oldPostgres);
    expect(await query(env.databaseUrl, 'SELECT n FROM survivor')).toEqual([{ n: 42 }]);

    const oldApi = env.pids.api as number;
    await env.restartApi();
    expect(isAlive(oldApi)).toBe(false);
    expect(env.pids.api).not.toBe(oldApi);
    expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);
  });

  describe('when the API dies during start-up', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'fleetbed-env-test-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it('fails with FLEETBED_ENV_START_FAILED quoting the API log, and cleans up', async () => {
      const entry = join(scratch, 'crashing-api.mjs');
      writeFileSync(entry, "console.error('boom: migrations exploded'); process.exit(3);\n");
      const error = await new EmbeddedEnvironment({ apiEntry: entry }).start().then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(error?.code).toBe('FLEETBED_ENV_START_FAILED');
      expect(error?.message).toContain('exited (code 3');
      expect(error?.message).toContain('boom: migrations exploded');
      const workDir = /(\S+fleetbed-[^/\s]+)\/api\.log/.exec(error?.message ?? '')?.[1];
      expect(workDir).toBeDefined();
      expect(existsSync(workDir as string)).toBe(false);
      expect(processesMentioning(workDir as string)).toEqual([]);
    });
  });

  it('the reaper kills PostgreSQL and the API and removes the temp dir when the harness is SIGKILLed', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', join('harness', 'core', 'env', 'test-fixtures', 'hold-embedded.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: holder.stdout }).once('line', resolve);
      holder.once('exit', (code) => reject(new Error(`hold-embedded.ts exited (code ${code}) before printing`)));
    });
    const started = JSON.parse(line) as { workDir: string; apiUrl: string; pids: { postgres: number; api: number } };
    expect(isAlive(started.pids.postgres) && isAlive(started.pids.api)).toBe(true);

    holder.kill('SIGKILL');
    await exited;
    const killedAt = performance.now();
    await waitFor(
      'the reaper to kill the postmaster and the API and remove the temp dir',
      () => !isAlive(started.pids.postgres) && !isAlive(started.pids.api) && !existsSync(started.workDir),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    console.log(`[embedded] reaper cleaned up ${Math.round(performance.now() - killedAt)} ms after SIGKILL`);
    expect(processesMentioning(started.workDir)).toEqual([]);
  });

  it('sizes PostgreSQL for fleet runs and applies extra postgresSettings', async () => {
    const GiB = 2 ** 30;
    expect(defaultSettings(1 * GiB).shared_buffers).toBe('256MB');
    expect(defaultSettings(4 * GiB).shared_buffers).toBe('512MB');
    expect(defaultSettings(24 * GiB).shared_buffers).toBe('2048MB');
    expect(defaultSettings(64 * GiB).shared_buffers).toBe('2048MB');

    await using env = await new EmbeddedEnvironment({ postgresSettings: { work_mem: '7MB' } }).start();
    const show = async (name: string) => (await query<Record<string, string>>(env.databaseUrl, `SHOW ${name}`))[0]?.[name];
    expect(await show('shared_buffers')).toBe(defaultSettings().shared_buffers.replace(/^(\d+)MB$/, (_, mb: string) => (Number(mb) % 1024 === 0 ? `${Number(mb) / 1024}GB` : `${mb}MB`)));
    expect(await show('max_wal_size')).toBe('8GB');
    expect(await show('fsync')).toBe('off');
    expect(await show('work_mem')).toBe('7MB');
  });

  it.each([
    [{ 'work mem': '7MB' }, '"work mem" is not a PostgreSQL setting name'],
    [{ work_mem: '' }, 'postgresSettings.work_mem must be a non-empty one-line string, got ""'],
    [{ work_mem: '1MB\n-c fsync=on' }, 'postgresSettings.work_mem must be a non-empty one-line string'],
  ])('refuses postgresSettings %j before starting anything', (postgresSettings, message) => {
    let error: (Error & { code?: string }) | undefined;
    try {
      new EmbeddedEnvironment({ postgresSettings });
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error?.code).toBe('FLEETBED_ENV_BAD_CONFIG');
    expect(error?.message).toContain(message);
    expect(error?.message).toContain('Nothing was started.');
  });
});
