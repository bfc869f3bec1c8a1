import type { Fleet } from '../../../simulators/fleet.ts';
import type { DiurnalCurve } from '../../../reports/load-summary.ts';
import { NaturalSyncs } from './natural-syncs.ts';

/**
 * Sample `days` whole days after the first (the first is cut short by the fleet's start).
 * Pure. Always the whole fleet's day, on a shard too: the curve belongs to the behaviour
 * model, so every shard reports the same one.
 */
export function diurnalCurve(fleet: Fleet, days = 3): DiurnalCurve {
  const natural = new NaturalSyncs(fleet, { wholeFleet: true });
  const from = fleet.dayZeroS + 86_400;
  natural.until(from);
  const hourly = new Array<number>(24).fill(0);
  let total = 0;
  for (const s of natural.until(from + days * 86_400)) {
    hourly[Math.floor((s.vt % 86_400) / 3600)]! += 1 / days;
    total++;
  }
  const mean = total / days / 24;
  const peak = Math.max(...hourly);
  const peakHour = hourly.indexOf(peak);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    hourly: hourly.map(r),
    syncsPerDevicePerDay: Math.round((total / days / fleet.deviceCount) * 1000) / 1000,
    peakFactor: mean > 0 ? r(peak / mean) : 0,
    peakHour,
    morningFactor: mean > 0 ? r(hourly[7]! / mean) : 0,
  };
}

/** Devices a platform holds when it sustains `syncsPerSecond` at an hour `factor` times the day's mean. */
export function devicesAt(curve: DiurnalCurve, syncsPerSecond: number, factor: number): number {
  const perDevice = (curve.syncsPerDevicePerDay / 86_400) * factor;
  return perDevice > 0 ? Math.floor(syncsPerSecond / perDevice) : 0;
}
