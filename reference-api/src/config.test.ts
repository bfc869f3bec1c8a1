import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, configFromEnv } from './config.ts';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1/db', FLEETBED_FACTORY_SECRET: 'x'.repeat(32) };

describe('keyCacheSize (FLEETBED_KEY_CACHE_SIZE)', () => {
  it('defaults to 200,000 keys and reads the environment', () => {
    expect(configFromEnv(base).keyCacheSize).toBe(CONFIG_DEFAULTS.keyCacheSize);
    expect(CONFIG_DEFAULTS.keyCacheSize).toBe(200_000);
    expect(configFromEnv({ ...base, FLEETBED_KEY_CACHE_SIZE: '1000000' }).keyCacheSize).toBe(1_000_000);
  });

  it.each(['0', '-5', '1.5', 'lots'])('refuses FLEETBED_KEY_CACHE_SIZE=%j, naming the setting', (value) => {
    expect(() => configFromEnv({ ...base, FLEETBED_KEY_CACHE_SIZE: value })).toThrow(/^keyCacheSize must be an integer in \[1, 100000000\], got /);
  });
});
