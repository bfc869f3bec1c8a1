import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.ts';

/** A process the reaper signals if the harness dies: `group` signals the process group `-pid`. */
export interface ReapTarget {
  pid: number;
  group?: boolean;
  signal?: NodeJS.Signals;
}

/**
 * Docker containers the reaper force-removes if the harness dies: every container carrying
 * `label` (`key=value`), through the engine at `socketPath` or `host`:`port`.
 */
export interface ReapContainers {
  label: string;
  socketPath?: string;
  host?: string;
  port?: number;
}

const REAPER_PATH = fileURLToPath(new URL('./reaper.mjs', import.meta.url));

/**
 * Handle on a detached reaper process (see reaper.mjs). If this process dies without calling
 * {@link Reaper.dismiss}, the reaper signals the watched processes and removes the watched dirs.
 */
export class Reaper {
  private constructor(private readonly child: ChildProcess) {}

  /** Spawn a reaper and wait (≤ `timeoutMs`) until it listens. It never keeps this process alive. */
  static async spawn(timeoutMs = 5000): Promise<Reaper> {
    const child = spawn(process.execPath, [REAPER_PATH], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "ready" message within ${timeoutMs} ms`)),
          timeoutMs,
        );
        child.once('error', reject);
        child.once('exit', (code, signal) => reject(new Error(`exited early (code ${code}, signal ${signal})`)));
        child.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch (error) {
      child.kill('SIGKILL');
      throw new EnvironmentError(
        'FLEETBED_ENV_START_FAILED',
        `Could not start the cleanup reaper (${process.execPath} ${REAPER_PATH}): ${(error as Error).message}.`,
        { cause: error },
      );
    }
    child.removeAllListeners('exit');
    child.removeAllListeners('error');
    child.on('error', () => undefined);
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    return new Reaper(child);
  }

  /** Replace what the reaper cleans up if this process dies. */
  watch(targets: ReapTarget[], dirs: string[], containers?: ReapContainers): void {
    if (this.child.connected) this.child.send({ type: 'watch', targets, dirs, ...(containers ? { containers } : {}) });
  }

  /** Everything was cleaned up normally: let the reaper exit without acting. */
  dismiss(): void {
    if (!this.child.connected) return;
    this.child.send({ type: 'watch', targets: [], dirs: [] });
    this.child.send({ type: 'dismiss' }, () => {
      if (this.child.connected) this.child.disconnect();
    });
  }
}
