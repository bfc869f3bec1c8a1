import { setClock } from '../../core/fleet/drive.ts';
import type { ArrivalSource, Schedule } from './arrivals.ts';
import type { WindowPoint } from '../../../reports/load-summary.ts';
import type { LoadMeasure } from './measure.ts';
import type { SyncDriver } from './sync-driver.ts';

export interface PlayOptions {
  maxInFlight: number;
  lateStartMs: number;
  /** Called with each closed one-second window (the live dashboard listens here). */
  onWindow?: (p: WindowPoint) => void;
  /**
   * Start no arrival later than this many ms after the phase began (k6's maxDuration):
   * arrivals still due are not sent, and `started` falls short of `intended` by them.
   * Unset, every arrival is sent however late (the default for plans).
   */
  stopAfterMs?: number;
}

/** What one measured phase did, beside what its {@link LoadMeasure} holds. */
export interface PlayResult {
  wallMs: number;
  intended: number;
  started: number;
  completed: number;
  /** Generator CPU (user + system) over the phase, µs. */
  generatorCpuMicros: number;
  /** Largest number of syncs in flight at once. */
  peakInFlight: number;
}

/** Real ms of look-ahead for the platform clock: it is set to the latest virtual time due this far ahead. */
const CLOCK_LOOKAHEAD_MS = 2000;

/**
 * Play a schedule as an open model: arrival i starts at its intended time whether or
 * not earlier ones were answered, up to `maxInFlight` at once. An arrival that finds
 * every slot taken, or a generator too busy to start it, starts late: it is still sent,
 * timed from its intended time, and counted as "could not start in time". The platform's
 * virtual clock is kept just ahead of the syncs being sent. The closed model runs
 * `concurrency` phones back to back instead.
 */
export async function playSchedule(s: Schedule, driver: SyncDriver, m: LoadMeasure, o: PlayOptions): Promise<PlayResult> {
  if (s.closed) return playClosed(s, driver, m, o);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let inFlight = 0;
  let peakInFlight = 0;
  let completed = 0;
  let wake: (() => void) | undefined;
  const done = () => {
    inFlight--;
    completed++;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const ticker = windowTicker(t0, m, () => inFlight, (sec) => s.targetPerSecond[sec] ?? 0, o.onWindow);
  const running = new Set<Promise<void>>();
  const state: { failure?: { error: unknown }; waitedAtCap: boolean } = { waitedAtCap: false };
  const clock: { pending?: Promise<unknown> } = {};
  const a = s.arrivals;
  let i = 0;
  try {
    const stopAt = o.stopAfterMs ?? Infinity;
    while (i < a.count && performance.now() - t0 < stopAt) {
      a.release(i);
      const now = performance.now() - t0;
      // Keep the platform's clock ahead of the syncs being sent, without holding up arrivals:
      // one clock request at a time, set 2 s of arrivals ahead (the time rules allow a day).
      if (a.vt(i) * 1000 > driver.ctx.nowMs && !clock.pending) {
        clock.pending = setClock(driver.ctx, lookaheadVt(a, i, now) * 1000).then(
          () => (clock.pending = undefined),
          (error: unknown) => {
            state.failure ??= { error };
          },
        );
        if (i === 0) await clock.pending;
      }
      let atCap = false;
      while (i < a.count && i <= a.horizon && a.realMs(i) <= performance.now() - t0) {
        if (inFlight >= o.maxInFlight) {
          atCap = true;
          break;
        }
        const intended = t0 + a.realMs(i);
        const lag = performance.now() - intended;
        m.started(lag, lag > o.lateStartMs, state.waitedAtCap);
        const prepared = driver.prepare(a.phone(i), a.vt(i));
        inFlight++;
        if (inFlight > peakInFlight) peakInFlight = inFlight;
        const p: Promise<void> = driver.send(prepared, intended, m).then(
          (stored) => m.completed(performance.now() - intended, stored),
          (error: unknown) => {
            state.failure ??= { error };
          },
        ).finally(() => {
          running.delete(p);
          done();
        });
        running.add(p);
        i++;
        if (i > a.horizon) a.release(i);
      }
      if (state.failure) throw state.failure.error;
      state.waitedAtCap = atCap;
      if (i >= a.count) break;
      if (atCap) await new Promise<void>((resolve) => (wake = resolve));
      else await sleepUntil(Math.min(t0 + a.realMs(i), t0 + stopAt));
    }
    await Promise.all([...running, clock.pending]);
    if (state.failure) throw state.failure.error;
  } finally {
    ticker.stop();
  }
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, intended: a.count, started: i, completed, generatorCpuMicros: cpu.user + cpu.system, peakInFlight };
}

