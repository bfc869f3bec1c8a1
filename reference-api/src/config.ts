import { TEST_RELEASE_PUBLIC_KEY } from '../../contract/ota.ts';

/**
 * Reference API configuration. Defaults live in one frozen object; resolveConfig()
 * fills and validates them from an options object or the environment and throws
 * before anything starts, naming the bad setting and value.
 */
export interface ApiConfig {
  databaseUrl: string;
  host: string;
  port: number;
  /** Test mode mounts the /testbed hooks and uses the virtual clock. */
  testMode: boolean;
  factorySecret: string;
  /** HTTP worker processes (node:cluster). 1 means no cluster. */
  workers: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  bondChallengeTtlSeconds: number;
  /** scrypt cost parameter N (power of two). */
  passwordHashCost: number;
  /** Records older than this (device time vs. platform time) are rejected. */
  lateWindowSeconds: number;
  /** Records further in the future than this are rejected. */
  futureSkewSeconds: number;
  maxRecordsPerUpload: number;
  idempotencyKeyTtlSeconds: number;
  databasePoolSize: number;
  /**
   * Upload statements running at once per API process. Uploads that arrive
   * while this many run are stored together by the next one (group commit).
   */
  uploadStatementsInFlight: number;
  /**
   * Device public keys kept per API process (FLEETBED_KEY_CACHE_SIZE), as raw
   * bytes: ~100 bytes of heap each, so the default holds a 1,000,000-device
   * fleet in ~100 MB per worker. A key not cached costs a database read on the
   * request that needs it (see KeyCache).
   */
  keyCacheSize: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /**
   * Ed25519 public keys (base64url, 32 bytes) whose signatures make a firmware
   * release acceptable (FLEETBED_RELEASE_PUBLIC_KEYS, comma-separated).
   * Default: in test mode ONLY, the well-known TEST release key of
   * contract/ota.ts, which anyone can sign with; outside test mode, no key, so
   * every release is refused until production sets its own keys.
   */
  releasePublicKeys: string[];
  /** Outside test mode, run the OTA fleet-health monitor this often (0: never). In test mode it runs only through POST /testbed/jobs/ota-health-monitor. */
  otaMonitorIntervalSeconds: number;
  /**
   * Outside test mode, the legacy jobs (legacy-repair, then legacy-reconcile) run every night at this
   * hour, UTC (FLEETBED_LEGACY_NIGHTLY_HOUR_UTC; -1: never). In test mode they run only through
   * POST /testbed/jobs/{legacy-repair,legacy-reconcile}, on the virtual clock.
   */
  legacyNightlyHourUtc: number;
}

export const CONFIG_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  testMode: false,
  workers: 1,
  accessTokenTtlSeconds: 15 * 60,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  bondChallengeTtlSeconds: 120,
  passwordHashCost: 16384,
  lateWindowSeconds: 30 * 24 * 3600,
  futureSkewSeconds: 24 * 3600,
  maxRecordsPerUpload: 256,
  idempotencyKeyTtlSeconds: 7 * 24 * 3600,
  databasePoolSize: 10,
  uploadStatementsInFlight: 1,
  keyCacheSize: 1_000_000,
  logLevel: 'warn',
  otaMonitorIntervalSeconds: 300,
  legacyNightlyHourUtc: 2,
} satisfies Partial<ApiConfig>);

