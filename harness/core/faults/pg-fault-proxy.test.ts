import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.ts';
import { startPgFaultProxy, type PgFaultProxy } from './pg-fault-proxy.ts';

// The PostgreSQL-protocol fault proxy against a real (embedded) PostgreSQL: statements pass
// through unchanged, and each fault does what it says — the lost reply's write is committed,
// the reset statement's is not.
describe('pg fault proxy', () => {
  let db: TestDatabase;
  let proxy: PgFaultProxy;
  let direct: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase(inject('embeddedPgUrl'));
    const u = new URL(db.url);
    proxy = await startPgFaultProxy({ targetHost: u.hostname, targetPort: Number(u.port), seed: '7' });
    direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
    await direct.query('CREATE TABLE t (k int PRIMARY KEY, v text)');
  });
  afterAll(async () => {
    await direct?.end();
    await proxy?.close();
    await db?.drop();
  });

  const viaProxy = async () => {
    const c = new pg.Client({ connectionString: proxy.urlFor(db.url) });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const count = async (k: number) => (await direct.query('SELECT count(*)::int AS n FROM t WHERE k = $1', [k])).rows[0].n as number;

  it('passes statements, parameters, transactions and COPY through unchanged', async () => {
    const c = await viaProxy();
    try {
      await c.query('INSERT INTO t VALUES ($1, $2)', [1, 'ünï']);
      expect((await c.query('SELECT v FROM t WHERE k = 1')).rows).toEqual([{ v: 'ünï' }]);
      await c.query('BEGIN');
      await c.query('INSERT INTO t VALUES (2, $1)', ['x']);
      await c.query('ROLLBACK');
      expect(await count(2)).toBe(0);
      await c.query({ name: 'ins', text: 'INSERT INTO t VALUES ($1, $2)', values: [3, 'a'] });
      await c.query({ name: 'ins', text: 'INSERT INTO t VALUES ($1, $2)', values: [4, 'b'] });
      expect(await count(4)).toBe(1);
    } finally {
      await c.end();
    }
    expect(proxy.stats.statements).toBeGreaterThanOrEqual(6);
  });

  it('replyLost: the write commits, the client sees the connection drop', async () => {
    proxy.setFaults({ replyLost: { probability: 1, count: 1, id: 'r' } });
    const c = await viaProxy();
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]); // a read is not eligible
    await expect(c.query('INSERT INTO t VALUES (10, $1)', ['lost reply'])).rejects.toThrow();
    expect(await count(10)).toBe(1);
    expect(proxy.stats.repliesLost).toBe(1);
    // Its budget is spent: the next connection's writes answer.
    const c2 = await viaProxy();
    await c2.query('INSERT INTO t VALUES (11, $1)', ['answered']);
    await c2.end();
    proxy.clearFaults();
  });

  it('connectionReset: the statement never reaches the server; inside a transaction, it is rolled back', async () => {
    const c = await viaProxy();
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (20, $1)', ['in tx']);
    proxy.setFaults({ connectionReset: { probability: 1, count: 1, id: 'c' } });
    await expect(c.query('COMMIT')).rejects.toThrow();
    proxy.clearFaults();
    // The backend notices the lost client and rolls back.
    await new Promise((r) => setTimeout(r, 200));
    expect(await count(20)).toBe(0);
    expect(proxy.stats.resets).toBe(1);
  });

  it('latency delays statements by the rule', async () => {
    proxy.setFaults({ latency: { ms: 150, probability: 1 } });
    const c = await viaProxy();
    const t0 = performance.now();
    await c.query('SELECT 1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    proxy.clearFaults();
    await c.end();
  });
});
