import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ApiProcess } from './_internals/api-process.ts';
import { EnvironmentError } from './errors.ts';
import { getFreePort } from './free-port.ts';
import { ENV_DEFAULTS, redactUrl, resolveOptions, type ResolvedOptions } from './options.ts';
import { Reaper } from './_internals/reaper.ts';
import type { Environment, StartedEnvironment, UrlOptions } from './types.ts';
import { describeError, waitFor, waitForHttp } from './wait.ts';

/** PostgreSQL error classes that retrying cannot fix: bad credentials, missing database. */
const PERMANENT_PG_ERRORS = /^(28|3D)/;

/**
 * Use a platform that is already running.
 *
 * - `targetUrl` (`--target-url`): the API under test; nothing is started. Needs the platform's
 *   factory secret (`factorySecret` or `FLEETBED_FACTORY_SECRET`). `databaseUrl`, if also given,
 *   is checked and reported, never written to by the environment.
 * - only `databaseUrl` (`DATABASE_URL`): starts the reference API as a child process against
 *   that database (test mode, random factory secret, free port), exactly as the embedded
 *   environment does; the API applies its migrations to that database.
 *
 * Both URLs are validated before anything happens; start() waits for `/readyz` (and for the
 * database to answer `SELECT 1`) up to `startupTimeoutMs`.
 */
export class UrlEnvironment implements Environment {
  readonly kind = 'url';
  private readonly options: ResolvedOptions;

  constructor(options: UrlOptions = {}) {
    const processEnv = options.processEnv ?? process.env;
    this.options = resolveOptions('url', {
      ...options,
      databaseUrl: options.databaseUrl ?? (processEnv.DATABASE_URL || undefined),
      factorySecret: options.factorySecret ?? (processEnv.FLEETBED_FACTORY_SECRET || undefined),
    });
    const o = this.options;
    if (o.targetUrl === undefined && o.databaseUrl === undefined) {
      throw new EnvironmentError(
        'FLEETBED_ENV_BAD_CONFIG',
        'The url environment needs --target-url <API base URL> and/or DATABASE_URL=<postgres URL>; neither was given. ' +
          'Run without --env to use the embedded environment instead. Nothing was started.',
      );
    }
    if (o.targetUrl !== undefined && o.factorySecret === undefined) {
      throw new EnvironmentError(
        'FLEETBED_ENV_BAD_CONFIG',
        `--target-url ${o.targetUrl} was given without the platform's factory secret, which device provisioning needs. ` +
          'Set FLEETBED_FACTORY_SECRET (or the factorySecret option) to the secret that platform was started with. Nothing was started.',
      );
    }
  }

  async start(): Promise<StartedUrlEnvironment> {
    const o = this.options;
    const started = performance.now();
    const remaining = () => Math.max(1, o.startupTimeoutMs - (performance.now() - started));
    if (o.databaseUrl !== undefined) await checkDatabase(o.databaseUrl, remaining());
    if (o.targetUrl !== undefined) {
      await waitForHttp(`${o.targetUrl}/readyz`, {
        timeoutMs: remaining(),
        intervalMs: 100,
        hint: `Is the platform running at ${o.targetUrl} (--target-url)? It must answer GET /readyz with 200.`,
      });
      return new StartedUrlEnvironment(o.targetUrl, o.databaseUrl, o.factorySecret as string, o.testMode);
    }
    return startApiOnDatabase(o, o.databaseUrl as string, remaining());
  }
}

/** A running {@link UrlEnvironment}. `restartApi` exists only when the environment started the API. */
export class StartedUrlEnvironment implements StartedEnvironment {
  readonly kind = 'url';
  restartApi?: () => Promise<void>;

  /** @internal */
  constructor(
    readonly apiUrl: string,
    readonly databaseUrl: string | undefined,
    readonly factorySecret: string,
    readonly testMode: boolean,
    private readonly onStop: () => Promise<void> = async () => undefined,
  ) {}

  private stopping: Promise<void> | undefined;

  /** Stop the API if this environment started it (never touches the database). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.onStop();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

async function startApiOnDatabase(o: ResolvedOptions, databaseUrl: string, timeoutMs: number): Promise<StartedUrlEnvironment> {
  const logDir = await mkdtemp(join(tmpdir(), 'fleetbed-api-'));
  const [reaper, port] = await Promise.all([Reaper.spawn(), getFreePort()]).catch(async (error: unknown) => {
    await rm(logDir, { recursive: true, force: true });
    throw error;
  });
  const factorySecret = o.factorySecret ?? randomBytes(32).toString('hex');
  const api: ApiProcess = new ApiProcess({
    databaseUrl,
    port,
    factorySecret,
    logFile: join(logDir, 'api.log'),
    entry: o.apiEntry,
    extraEnv: o.apiEnv,
    startupTimeoutMs: o.startupTimeoutMs,
    stopTimeoutMs: o.stopTimeoutMs,
    pollIntervalMs: ENV_DEFAULTS.pollIntervalMs,
    onPidChange: (pid) => reaper.watch(pid === undefined ? [] : [{ pid, group: true, signal: 'SIGTERM' }], [logDir]),
    ...(o.workers === undefined ? {} : { workers: o.workers }),
  });
  const stop = async () => {
    await api.stop();
    await rm(logDir, { recursive: true, force: true });
    reaper.dismiss();
  };
  try {
    await api.start(timeoutMs);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  if (o.verbose) o.log(`reference API on ${redactUrl(databaseUrl)} ready: ${api.url} (log: ${join(logDir, 'api.log')})`);
  const env = new StartedUrlEnvironment(api.url, databaseUrl, factorySecret, true, stop);
  env.restartApi = () => api.restart();
  return env;
}

/** Wait until the database answers `SELECT 1`; fail at once on bad credentials or a missing database. */
async function checkDatabase(databaseUrl: string, timeoutMs: number): Promise<void> {
  const permanent = new AbortController();
  await waitFor(
    `PostgreSQL at ${redactUrl(databaseUrl)} to answer SELECT 1`,
    async ({ remainingMs }) => {
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: Math.ceil(Math.min(remainingMs, 2000)) });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && PERMANENT_PG_ERRORS.test(code)) {
          permanent.abort(
            new EnvironmentError(
              'FLEETBED_ENV_START_FAILED',
              `PostgreSQL at ${redactUrl(databaseUrl)} refused the connection: ${describeError(error)} (SQLSTATE ${code}). ` +
                'Check the user, password and database name in DATABASE_URL.',
              { cause: error },
            ),
          );
        }
        throw error;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    {
      timeoutMs,
      intervalMs: 100,
      signal: permanent.signal,
      hint: 'Check that DATABASE_URL points at a running PostgreSQL reachable from this machine.',
    },
  );
}