export class ConfigError extends Error {
  readonly code = 'FLEETBED_API_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The environment variable of each numeric setting, named in errors so the reader knows what to fix. */
const ENV_OF: Record<string, string> = {
  port: 'PORT',
  workers: 'FLEETBED_WORKERS',
  passwordHashCost: 'FLEETBED_PASSWORD_HASH_COST',
  lateWindowSeconds: 'FLEETBED_LATE_WINDOW_SECONDS',
  databasePoolSize: 'FLEETBED_DB_POOL_SIZE',
  uploadStatementsInFlight: 'FLEETBED_UPLOAD_STATEMENTS_IN_FLIGHT',
  keyCacheSize: 'FLEETBED_KEY_CACHE_SIZE',
  otaMonitorIntervalSeconds: 'FLEETBED_OTA_MONITOR_INTERVAL_SECONDS',
  legacyNightlyHourUtc: 'FLEETBED_LEGACY_NIGHTLY_HOUR_UTC',
};

/** An integer setting; text (from the environment) is parsed here, so that a bad value is echoed as written. */
function int(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value)) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const env = ENV_OF[name] ? ` (${ENV_OF[name]})` : '';
    throw new ConfigError(`${name}${env} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Options as a caller or the environment gives them: a numeric setting may still be text (parsed and checked here). */
export type ApiConfigInput = Partial<{ [K in keyof ApiConfig]: ApiConfig[K] extends number ? number | string : ApiConfig[K] }>;

/** Fill defaults into `options` and validate. */
export function resolveConfig(options: ApiConfigInput): ApiConfig {
  const o = { ...CONFIG_DEFAULTS, ...stripUndefined(options) };
  if (!o.databaseUrl) throw new ConfigError('databaseUrl (DATABASE_URL) is required, e.g. postgres://user@127.0.0.1:5432/db');
  if (!/^postgres(ql)?:\/\//.test(o.databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got ${JSON.stringify(o.databaseUrl)}`);
  }
  if (!o.factorySecret || o.factorySecret.length < 16) {
    throw new ConfigError('factorySecret (FLEETBED_FACTORY_SECRET) is required and must be at least 16 characters');
  }
  const cost = int('passwordHashCost', o.passwordHashCost, 2, 1 << 20);
  if ((cost & (cost - 1)) !== 0) throw new ConfigError(`passwordHashCost must be a power of two, got ${cost}`);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'];
  if (!levels.includes(o.logLevel)) throw new ConfigError(`logLevel must be one of ${levels.join(', ')}, got ${JSON.stringify(o.logLevel)}`);
  return {
    databaseUrl: o.databaseUrl,
    host: o.host,
    port: int('port', o.port, 0, 65535),
    testMode: Boolean(o.testMode),
    factorySecret: o.factorySecret,
    workers: int('workers', o.workers, 1, 64),
    accessTokenTtlSeconds: int('accessTokenTtlSeconds', o.accessTokenTtlSeconds, 1),
    refreshTokenTtlSeconds: int('refreshTokenTtlSeconds', o.refreshTokenTtlSeconds, 1),
    bondChallengeTtlSeconds: int('bondChallengeTtlSeconds', o.bondChallengeTtlSeconds, 1),
    passwordHashCost: cost,
    lateWindowSeconds: int('lateWindowSeconds', o.lateWindowSeconds, 0),
    futureSkewSeconds: int('futureSkewSeconds', o.futureSkewSeconds, 0),
    maxRecordsPerUpload: int('maxRecordsPerUpload', o.maxRecordsPerUpload, 1, 10_000),
    idempotencyKeyTtlSeconds: int('idempotencyKeyTtlSeconds', o.idempotencyKeyTtlSeconds, 1),
    databasePoolSize: int('databasePoolSize', o.databasePoolSize, 1, 1000),
    uploadStatementsInFlight: int('uploadStatementsInFlight', o.uploadStatementsInFlight, 1, 1000),
    keyCacheSize: int('keyCacheSize', o.keyCacheSize, 1, 100_000_000),
    logLevel: o.logLevel,
    releasePublicKeys: releaseKeys(o.releasePublicKeys ?? (o.testMode ? [TEST_RELEASE_PUBLIC_KEY] : [])),
    otaMonitorIntervalSeconds: int('otaMonitorIntervalSeconds', o.otaMonitorIntervalSeconds, 0, 7 * 24 * 3600),
    legacyNightlyHourUtc: int('legacyNightlyHourUtc', o.legacyNightlyHourUtc, -1, 23),
  };
}

function releaseKeys(keys: unknown): string[] {
  if (!Array.isArray(keys)) throw new ConfigError(`releasePublicKeys (FLEETBED_RELEASE_PUBLIC_KEYS) must be a list of base64url keys, got ${JSON.stringify(keys)}`);
  for (const k of keys) {
    if (typeof k !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(k) || Buffer.from(k, 'base64url').toString('base64url') !== k) {
      throw new ConfigError(`FLEETBED_RELEASE_PUBLIC_KEYS must be comma-separated Ed25519 public keys, each 32 bytes in base64url without padding (43 characters); got ${JSON.stringify(k)}`);
    }
  }
  return [...new Set(keys as string[])];
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Read the configuration from environment variables (see docs/reference-api.md). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const testMode = env.FLEETBED_TEST_MODE === '1' || env.FLEETBED_TEST_MODE === 'true';
  return resolveConfig({
    databaseUrl: env.DATABASE_URL,
    host: env.HOST,
    port: env.PORT,
    testMode,
    factorySecret: env.FLEETBED_FACTORY_SECRET,
    workers: env.FLEETBED_WORKERS,
    passwordHashCost: env.FLEETBED_PASSWORD_HASH_COST ?? (testMode ? 1024 : undefined),
    lateWindowSeconds: env.FLEETBED_LATE_WINDOW_SECONDS,
    databasePoolSize: env.FLEETBED_DB_POOL_SIZE,
    uploadStatementsInFlight: env.FLEETBED_UPLOAD_STATEMENTS_IN_FLIGHT,
    keyCacheSize: env.FLEETBED_KEY_CACHE_SIZE,
    logLevel: env.FLEETBED_LOG_LEVEL as ApiConfig['logLevel'] | undefined,
    releasePublicKeys: env.FLEETBED_RELEASE_PUBLIC_KEYS === undefined ? undefined : env.FLEETBED_RELEASE_PUBLIC_KEYS.split(',').map((k) => k.trim()).filter(Boolean),
    otaMonitorIntervalSeconds: env.FLEETBED_OTA_MONITOR_INTERVAL_SECONDS,
    legacyNightlyHourUtc: env.FLEETBED_LEGACY_NIGHTLY_HOUR_UTC,
  });
}
