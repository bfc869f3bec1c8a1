import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../reference-api/src/app.ts';
import { createTestDatabase, type TestDatabase } from './databases.ts';

export const TEST_FACTORY_SECRET = 'test-factory-secret-0123456789';

export interface TestApi extends AsyncDisposable {
  app: FastifyInstance;
  db: TestDatabase;
  close(): Promise<void>;
}

/**
 * The reference API in-process (tests use app.inject()) over a fresh database
 * on the given PostgreSQL server, in test mode.
 */
export async function startTestApi(serverUrl: string, overrides: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {}): Promise<TestApi> {
  const db = await createTestDatabase(serverUrl);
  const app = await buildApp({
    databaseUrl: db.url,
    testMode: true,
    factorySecret: TEST_FACTORY_SECRET,
    passwordHashCost: 1024,
    logLevel: 'silent',
    ...overrides,
  });
  await app.ready();
  const close = async () => {
    await app.close();
    await db.drop();
  };
  return { app, db, close, [Symbol.asyncDispose]: close };
}
