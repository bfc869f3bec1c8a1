/** Where progress goes: a stream with an optional TTY flag (process.stderr by default). */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  sink?: ProgressSink;
  /** Plain-line interval when the sink is not a TTY, in ms (default 10 s). */
  plainIntervalMs?: number;
  /** Redraw interval on a TTY, in ms (default 250). */
  ttyIntervalMs?: number;
  /** False silences everything (tests). Default true. */
  enabled?: boolean;
}

/**
 * Progress of a long fleet run on stderr: one phase at a time (provisioned
 * devices, bonded devices, simulated day…) with count, rate and ETA, plus a
 * free-form detail (uploads/s). On a TTY it redraws a single line; otherwise
 * it prints a plain line every `plainIntervalMs` and one when a phase ends, so
 * CI logs stay readable. It reads the wall clock only to show rates.
 */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #tty: boolean;
  readonly #interval: number;
  readonly #enabled: boolean;
  #phase = '';
  #total = 0;
  #done = 0;
  #started = 0;
  #lastDraw = 0;
  #detail: () => string = () => '';

  constructor(options: ProgressOptions = {}) {
    this.#sink = options.sink ?? process.stderr;
    this.#tty = Boolean(this.#sink.isTTY);
    this.#interval = this.#tty ? (options.ttyIntervalMs ?? 250) : (options.plainIntervalMs ?? 10_000);
    this.#enabled = options.enabled ?? true;
  }

  /** Begin a phase of `total` units; `detail` is called at each draw for extra text. */
  start(phase: string, total: number, detail: () => string = () => ''): void {
    this.#phase = phase;
    this.#total = total;
    this.#done = 0;
    this.#started = performance.now();
    this.#lastDraw = this.#started;
    this.#detail = detail;
    if (!this.#tty) this.#line(`${phase}: ${fmt(total)} to do`);
  }

  /** `n` more units done. */
  add(n = 1): void {
    this.#done += n;
    const now = performance.now();
    if (now - this.#lastDraw >= this.#interval) {
      this.#lastDraw = now;
      this.#draw(now);
    }
  }

  /** End the phase with a summary line; returns its duration in seconds. */
  end(summary = ''): number {
    const seconds = (performance.now() - this.#started) / 1000;
    if (this.#enabled) {
      if (this.#tty) this.#sink.write('\r\x1b[K');
      this.#line(`${this.#phase}: ${fmt(this.#done)} in ${seconds.toFixed(1)} s (${perTime(this.#done / Math.max(seconds, 1e-3))})${summary ? ` · ${summary}` : ''}`);
    }
    return seconds;
  }

  /** A line of its own (clears the TTY line first). */
  log(text: string): void {
    if (!this.#enabled) return;
    if (this.#tty) this.#sink.write('\r\x1b[K');
    this.#line(text);
  }

  #draw(now: number): void {
    if (!this.#enabled) return;
    const seconds = (now - this.#started) / 1000;
    const rate = this.#done / Math.max(seconds, 1e-3);
    const pct = this.#total > 0 ? ` (${((100 * this.#done) / this.#total).toFixed(1)}%)` : '';
    const eta = this.#total > this.#done && rate > 0 ? ` · ETA ${duration((this.#total - this.#done) / rate)}` : '';
    const detail = this.#detail();
    const text = `${this.#phase}: ${fmt(this.#done)}/${fmt(this.#total)}${pct} · ${perTime(rate)}${eta}${detail ? ` · ${detail}` : ''}`;
    if (this.#tty) this.#sink.write(`\r\x1b[K[fleet] ${text}`);
    else this.#line(text);
  }

  #line(text: string): void {
    if (this.#enabled) this.#sink.write(`[fleet] ${text}\n`);
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** A rate per second, or per minute when it is below 1/s (a simulated hour of a large fleet takes seconds). */
function perTime(perSecond: number): string {
  return perSecond >= 1 || perSecond === 0 ? `${fmt(Math.round(perSecond))}/s` : `${fmt(Math.round(perSecond * 60 * 10) / 10)}/min`;
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.ceil(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
