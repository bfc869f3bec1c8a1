import { describe, expect, it } from 'vitest';
import { resolveEnvironment } from './resolve-environment.ts';

describe('resolveEnvironment', () => {
  it('defaults to embedded', () => {
    expect(resolveEnvironment({ processEnv: {} }).kind).toBe('embedded');
  });

  it('picks url when DATABASE_URL or a target URL is set', () => {
    expect(resolveEnvironment({ processEnv: { DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' } }).kind).toBe('url');
    expect(resolveEnvironment({ targetUrl: 'http://127.0.0.1:8080', factorySecret: 'x'.repeat(16), processEnv: {} }).kind).toBe('url');
  });

  it('lets an explicit env win over DATABASE_URL in the environment', () => {
    const processEnv = { DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' };
    expect(resolveEnvironment({ env: 'embedded', processEnv }).kind).toBe('embedded');
    expect(resolveEnvironment({ env: 'containers', processEnv }).kind).toBe('containers');
  });

  it('rejects an unknown env, listing the valid ones', () => {
    // @ts-expect-error -- `env` names a provider
    expect(() => resolveEnvironment({ env: 'docker' })).toThrow(
      expect.objectContaining({
        code: 'FLEETBED_ENV_BAD_CONFIG',
        message: expect.stringContaining('Unknown environment "docker": expected one of embedded, url, containers'),
      }),
    );
  });

  it('rejects options that contradict the chosen env, naming the fix', () => {
    // @ts-expect-error -- targetUrl is an option of the url environment only
    expect(() => resolveEnvironment({ env: 'embedded', targetUrl: 'http://127.0.0.1:8080' })).toThrow(/Use --env url/);
    expect(() => resolveEnvironment({ env: 'embedded', startupTimeoutMs: -1 })).toThrow(/startupTimeoutMs must be a positive number of ms, got -1/);
  });
});
