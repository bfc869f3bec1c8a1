import pg from 'pg';

// bigint columns (device ids, counters) come back as JS numbers: every bigint we
// store is < 2^53 (enforced by CHECK constraints), so this is lossless.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the API.
  pool.on('error', () => {});
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
