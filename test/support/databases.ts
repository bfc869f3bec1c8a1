import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface DatabaseTarget {
  /** "embedded" or "url (machine PostgreSQL)". */
  name: string;
  serverUrl: string | null;
  skipReason: string;
}

/** The PostgreSQL servers API tests run against: the embedded one, and the machine's when reachable. */
export function databaseTargets(): DatabaseTarget[] {
  return [
    { name: 'embedded', serverUrl: inject('embeddedPgUrl'), skipReason: '' },
    { name: 'url (machine PostgreSQL)', serverUrl: inject('localPgUrl'), skipReason: inject('localPgSkipReason') },
  ];
}

export interface TestDatabase extends AsyncDisposable {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on `serverUrl`, dropped on dispose. */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `fleetbed_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
  return { url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}

/**
 * A pool of a test's own on a test database. pg-pool's end() resolves once it
 * has asked its clients to close, not once they have: a DROP DATABASE … WITH
 * (FORCE) right after can still reach a closing connection, whose "terminating
 * connection due to administrator command" the pool re-emits as 'error' — an
 * uncaught exception without a listener (seen once in a fresh-clone run of
 * upload-groups.test.ts). Errors of idle clients are not what these tests
 * check; queries still reject as usual.
 */
export function testPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  return pool;
}
