import { recordFormatFor, type SessionRecord } from '../contract/record.ts';
import { sessionsOfDay } from './brushing.ts';
import { SimulatorError } from './errors.ts';
import type { Fleet } from './fleet.ts';
import { headIdOf, headLife } from './heads.ts';
import { LINE_CODES, LINE_INTERDENTAL } from './lines.ts';
import { TOPIC } from './topics.ts';

/** Who is told about every record a device writes (the ledger). */
export interface ProductionObserver {
  onProduced(d: number, seq: number): void;
}

const DAY = 86_400;
const scratch = new Int32Array(4);

/**
 * Step every device of household `h` forward to virtual time `t`: each session
 * in (advancedTo, t] becomes a record (seq + 1, the oldest record of a full ring
 * overwritten), heads wear out and are replaced, clocks reset. Devices are
 * stepped lazily — when a phone comes near, or at the end of a run — so a slot
 * costs work only for the households that sync in it.
 */
export function advanceHousehold(f: Fleet, h: number, t: number, observer: ProductionObserver): void {
  const from = f.hhAdvancedTo[h]!;
  if (t <= from) return;
  if (t > 0xffff_ffff) throw new SimulatorError('FLEETBED_FLEET_TIME_INVALID', `cannot step to ${t}: virtual time must fit u32 seconds`);
  const end = f.hhFirstDevice[h + 1]!;
  for (let d = f.hhFirstDevice[h]!; d < end; d++) advanceDevice(f, d, from, t, observer);
  f.hhAdvancedTo[h] = t;
}

function advanceDevice(f: Fleet, d: number, from: number, to: number, observer: ProductionObserver): void {
  const first = f.dayOf(from);
  const last = f.dayOf(to);
  const resetRate = f.options.clock.resetPerDay;
  for (let day = first; day <= last; day++) {
    const dayStart = f.dayZeroS + day * DAY;
    const n = sessionsOfDay(f, d, day, scratch);
    let resetT = -1;
    if (resetRate > 0 && f.draw.unit(TOPIC.clockReset, d, day) < resetRate) {
      resetT = dayStart + Math.floor(f.draw.unit(TOPIC.clockResetTime, d, day) * DAY);
      if (resetT <= from || resetT > to) resetT = -1;
    }
    for (let i = 0; i < n; i++) {
      const ts = dayStart + scratch[i]!;
      if (resetT >= 0 && resetT < ts) {
        resetClock(f, d, resetT);
        resetT = -1;
      }
      if (ts > from && ts <= to && ts > f.startS) produce(f, d, observer);
    }
    if (resetT >= 0) resetClock(f, d, resetT);
  }
}

function produce(f: Fleet, d: number, observer: ProductionObserver): void {
  const s = f.seq[d]! + 1;
  f.seq[d] = s;
  if (s - f.headStart[d]! >= headLife(f, d, f.headGen[d]!)) {
    f.headGen[d] = f.headGen[d]! + 1;
    f.headStart[d] = s;
  }
  observer.onProduced(d, s);
}

/**
 * The device's clock restarts at `resetEpochS` (a reboot). Its records carry
 * clockReset until a phone connects and sets the time. A reset is not taken
 * while the device already runs on a reset clock, nor while records stamped by
 * the previous reset are still in the ring (so that every record in the ring
 * can be recomputed from the one reset the columns remember).
 */
function resetClock(f: Fleet, d: number, at: number): void {
  if (f.resetFrom[d] !== 0) {
    const to = f.resetTo[d]!;
    if (to === 0 || to > f.seq[d]! + 1 - f.ringCapacity) return;
  }
  f.resetAt[d] = at;
  f.resetFrom[d] = f.seq[d]! + 1;
  f.resetTo[d] = 0;
  f.boots[d] = (f.boots[d]! + 1) & 0xff;
}

/** A phone connected: if the device's clock was reset, the phone sets the time, and later records are stamped normally. */
export function connect(f: Fleet, d: number): void {
  if (f.resetFrom[d] !== 0 && f.resetTo[d] === 0) f.resetTo[d] = f.seq[d]! + 1;
}

/** Oldest seq still in device `d`'s ring (1 when it has not wrapped; seq+1 when empty). */
export function oldestInRing(f: Fleet, d: number): number {
  return Math.max(1, f.seq[d]! - f.ringCapacity + 1);
}

/**
 * The virtual time at which each record `fromSeq..seq[d]` of device `d` was
 * made, recomputed from the (stateless) schedule by walking back from the
 * household's current time. `out[i]` is the time of seq `fromSeq + i`.
 */
