import type { ResolvedFleetOptions } from './fleet-options.ts';
import type { Fleet } from './fleet.ts';
import { LINE_INTERDENTAL } from './lines.ts';
import { TOPIC } from './topics.ts';

const H = 3600;

/**
 * When device `d` is used on day `day` (0 = the fleet's start day): writes the
 * sessions' seconds after midnight (UTC) into `out`, ascending, and returns how
 * many there are (0..3). A pure function of (seed, device, day): history plays
 * no part, so the schedule costs no memory and any day can be recomputed.
 *
 * Brushes: a morning session (06:30–09:00, each person of a household a little
 * later than the one before), a rare midday one (12:00–14:00) and an evening
 * one (20:00–23:00), each with its own probability; some days are skipped whole.
 * Interdental devices: at most one session, in the late evening.
 */
export function sessionsOfDay(f: Fleet, d: number, day: number, out: Int32Array): number {
  const b = f.options.brushing;
  const draw = f.draw;
  const kind = f.kind[d]!;
  if ((kind & 3) === LINE_INTERDENTAL) {
    if (draw.unit(TOPIC.interdental, d, day) >= b.interdentalPerDay) return 0;
    out[0] = 21 * H + Math.floor(draw.unit(TOPIC.interdentalTime, d, day) * 1.5 * H);
    return 1;
  }
  if (draw.unit(TOPIC.skipDay, d, day) < b.skipDay) return 0;
  let n = 0;
  const shift = (kind >> 2) * 420;
  if (draw.unit(TOPIC.morning, d, day) < b.morning) out[n++] = 6 * H + 1800 + shift + Math.floor(draw.unit(TOPIC.morningTime, d, day) * 2.5 * H);
  if (draw.unit(TOPIC.midday, d, day) < b.midday) out[n++] = 12 * H + Math.floor(draw.unit(TOPIC.middayTime, d, day) * 2 * H);
  if (draw.unit(TOPIC.evening, d, day) < b.evening) out[n++] = 20 * H + Math.floor(draw.unit(TOPIC.eveningTime, d, day) * 3 * H);
  return n;
}

/** Expected sessions per day of a device of `line` under `options` (the model's mean, for checks and head life). */
export function expectedSessionsPerDay(options: ResolvedFleetOptions, line: number): number {
  const b = options.brushing;
  if (line === LINE_INTERDENTAL) return b.interdentalPerDay;
  return (b.morning + b.midday + b.evening) * (1 - b.skipDay);
}
