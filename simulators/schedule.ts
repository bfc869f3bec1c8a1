import type { Fleet } from './fleet.ts';
import { opensAppAt } from './phone.ts';

/**
 * The syncs of one slot, in the order the simulation performs them (by true
 * time, then phone). The platform's clock is set to `platformS` — the end of
 * the slot — before any of them is uploaded, so every sync happens at or before
 * platform time.
 */
export interface SlotPlan {
  day: number;
  /** Platform (virtual) time for this slot's uploads, seconds since the Unix epoch. */
  platformS: number;
  phones: Uint32Array;
  times: Uint32Array;
}

/** Virtual time at which day `day` ends (midnight UTC). */
export function endOfDayS(f: Fleet, day: number): number {
  return f.dayZeroS + (day + 1) * 86_400;
}

/**
 * The slots of day `day` that have syncs, in time order. Each phone's open time
 * is a pure draw, so the plan is the same on every run of a seed. Phones
 * `phoneFrom..phoneTo-1`: this process's slice unless a range is given (a
 * sharded load generator plans the whole fleet's day to keep its own share).
 */
export function planDay(f: Fleet, day: number, phoneFrom = f.phoneFrom, phoneTo = f.phoneTo): SlotPlan[] {
  const dayStart = f.dayZeroS + day * 86_400;
  const keys: number[] = [];
  for (let p = phoneFrom; p < phoneTo; p++) {
    const t = opensAppAt(f, p, day);
    if (t >= 0) keys.push((t - dayStart) * 0x1_0000_0000 + p);
  }
  const sorted = Float64Array.from(keys).sort();
  const slotSeconds = f.options.time.slotSeconds;
  const slots: SlotPlan[] = [];
  let i = 0;
  while (i < sorted.length) {
    const slot = Math.floor(Math.floor(sorted[i]! / 0x1_0000_0000) / slotSeconds);
    let j = i;
    while (j < sorted.length && Math.floor(Math.floor(sorted[j]! / 0x1_0000_0000) / slotSeconds) === slot) j++;
    const phones = new Uint32Array(j - i);
    const times = new Uint32Array(j - i);
    for (let k = i; k < j; k++) {
      const key = sorted[k]!;
      const sod = Math.floor(key / 0x1_0000_0000);
      phones[k - i] = key - sod * 0x1_0000_0000;
      times[k - i] = dayStart + sod;
    }
    slots.push({ day, platformS: dayStart + (slot + 1) * slotSeconds, phones, times });
    i = j;
  }
  return slots;
}

/**
 * The end-of-run drain at time `t`: the first phone of every household syncs
 * once with every device in range, so everything still in a ring is relayed.
 */
export function drainPlan(f: Fleet, t: number): SlotPlan {
  const n = f.hhTo - f.hhFrom;
  const phones = new Uint32Array(n);
  for (let h = f.hhFrom; h < f.hhTo; h++) phones[h - f.hhFrom] = f.hhFirstPhone[h]!;
  return { day: f.dayOf(t), platformS: t, phones, times: new Uint32Array(n).fill(t) };
}