export function recordTimes(f: Fleet, d: number, fromSeq: number, out: number[] | Float64Array): void {
  let s = f.seq[d]!;
  if (fromSeq > s) return;
  const now = f.hhAdvancedTo[f.householdOfDevice(d)]!;
  const stop = f.dayOf(f.startS);
  for (let day = f.dayOf(now); s >= fromSeq; day--) {
    if (day < stop) throw new SimulatorError('FLEETBED_FLEET_TIME_INVALID', `device ${d}: walked back past the start looking for seq ${s} (a simulator bug)`);
    const dayStart = f.dayZeroS + day * DAY;
    const n = sessionsOfDay(f, d, day, scratch);
    for (let i = n - 1; i >= 0 && s >= fromSeq; i--) {
      const ts = dayStart + scratch[i]!;
      if (ts > now || ts <= f.startS) continue;
      out[s - fromSeq] = ts;
      s--;
    }
  }
}

/** The device's clock error at true time `t`: a fixed initial offset plus crystal drift. */
export function clockOffsetS(f: Fleet, d: number, t: number): number {
  const c = f.options.clock;
  const initial = (f.draw.unit(TOPIC.clockOffset, d, 0) * 2 - 1) * c.maxInitialOffsetS;
  const ppm = (f.draw.unit(TOPIC.clockDrift, d, 0) * 2 - 1) * c.maxDriftPpm;
  return Math.round(initial + (ppm * (t - f.startS)) / 1e6);
}

/** Battery: a sawtooth between charges every 5–14 days, from 100 % down to 8 %. */
export function batteryPct(f: Fleet, d: number, t: number): number {
  const period = 5 + (f.draw.u32(TOPIC.batteryPeriod, d, 0) % 10);
  const phase = f.draw.unit(TOPIC.batteryPhase, d, 0) * period;
  const days = (t - f.dayZeroS) / DAY + phase;
  const frac = (days % period) / period;
  return Math.round(100 - frac * 92);
}

const MEAN_DURATION_KEYS = ['adult-brush', 'kids-brush', 'interdental'] as const;

/**
 * Record `s` of device `d`, made at true virtual time `ts`, exactly as the
 * device wrote it. Everything not in the columns is a pure function of
 * (seed, device, seq), so a record is the same bytes every time it is
 * recomputed (a second relay of it is a duplicate, never a conflict).
 */
export function sessionRecordOf(f: Fleet, d: number, s: number, ts: number): SessionRecord {
  const line = f.kind[d]! & 3;
  const shape = f.draw.u32(TOPIC.sessionShape, d, s);
  const shape2 = f.draw.u32(TOPIC.sessionShape2, d, s);
  const mean = f.options.brushing.meanDurationS[MEAN_DURATION_KEYS[line]!];
  const durationS = Math.round(mean * (0.55 + 0.9 * ((shape & 0xffff) / 0x1_0000)));
  const z = (shape >>> 16) & 0xff;
  const zones = z < 170 ? 0xff : 0xff & ~(1 << (z & 7)) & ~(z >= 230 ? 1 << ((z >>> 3) & 7) : 0);
  const p = shape2 & 0xff;
  const pressureAlerts = line === LINE_INTERDENTAL ? 0 : p < 170 ? 0 : p < 230 ? 1 : 2 + (p & 3);
  const gen = s >= f.headStart[d]! ? f.headGen[d]! : f.headGen[d]! - 1;
  const headChanged = gen > 0 && s === f.headStart[d];
  const firmwareVersion = f.firmwareTable[s >= f.fwSince[d]! ? f.fwActive[d]! : f.fwPrevious[d]!]!;
  const from = f.resetFrom[d]!;
  const clockReset = from !== 0 && s >= from && (f.resetTo[d] === 0 || s < f.resetTo[d]!);
  const startedAt = clockReset ? f.options.clock.resetEpochS + (ts - f.resetAt[d]!) : ts + clockOffsetS(f, d, ts);
  const r: SessionRecord = {
    formatVersion: recordFormatFor(LINE_CODES[line]!, firmwareVersion),
    clockReset,
    headChanged,
    deviceId: f.deviceId(d),
    seq: s,
    startedAt,
    durationS,
    zones,
    pressureAlerts,
    headId: headIdOf(f, d, gen),
    firmwareVersion,
    batteryPct: batteryPct(f, d, ts),
  };
  if (r.formatVersion === 2) r.brushMode = brushModeOf(f, d, s, line);
  return r;
}

/**
 * The brush mode of a format-2 record (contract/record.ts BRUSH_MODES): mostly
 * daily, sometimes sensitive or whitening, rarely gum care. Interdental devices
 * have one mode. A pure draw per (device, seq), like the rest of the record.
 */
function brushModeOf(f: Fleet, d: number, s: number, line: number): number {
  if (line === LINE_INTERDENTAL) return 0;
  const u = f.draw.u32(TOPIC.brushMode, d, s) & 0xff;
  return u < 160 ? 0 : u < 200 ? 1 : u < 235 ? 2 : 3;
}

/** Step every household of the slice to virtual time `t` (the end of a run), so every session up to `t` is a record. */
export function advanceFleet(f: Fleet, t: number, observer: ProductionObserver): void {
  for (let h = f.hhFrom; h < f.hhTo; h++) advanceHousehold(f, h, t, observer);
}
