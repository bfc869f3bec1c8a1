import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentError } from './errors.ts';

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many milliseconds (the deadline also bounds a probe that hangs). */
  timeoutMs: number;
  /** Pause between attempts, in ms. Default 25. */
  intervalMs?: number;
  /** Abort the wait early; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Appended to the timeout message: what to check or change. */
  hint?: string;
}

/** What a probe receives: a signal that aborts at the deadline, and the time left. */
export interface ProbeContext {
  signal: AbortSignal;
  remainingMs: number;
}

/**
 * Poll `probe` until it returns a truthy value, and resolve with that value.
 *
 * A probe that returns a falsy value or throws is retried after `intervalMs`; the last
 * reason is kept for the error. At the deadline the wait rejects with `FLEETBED_ENV_TIMEOUT`,
 * naming `description`, the elapsed time in ms and the last reason.
 */
export async function waitFor<T>(
  description: string,
  probe: (context: ProbeContext) => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions,
): Promise<T> {
  const { timeoutMs, intervalMs = 25, signal, hint } = options;
  const started = performance.now();
  const deadline = AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)));
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let attempts = 0;
  let lastReason = 'no attempt finished';

  while (true) {
    if (signal?.aborted) throw signal.reason;
    const remainingMs = timeoutMs - (performance.now() - started);
    if (remainingMs <= 0 || deadline.aborted) break;
    attempts += 1;
    try {
      const value = await raceAbort(Promise.resolve(probe({ signal: both, remainingMs })), both);
      if (value) return value;
      lastReason = `probe returned ${String(value)}`;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!deadline.aborted) lastReason = describeError(error);
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - (performance.now() - started))), undefined, {
      signal: both,
    }).catch(() => undefined);
  }

  const elapsedMs = Math.round(performance.now() - started);
  throw new EnvironmentError(
    'FLEETBED_ENV_TIMEOUT',
    `Timed out after ${elapsedMs} ms waiting for ${description} (timeout ${Math.round(timeoutMs)} ms, ${attempts} attempt(s); ` +
      `last: ${lastReason}).${hint ? ` ${hint}` : ''}`,
  );
}

/** Options of {@link waitForHttp}. */
export interface WaitForHttpOptions extends WaitOptions {
  /** Accept this status (default 200) or any status the predicate accepts. */
  status?: number | ((status: number) => boolean);
  /** Bound on one request, in ms. Default 2000. */
  requestTimeoutMs?: number;
}

/**
 * Poll `GET url` until it answers with the expected status; resolves with that status.
 * Connection refused, other statuses and slow answers are retried until the deadline.
 */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<number> {
  const { status = 200, requestTimeoutMs = 2000 } = options;
  const accept = typeof status === 'number' ? (s: number) => s === status : status;
  return waitFor(
    `GET ${url} to answer ${typeof status === 'number' ? `HTTP ${status}` : 'an accepted status'}`,
    async ({ signal, remainingMs }) => {
      const response = await fetch(url, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, Math.ceil(Math.min(requestTimeoutMs, remainingMs))))]),
      });
      await response.body?.cancel();
      if (!accept(response.status)) throw new Error(`HTTP ${response.status}`);
      return response.status;
    },
    options,
  );
}

/** One line for an error, including the `cause` chain's code (fetch hides ECONNREFUSED there). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const causeText = cause && typeof cause === 'object' ? ` (${cause.code ?? cause.message ?? 'no detail'})` : '';
  return `${error.message}${causeText}`;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
