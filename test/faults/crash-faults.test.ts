import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EmbeddedEnvironment } from '../../harness/core/env/embedded.ts';

// The crash faults through a real embedded environment: the API dies by SIGKILL and comes
// back on a new process; PostgreSQL dies by SIGKILL of every process and comes back through
// crash recovery with what it had committed; the database proxy sits between them.
describe('crash faults (embedded environment)', () => {
  it('kill-api, kill-postgres (immediate and sigkill) and the database proxy', async () => {
    const env = await new EmbeddedEnvironment({ apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' } }).start();
    try {
      const db = new pg.Client({ connectionString: env.databaseUrl });
      await db.connect();
      await db.query('CREATE TABLE crash_probe (k int PRIMARY KEY)');
      await db.query('INSERT INTO crash_probe SELECT generate_series(1, 1000)');
      await db.end();

      const apiPid = env.pids.api;
      await env.killApi();
      expect(env.pids.api).toBeDefined();
      expect(env.pids.api).not.toBe(apiPid);
      expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);

      for (const mode of ['immediate', 'sigkill'] as const) {
        const pgPid = env.pids.postgres;
        await env.crashDatabase(mode);
        expect(env.pids.postgres, mode).not.toBe(pgPid);
        const c = new pg.Client({ connectionString: env.databaseUrl });
        await c.connect();
        expect((await c.query('SELECT count(*)::int AS n FROM crash_probe')).rows[0].n, mode).toBe(1000);
        await c.end();
      }

      const proxy = await env.attachDatabaseProxy('1');
      expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);
      expect(proxy.stats.connections).toBeGreaterThan(0);
      proxy.setFaults({ connectionReset: { probability: 1, count: 1, id: 'once' } });
      const refused = await fetch(`${env.apiUrl}/v2/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'crash@example.test', password: 'correct horse battery', displayName: 'C' }) });
      expect(refused.status).toBe(503);
      const again = await fetch(`${env.apiUrl}/v2/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'crash@example.test', password: 'correct horse battery', displayName: 'C' }) });
      expect(again.status).toBe(201);
      expect(proxy.stats.resets).toBe(1);
    } finally {
      await env.stop();
    }
  }, 60_000);
});
