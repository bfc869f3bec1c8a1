import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../reference-api/src/app.ts';
import { loadMigrations, migrate } from '../../reference-api/src/db/migrate.ts';
import { TEST_FACTORY_SECRET } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { describeEachDatabase, json, passwordGrant, newSignUp, withClient } from '../support/fixtures.ts';

const appOptions = (databaseUrl: string) => ({ databaseUrl, testMode: true, factorySecret: TEST_FACTORY_SECRET, passwordHashCost: 1024, logLevel: 'silent' as const });

describeEachDatabase('migrations', (serverUrl) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function freshDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase(serverUrl);
    cleanups.push(() => db.drop());
    return db;
  }

  async function app(databaseUrl: string): Promise<FastifyInstance> {
    const built = await buildApp(appOptions(databaseUrl));
    cleanups.push(() => built.close());
    await built.ready();
    return built;
  }

  const schemaState = (url: string) =>
    withClient(url, async (c) => ({
      migrations: (await c.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).rows,
      tables: (await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).rows.map((r) => r.table_name),
    }));

  it('applies every migration once; a second run applies nothing and leaves schema_migrations unchanged', async () => {
    const db = await freshDatabase();
    const all = (await loadMigrations()).map((m) => m.version);
    expect(all.length).toBeGreaterThan(0);

    expect(await withClient(db.url, (c) => migrate(c))).toEqual(all);
    const afterFirst = await schemaState(db.url);
    expect(afterFirst.migrations.map((m) => m.version)).toEqual(all);

    expect(await withClient(db.url, (c) => migrate(c))).toEqual([]);
    expect(await schemaState(db.url)).toEqual(afterFirst);
  });

  it('two apps built one after the other on one database both serve it', async () => {
    const db = await freshDatabase();
    const first = await app(db.url);
    const second = await app(db.url);
    const signUp = newSignUp();
    expect((await first.inject({ method: 'POST', url: '/v2/accounts', payload: signUp })).statusCode).toBe(201);
    const tokens = await passwordGrant(second, signUp.email, signUp.password);
    expect((await first.inject({ method: 'GET', url: '/v2/devices', headers: { authorization: `Bearer ${tokens.access_token}` } })).statusCode).toBe(200);
    expect((await schemaState(db.url)).migrations).toHaveLength((await loadMigrations()).length);
  });

  it('two apps starting at once on an empty database apply each migration exactly once', async () => {
    const db = await freshDatabase();
    const [a, b] = await Promise.all([app(db.url), app(db.url)]);
    for (const built of [a, b]) {
      const res = await built.inject({ method: 'GET', url: '/readyz' });
      expect(json(res)).toEqual({ status: 'ok' });
    }
    expect((await schemaState(db.url)).migrations.map((m) => m.version)).toEqual((await loadMigrations()).map((m) => m.version));
  });
});
