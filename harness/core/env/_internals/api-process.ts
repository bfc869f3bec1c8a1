import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EnvironmentError } from '../errors.ts';
import { REPO_ROOT } from '../options.ts';
import { waitForHttp } from '../wait.ts';

/** How to run the API child process. */
export interface ApiProcessOptions {
  databaseUrl: string;
  port: number;
  factorySecret: string;
  /** stdout and stderr of the API are appended here. */
  logFile: string;
  /** Entry point run as `node --import tsx <entry>` with cwd = repo root. */
  entry: string;
  workers?: number;
  extraEnv: Record<string, string>;
  startupTimeoutMs: number;
  stopTimeoutMs: number;
  pollIntervalMs: number;
  /** Called with the new pid on every spawn and `undefined` after every exit (for the reaper). */
  onPidChange: (pid: number | undefined) => void;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * The reference API as a child process in its own process group (so a stop also reaches
 * cluster workers), listening on 127.0.0.1:`port`. Ready means `GET /readyz` answers 200.
 */
export class ApiProcess {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> = Promise.resolve({ code: null, signal: null });

  constructor(private readonly options: ApiProcessOptions) {
    this.url = `http://127.0.0.1:${options.port}`;
  }

  /** pid of the running API (also its process group id), if any. */
  get pid(): number | undefined {
    return this.isRunning() ? this.child?.pid : undefined;
  }

  /** Spawn the API and resolve once `/readyz` is 200; on failure it is killed and the error quotes its log. */
  async start(timeoutMs = this.options.startupTimeoutMs): Promise<void> {
    const o = this.options;
    const fd = openSync(o.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(process.env.FLEETBED_API_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.FLEETBED_API_CPU_PROF] : []), '--import', 'tsx', o.entry], {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          ...process.env,
          ...o.extraEnv,
          DATABASE_URL: o.databaseUrl,
          PORT: String(o.port),
          HOST: '127.0.0.1',
          FLEETBED_TEST_MODE: '1',
          FLEETBED_FACTORY_SECRET: o.factorySecret,
          ...(o.workers === undefined ? {} : { FLEETBED_WORKERS: String(o.workers) }),
        },
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        o.onPidChange(undefined);
        resolve({ code, signal });
      });
    });
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    if (child.pid !== undefined) o.onPidChange(child.pid);

    const died = new AbortController();
    void Promise.race([
      this.exited.then((exit) => `exited (code ${exit.code}, signal ${exit.signal})`),
      spawnError.then((error) => `could not be spawned: ${error.message}`),
    ]).then((what) => died.abort(what));
    try {
      await waitForHttp(`${this.url}/readyz`, {
        timeoutMs,
        intervalMs: o.pollIntervalMs,
        signal: died.signal,
      });
    } catch (error) {
      const diedFirst = died.signal.aborted;
      await this.stop();
      const tail = await this.logTail();
      if (diedFirst) {
        throw new EnvironmentError(
          'FLEETBED_ENV_START_FAILED',
          `The API (node --import tsx ${o.entry}) ${String(died.signal.reason)} before /readyz answered 200. ` +
            `Last lines of ${o.logFile}:\n${tail}`,
        );
      }
      const timedOut = error instanceof EnvironmentError && error.code === 'FLEETBED_ENV_TIMEOUT';
      throw new EnvironmentError(
        timedOut ? 'FLEETBED_ENV_TIMEOUT' : 'FLEETBED_ENV_START_FAILED',
        `${timedOut ? '' : 'Waiting for the API failed: '}${(error as Error).message} Last lines of ${o.logFile}:\n${tail}`,
        { cause: error },
      );
    }
  }

  /** SIGTERM the API's process group, SIGKILL it after `stopTimeoutMs`. Idempotent. */
  async stop(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (!this.isRunning()) {
      signalGroup(pid, 'SIGKILL'); // a crashed primary may leave cluster workers behind
      return;
    }
    signalGroup(pid, 'SIGTERM');
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, this.options.stopTimeoutMs, true).unref()),
    ]);
    if (timedOut) signalGroup(pid, 'SIGKILL');
    await this.exited;
    signalGroup(pid, 'SIGKILL'); // stragglers in the group, e.g. cluster workers
  }

  /**
   * SIGKILL the whole process group (the primary and its cluster workers) at once, with
   * no chance to finish a request or a commit: a crash, not a shutdown. Idempotent.
   */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  /** The database URL the API is started with from its next start on (the database fault proxy's). */
  useDatabaseUrl(url: string): void {
    this.options.databaseUrl = url;
  }

  /** Stop, then start again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The last `lines` lines of the API log (empty string if none). */
  async logTail(lines = 30): Promise<string> {
    const text = await readFile(this.options.logFile, 'utf8').catch(() => '');
    const all = text.trimEnd().split('\n');
    return all.slice(-lines).map((line) => `  | ${line}`).join('\n') || '  | (empty log)';
  }

  private isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
