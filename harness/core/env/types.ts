import type { PgFaultProxy } from '../faults/pg-fault-proxy.ts';

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
  /** SIGKILL the API (every process of it) and start it again; resolves when ready. */
  killApi?(): Promise<void>;
  /** Crash PostgreSQL (immediate shutdown, or SIGKILL of every process) and start it again: crash recovery. */
  crashDatabase?(mode: 'immediate' | 'sigkill'): Promise<void>;
  /** Route the API's database connections through a PostgreSQL-protocol fault proxy (the API restarts once). */
  attachDatabaseProxy?(seed: string): Promise<PgFaultProxy>;
}

/** A configured, not yet started environment. */
export interface Environment {
  readonly kind: EnvironmentKind;
  start(): Promise<StartedEnvironment>;
}

/** Declares keys that an options type does not take: passing one is a compile error. */
type Forbid<K extends string> = { readonly [P in K]?: never };

/** Options every environment takes. */
export interface CommonEnvironmentOptions {
  /** Factory credential. Started APIs get a random one if absent; a `targetUrl` needs it. */
  factorySecret?: string;
  /** Deadline for the environment to become ready, in ms. */
  startupTimeoutMs?: number;
  /** Deadline for one process to exit on stop before it is killed, in ms. */
  stopTimeoutMs?: number;
  /** `FLEETBED_WORKERS` for an API the environment starts (`--workers`). */
  workers?: number;
  /** Extra environment variables for an API the environment starts. */
  apiEnv?: Record<string, string>;
  /** Print progress and PostgreSQL logs through `log`. Default false. */
  verbose?: boolean;
  /** Where verbose lines go. Default: process.stderr. */
  log?: (line: string) => void;
  /** Environment variables consulted (`DATABASE_URL`, `FLEETBED_FACTORY_SECRET`, `DOCKER_HOST`). Default process.env. */
  processEnv?: Record<string, string | undefined>;
}

/** Options of `EmbeddedEnvironment`: it starts its own PostgreSQL and API, so no URLs. */
export interface EmbeddedOptions extends CommonEnvironmentOptions, Forbid<'targetUrl' | 'databaseUrl' | 'testMode' | 'apiImage' | 'postgresImage'> {
  env?: 'embedded';
  /** API entry point run as `node --import tsx <apiEntry>`, relative to the repo root. */
  apiEntry?: string;
  /**
   * Extra PostgreSQL settings (`-c name=value`), after the defaults, e.g.
   * `{ shared_preload_libraries: 'pg_stat_statements' }` to see where the database's time goes.
   */
  postgresSettings?: Record<string, string>;
}

/** Options of `UrlEnvironment`: a platform or a database you run; fleetbed configures neither. */
export interface UrlOptions extends CommonEnvironmentOptions, Forbid<'postgresSettings' | 'apiImage' | 'postgresImage'> {
  env?: 'url';
  /** Base URL of a running platform (`--target-url`). */
  targetUrl?: string;
  /** PostgreSQL URL of the platform's database (`DATABASE_URL`). */
  databaseUrl?: string;
  /** With `targetUrl`: whether that platform runs in test mode. Default true. */
  testMode?: boolean;
  /** Without `targetUrl`: the entry point of the API started on `databaseUrl`, relative to the repo root. */
  apiEntry?: string;
}

/** Options of `ContainersEnvironment`: it starts its own PostgreSQL and API image, so no URLs or entry point. */
export interface ContainersOptions extends CommonEnvironmentOptions, Forbid<'targetUrl' | 'databaseUrl' | 'testMode' | 'apiEntry'> {
  env?: 'containers';
  /** Extra PostgreSQL settings (`-c name=value`), after the image's defaults. */
  postgresSettings?: Record<string, string>;
  /**
   * Run this image as the API (default: `FLEETBED_API_IMAGE`, else reference-api/Dockerfile built
   * on the public node image where a registry answers, else `fleetbed images build`'s image).
   */
  apiImage?: string;
  /**
   * Run this PostgreSQL image (default: `FLEETBED_POSTGRES_IMAGE`, else postgres:16-alpine where a
   * registry answers, else `fleetbed images build`'s image). It must take the public image's
   * POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB and `postgres -c …` command.
   */
  postgresImage?: string;
}

/**
 * Options of `resolveEnvironment`, discriminated by `env`. Without `env`, a `targetUrl` or
 * `databaseUrl` (or `DATABASE_URL`) selects `url`, otherwise `embedded`; `containers` is chosen
 * only by name. An option of another provider is a compile error; from untyped input (CLI
 * flags), `checkEnvironmentOptions` makes the same check at run time.
 */
export type EnvironmentOptions = EmbeddedOptions | UrlOptions | (ContainersOptions & { env: 'containers' });

/**
 * Environment options from untyped input (flags, JSON): any provider's fields, `env` any string.
 * `checkEnvironmentOptions` turns it into {@link EnvironmentOptions} or says which field is wrong.
 */
export interface LooseEnvironmentOptions extends CommonEnvironmentOptions {
  env?: string;
  targetUrl?: string;
  databaseUrl?: string;
  testMode?: boolean;
  apiEntry?: string;
  postgresSettings?: Record<string, string>;
  apiImage?: string;
  postgresImage?: string;
}
