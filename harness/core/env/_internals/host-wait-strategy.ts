import type Dockerode from 'dockerode';
import type { WaitStrategy } from 'testcontainers';
import { EnvironmentError } from '../errors.ts';
import { waitFor, type ProbeContext } from '../wait.ts';

/**
 * A Testcontainers wait strategy for host-networked containers, whose ports are not mapped
 * (so `Wait.forHttp` and the port checks have nothing to read): it polls `probe` from the
 * harness — what a client on the loopback sees — until it succeeds or the startup timeout
 * passes (`FLEETBED_ENV_TIMEOUT`), and fails at once with the log's tail
 * (`FLEETBED_ENV_START_FAILED`) if the container exits first.
 */
export class HostWaitStrategy implements WaitStrategy {
  private startupTimeoutMs = 60_000;
  private startupTimeoutSet = false;

  /**
   * @param description what is awaited, for messages (`PostgreSQL on 127.0.0.1:5433`)
   * @param probe resolves truthy when ready; throws or resolves falsy otherwise
   */
  constructor(
    private readonly description: string,
    private readonly probe: (context: ProbeContext) => Promise<boolean>,
    private readonly intervalMs = 50,
  ) {}

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    const exited = new AbortController();
    let polls = 0;
    await waitFor(
      this.description,
      async (context) => {
        // Before the first poll and every tenth: has the container died? Then stop waiting.
        if (polls++ % 10 === 0) {
          const state = (await container.inspect()).State;
          if (!state.Running && !state.Restarting) {
            const logs = await container.logs({ stdout: true, stderr: true, tail: 20 }).then(demux, () => '(no log)');
            exited.abort(
              new EnvironmentError(
                'FLEETBED_ENV_START_FAILED',
                `The container for ${this.description} exited with code ${state.ExitCode} before it was ready. Its last log lines:\n${logs.trim()}`,
              ),
            );
            return false;
          }
        }
        return this.probe(context);
      },
      { timeoutMs: this.startupTimeoutMs, intervalMs: this.intervalMs, signal: exited.signal, hint: 'Its log: docker logs <container> (or --verbose).' },
    );
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.startupTimeoutMs = startupTimeoutMs;
    this.startupTimeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.startupTimeoutSet;
  }

  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }
}

/**
 * The text of a non-TTY container's log: Docker frames it as [stream, 0, 0, 0, size (4 bytes,
 * big-endian)] + payload; a TTY container's log is the text itself.
 */
export function demux(log: Buffer | string): string {
  const buffer = Buffer.isBuffer(log) ? log : Buffer.from(log);
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[offset]! <= 2 && buffer.readUIntBE(offset + 1, 3) === 0) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : parts.join('') + buffer.subarray(offset).toString('utf8');
}
