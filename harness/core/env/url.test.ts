import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/databases.ts';
import { getFreePort } from './free-port.ts';
import { UrlEnvironment } from './url.ts';

type CodedError = Error & { code?: string };
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: CodedError) => error,
  );
const thrown = (fn: () => unknown): CodedError | undefined => {
  try {
    fn();
  } catch (error) {
    return error as CodedError;
  }
  return undefined;
};

describe('UrlEnvironment validation (before anything starts)', () => {
  it('needs a target URL or a database URL', () => {
    const error = thrown(() => new UrlEnvironment({ processEnv: {} }));
    expect(error?.code).toBe('FLEETBED_ENV_BAD_CONFIG');
    expect(error?.message).toContain('--target-url <API base URL> and/or DATABASE_URL=<postgres URL>');
  });

  it.each([
    ['not a url', 'must be an absolute http(s) URL'],
    ['ftp://example.com', 'must use http: or https:, got "ftp:"'],
    ['http://example.com/?x=1', 'without ?query'],
  ])('rejects targetUrl %j', (targetUrl, expected) => {
    const error = thrown(() => new UrlEnvironment({ targetUrl, factorySecret: 'x'.repeat(16), processEnv: {} }));
    expect(error?.code).toBe('FLEETBED_ENV_BAD_CONFIG');
    expect(error?.message).toContain('targetUrl (--target-url)');
    expect(error?.message).toContain(expected);
  });

  it('rejects a non-PostgreSQL DATABASE_URL without printing its password', () => {
    const error = thrown(() => new UrlEnvironment({ processEnv: { DATABASE_URL: 'mysql://root:hunter2@db:3306/app' } }));
    expect(error?.code).toBe('FLEETBED_ENV_BAD_CONFIG');
    expect(error?.message).toContain('must start with postgres:// or postgresql://');
    expect(error?.message).toContain('root:***@db');
    expect(error?.message).not.toContain('hunter2');
  });

  it('rejects a DATABASE_URL without a database name', () => {
    const error = thrown(() => new UrlEnvironment({ databaseUrl: 'postgres://root@127.0.0.1:5432' }));
    expect(error?.message).toContain('must name a host and a database');
  });

  it('refuses postgresSettings: the PostgreSQL of a url environment is not ours to configure', () => {
    // @ts-expect-error -- UrlOptions has no postgresSettings; JavaScript callers get the run-time check
    const error = thrown(() => new UrlEnvironment({ databaseUrl: 'postgres://root@127.0.0.1:5432/test', postgresSettings: { work_mem: '64MB' } }));
    expect(error?.code).toBe('FLEETBED_ENV_BAD_CONFIG');
    expect(error?.message).toContain('postgresSettings (work_mem) configure a PostgreSQL that fleetbed starts');
  });

  it('needs the factory secret of a platform given by URL', () => {
    const error = thrown(() => new UrlEnvironment({ targetUrl: 'http://127.0.0.1:8080', processEnv: {} }));
    expect(error?.code).toBe('FLEETBED_ENV_BAD_CONFIG');
    expect(error?.message).toContain('FLEETBED_FACTORY_SECRET');
  });

  it('times out on a target that does not answer, naming /readyz and the elapsed ms', async () => {
    const port = await getFreePort();
    const env = new UrlEnvironment({ targetUrl: `http://127.0.0.1:${port}/`, factorySecret: 'x'.repeat(16), startupTimeoutMs: 300 });
    const error = await rejection(env.start());
    expect(error?.code).toBe('FLEETBED_ENV_TIMEOUT');
    expect(error?.message).toMatch(new RegExp(`Timed out after \\d+ ms waiting for GET http://127.0.0.1:${port}/readyz`));
    expect(error?.message).toContain('Is the platform running');
  });
});

describe('UrlEnvironment against the machine PostgreSQL', () => {
  const serverUrl = inject('localPgUrl');
  if (!serverUrl) console.log(`[url env] skipped: ${inject('localPgSkipReason')}`);

  it.skipIf(!serverUrl)('with only DATABASE_URL, starts the reference API on that database', async () => {
    await using database = await createTestDatabase(serverUrl as string);
    const env = await new UrlEnvironment({ processEnv: { DATABASE_URL: database.url } }).start();
    try {
      expect(env.kind).toBe('url');
      expect(env.databaseUrl).toBe(database.url);
      expect(env.testMode).toBe(true);
      expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);

      await env.restartApi?.();
      expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);

      // A second environment given that API by URL starts nothing and reports what it was given.
      await using byUrl = await new UrlEnvironment({ targetUrl: env.apiUrl, factorySecret: env.factorySecret }).start();
      expect(byUrl.apiUrl).toBe(env.apiUrl);
      expect(byUrl.restartApi).toBeUndefined();
    } finally {
      await env.stop();
    }
    await expect(fetch(`${env.apiUrl}/healthz`)).rejects.toThrow();
  });

  it.skipIf(!serverUrl)('fails at once on a database that does not exist', async () => {
    const url = new URL(serverUrl as string);
    url.pathname = '/fleetbed_no_such_database';
    const started = performance.now();
    const error = await rejection(new UrlEnvironment({ databaseUrl: url.href }).start());
    expect(error?.code).toBe('FLEETBED_ENV_START_FAILED');
    expect(error?.message).toContain('SQLSTATE 3D000');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
