import { FleetbedError } from '../contract/fleetbed-error.ts';
import { oneLine } from './_internals/text.ts';

/** Where progress goes: `process.stderr` or anything with `write`. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; a TTY line is cut to fit so it never wraps (a wrapped line cannot be overwritten). */
  columns?: number;
}

export interface ProgressOptions {
  /** Default `process.stderr`. */
  stream?: ProgressStream;
  /** Overrides `stream.isTTY`. */
  isTTY?: boolean;
  /** Off a TTY, at most one line per this many ms (the final `done` line always prints). */
  intervalMs?: number;
  /** Milliseconds clock, injected for tests. Default `performance.now`. */
  now?: () => number;
}

export interface ProgressLine {
  /** Show `text` as the current state: redraws the line on a TTY, else prints it if the interval has passed. */
  update(text: string): void;
  /** Replaces the progress line by `text` (a plain, final line); with no text just clears it. */
  done(text?: string): void;
}

/** Defaults of {@link createProgress}, in one place. */
export const PROGRESS_DEFAULTS = Object.freeze({ intervalMs: 10_000 });

/**
 * A one-line progress display. On a TTY it rewrites a single line in place
 * (`\r` + clear to end of line); elsewhere (a CI log) it prints at most one
 * plain line every `intervalMs`, so logs stay short and readable.
 */
export function createProgress(options: ProgressOptions = {}): ProgressLine {
  const stream = options.stream ?? process.stderr;
  const tty = options.isTTY ?? Boolean(stream.isTTY);
  const intervalMs = options.intervalMs ?? PROGRESS_DEFAULTS.intervalMs;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new FleetbedError('FLEETBED_PROGRESS_OPTIONS_INVALID', `progress intervalMs must be a finite number ≥ 0 (ms), received ${String(intervalMs)}.`);
  }
  const now = options.now ?? (() => performance.now());
  let shown: string | undefined; // text of the live TTY line
  let lastPlain = -Infinity;

  const fit = (text: string) => {
    const line = oneLine(text);
    const cols = stream.columns;
    return cols && cols > 1 && line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line;
  };

  return {
    update(text) {
      if (tty) {
        const line = fit(text);
        if (line === shown) return;
        shown = line;
        stream.write(`\r${line}\x1b[K`);
        return;
      }
      const t = now();
      if (t - lastPlain < intervalMs) return;
      lastPlain = t;
      stream.write(`${oneLine(text)}\n`);
    },
    done(text) {
      if (tty && shown !== undefined) stream.write('\r\x1b[K');
      shown = undefined;
      lastPlain = -Infinity;
      if (text) stream.write(`${oneLine(text)}\n`);
    },
  };
}