/** The closed model: `concurrency` phones, each syncing again as soon as its last sync was answered. */
async function playClosed(s: Schedule, driver: SyncDriver, m: LoadMeasure, o: PlayOptions): Promise<PlayResult> {
  const { concurrency, durationMs, natural } = s.closed!;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let inFlight = 0;
  let started = 0;
  let completed = 0;
  const clock = new ClockAhead(driver);
  const ticker = windowTicker(t0, m, () => inFlight, () => null, o.onWindow);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - t0 < durationMs) {
          const slot = natural.next();
          if (!slot) return;
          await clock.reach(slot.vt, slot.vt + 3600); // an hour of virtual time ahead; the time rules allow a day
          const prepared = driver.prepare(slot.phone, slot.vt);
          const at = performance.now();
          m.started(0, false, false);
          started++;
          inFlight++;
          try {
            m.completed(performance.now() - at, await driver.send(prepared, at, m));
          } finally {
            inFlight--;
            completed++;
          }
        }
      }),
    );
  } finally {
    ticker.stop();
  }
  void o;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, intended: started, started, completed, generatorCpuMicros: cpu.user + cpu.system, peakInFlight: concurrency };
}

/** Play syncs unmeasured, `concurrency` at a time (the fleet's life before the event of a plan). */
export async function playPrelude(slots: ReadonlyArray<{ phone: number; vt: number }>, driver: SyncDriver, concurrency: number): Promise<void> {
  let i = 0;
  const clock = new ClockAhead(driver);
  let failed: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < slots.length && !failed) {
        const slot = slots[i++]!;
        try {
          await clock.reach(slot.vt, Math.max(slot.vt, Math.min(slot.vt + 3600, slots.at(-1)!.vt)));
          await driver.send(driver.prepare(slot.phone, slot.vt), performance.now(), undefined);
        } catch (error) {
          failed ??= { error };
        }
      }
    }),
  );
  if (failed) throw failed.error;
}

/**
 * The platform's clock for workers that sync concurrently: one advance at a time, never
 * backwards, and a worker whose sync lies past the clock waits for the advance in flight
 * (another worker's) before it sends.
 */
class ClockAhead {
  #at: number;
  #advancing: Promise<void> | undefined;
  constructor(readonly driver: SyncDriver) {
    this.#at = Math.floor(driver.ctx.nowMs / 1000);
  }

  /** Resolve once the clock is at `vt` or later (virtual seconds), moving it to `to` if it must move. */
  async reach(vt: number, to: number): Promise<void> {
    while (vt > this.#at) {
      this.#advancing ??= setClock(this.driver.ctx, Math.max(to * 1000, this.driver.ctx.nowMs)).then(
        () => {
          this.#at = Math.max(this.#at, to);
          this.#advancing = undefined;
        },
        (error: unknown) => {
          this.#advancing = undefined;
          throw error;
        },
      );
      await this.#advancing;
    }
  }
}

/** The latest virtual second among the arrivals due in the next {@link CLOCK_LOOKAHEAD_MS} (at most a window of arrivals ahead). */
function lookaheadVt(a: ArrivalSource, i: number, nowMs: number): number {
  let j = i;
  const until = Math.max(nowMs, a.realMs(i)) + CLOCK_LOOKAHEAD_MS;
  const last = Math.min(a.count - 1, a.horizon);
  while (j < last && a.realMs(j + 1) <= until) j++;
  return a.vt(j);
}

function windowTicker(t0: number, m: LoadMeasure, inFlight: () => number, target: (sec: number) => number | null, onWindow?: (p: WindowPoint) => void): { stop(): void } {
  let sec = 0;
  let cpuMark = process.cpuUsage();
  let wallMark = performance.now();
  const tick = () => {
    const cpu = process.cpuUsage(cpuMark);
    const wall = performance.now() - wallMark;
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    const p = m.closeWindow(sec + 1, target(sec), inFlight(), (cpu.user + cpu.system) / 1000 / Math.max(1, wall));
    sec++;
    onWindow?.(p);
  };
  const timer = setInterval(tick, 1000);
  return {
    stop() {
      clearInterval(timer);
      if (performance.now() - t0 > sec * 1000 + 50) tick(); // the last, partial second
    },
  };
}

function sleepUntil(at: number): Promise<void> {
  const ms = at - performance.now();
  if (ms <= 0.5) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(ms))));
}
