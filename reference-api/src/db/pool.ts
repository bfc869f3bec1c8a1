import pg from 'pg';

// bigint columns (device ids, counters) come back as JS numbers: every bigint we
// store is < 2^53 (enforced by CHECK constraints), so this is lossless.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
const INT8_ARRAY = 1016 as Parameters<typeof pg.types.getTypeParser>[0];
const parseInt8Array = pg.types.getTypeParser(INT8_ARRAY) as (v: string) => (string | null)[];
pg.types.setTypeParser(INT8_ARRAY, (v) => parseInt8Array(v).map((x) => (x === null ? null : Number(x))));

export function createPool(databaseUrl: string, max: number): pg.Pool {
  // Generic plans for every prepared statement: the upload statement is a large CTE whose
  // re-planning per execution cost more PostgreSQL CPU than its inserts (measured by bench:ingest).
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000, options: '-c plan_cache_mode=force_generic_plan' });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the API.
  pool.on('error', () => {});
  // Nor may a checked-out one: pg-pool listens for errors only while a client is idle, so a
  // connection dropped between two statements of a transaction (or after a failed query,
  // before release) emitted an unhandled 'error' and killed the process. The statement in
  // flight still fails with the error; the pool discards the broken client on release.
  // Found by the database fault proxy (db-connection-reset, issue #18).
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Run `fn` in a transaction on one pooled client. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
