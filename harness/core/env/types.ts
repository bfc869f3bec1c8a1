/** The environment providers. */
export type EnvironmentKind = 'embedded' | 'url' | 'containers';

/**
 * A running environment: a platform API the harness reaches over HTTP, and (when the harness
 * owns or was given it) its PostgreSQL. Dispose it with `await using env = await x.start()`
 * or call {@link StartedEnvironment.stop}.
 */
export interface StartedEnvironment extends AsyncDisposable {
  readonly kind: EnvironmentKind;
  /** Base URL of the platform API, without a trailing slash (e.g. `http://127.0.0.1:40123`). */
  readonly apiUrl: string;
  /** PostgreSQL URL of the platform's database, when known; absent for a bare `--target-url`. */
  readonly databaseUrl?: string;
  /** The factory credential the platform was started with (device provisioning needs it). */
  readonly factorySecret: string;
  /** Whether the platform runs in test mode (testbed hooks mounted). */
  readonly testMode: boolean;
  /** Stop everything this environment started and remove its files. Idempotent. */
  stop(): Promise<void>;
  /** Kill the API and start it again against the same database; resolves when ready again. */
  restartApi?(): Promise<void>;
  /** Stop PostgreSQL and start it again on the same port and data; the data persists. */
  restartDatabase?(): Promise<void>;
}

/** A configured, not yet started environment. */
export interface Environment {
  readonly kind: EnvironmentKind;
  start(): Promise<StartedEnvironment>;
}

/** Options of every environment; each provider reads the fields its TSDoc names. */
export interface EnvironmentOptions {
  /** Provider name (`resolveEnvironment` only): `embedded`, `url` or `containers`. */
  env?: string;
  /** url: base URL of a running platform (`--target-url`). */
  targetUrl?: string;
  /** url: PostgreSQL URL of the platform's database (`DATABASE_URL`). */
  databaseUrl?: string;
  /** Factory credential. Started APIs get a random one if absent; a `targetUrl` needs it. */
  factorySecret?: string;
  /** url with targetUrl: whether that platform runs in test mode. Default true. */
  testMode?: boolean;
  /** Deadline for the environment to become ready, in ms. */
  startupTimeoutMs?: number;
  /** Deadline for one process to exit on stop before it is killed, in ms. */
  stopTimeoutMs?: number;
  /** embedded, url: API entry point run as `node --import tsx <apiEntry>`, relative to the repo root. */
  apiEntry?: string;
  /** embedded, url: `FLEETBED_WORKERS` for the started API. */
  workers?: number;
  /** embedded, url: extra environment variables for the started API. */
  apiEnv?: Record<string, string>;
  /**
   * embedded, containers: extra PostgreSQL settings (`-c name=value`), after the defaults, e.g.
   * `{ shared_preload_libraries: 'pg_stat_statements' }` to see where the database's time goes.
   * The url environment refuses them: its PostgreSQL is yours to configure.
   */
  postgresSettings?: Record<string, string>;
  /** containers: run this image as the API instead of building reference-api/Dockerfile. */
  apiImage?: string;
  /** Print progress and PostgreSQL logs through `log`. Default false. */
  verbose?: boolean;
  /** Where verbose lines go. Default: process.stderr. */
  log?: (line: string) => void;
  /** Environment variables consulted (`DATABASE_URL`, `FLEETBED_FACTORY_SECRET`). Default process.env. */
  processEnv?: Record<string, string | undefined>;
}
