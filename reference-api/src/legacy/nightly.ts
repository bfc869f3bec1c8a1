import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../app.ts';
import { runLegacyReconcile } from './reconcile.ts';
import { runLegacyRepair } from './repair.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Milliseconds from `nowMs` to the next `hourUtc`:00 UTC (a full day when it is that instant). */
export function msUntilHourUtc(nowMs: number, hourUtc: number): number {
  const d = new Date(nowMs);
  let next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hourUtc);
  if (next <= nowMs) next += DAY_MS;
  return next - nowMs;
}

/**
 * Outside test mode the legacy jobs run every night at `hourUtc`:00 UTC of the
 * wall clock (config.legacyNightlyHourUtc; -1: never): legacy-repair first, so
 * that rows whose v2 write was owed are written before legacy-reconcile
 * compares the stores. Each API process schedules them; the jobs' advisory
 * locks serialise the runs, and a second run of the same night replaces its
 * report. Returns the function that stops the timer.
 */
export function scheduleLegacyNightly(services: Pick<Services, 'db' | 'clock'>, hourUtc: number, log: FastifyBaseLogger, now: () => number = Date.now): () => void {
  if (hourUtc < 0) return () => {};
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runLegacyRepair(services)
        .then(() => runLegacyReconcile(services))
        .catch((err: unknown) => log.error({ err }, 'legacy nightly jobs failed'))
        .finally(arm);
    }, msUntilHourUtc(now(), hourUtc));
    timer.unref();
  };
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
