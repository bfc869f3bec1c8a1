import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, configFromEnv } from './config.ts';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1/db', FLEETBED_FACTORY_SECRET: 'x'.repeat(32) };

describe('keyCacheSize (FLEETBED_KEY_CACHE_SIZE)', () => {
  it('defaults to 1,000,000 keys and reads the environment', () => {
    expect(configFromEnv(base).keyCacheSize).toBe(CONFIG_DEFAULTS.keyCacheSize);
    expect(CONFIG_DEFAULTS.keyCacheSize).toBe(1_000_000);
    expect(configFromEnv({ ...base, FLEETBED_KEY_CACHE_SIZE: '50000' }).keyCacheSize).toBe(50_000);
  });

  it.each(['0', '-5', '1.5', 'lots'])('refuses FLEETBED_KEY_CACHE_SIZE=%j, naming the setting', (value) => {
    expect(() => configFromEnv({ ...base, FLEETBED_KEY_CACHE_SIZE: value })).toThrow(`keyCacheSize (FLEETBED_KEY_CACHE_SIZE) must be an integer in [1, 100000000], got ${JSON.stringify(value)}`);
  });
});

describe('numeric settings from the environment', () => {
  it.each([
    ['FLEETBED_DB_POOL_SIZE', 'databasePoolSize', 'sixteen'],
    ['PORT', 'port', ''],
    ['FLEETBED_WORKERS', 'workers', '2 workers'],
    ['FLEETBED_PASSWORD_HASH_COST', 'passwordHashCost', '1e400'],
  ])('%s=%j is refused, the setting and the text as written named', (variable, name, value) => {
    expect(() => configFromEnv({ ...base, [variable]: value })).toThrow(new RegExp(`^${name} \\(${variable}\\) must be an integer in \\[\\d+, \\d+\\], got ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}$`));
  });

  it('parses text the same as numbers given in code', () => {
    const c = configFromEnv({ ...base, PORT: '8080', FLEETBED_WORKERS: ' 3 ', FLEETBED_DB_POOL_SIZE: '32' });
    expect([c.port, c.workers, c.databasePoolSize]).toEqual([8080, 3, 32]);
  });
});
