import type { Fleet } from '../../../simulators/fleet.ts';
import { planDay } from '../../../simulators/schedule.ts';

/** One phone sync: phone `phone` opens the app at virtual second `vt`. */
export interface SyncSlot {
  phone: number;
  vt: number;
}

/**
 * The syncs the behaviour model makes, in the simulation's order (by virtual time, then
 * phone), day after day: the fleet's natural sequence. Pure: the same fleet gives the
 * same sequence. Only syncs after the fleet's start appear (see `opensAppAt`).
 *
 * A sharded fleet's sequence holds its slice's phones only, unless `wholeFleet`: then
 * every phone of the fleet, as one process would see it (a shard keeps its part of the
 * whole sequence, which is its own sequence, in the same order).
 */
export class NaturalSyncs {
  #day = 0;
  #phones = new Uint32Array(0);
  #times = new Uint32Array(0);
  #i = 0;
  readonly #from: number;
  readonly #to: number;

  constructor(
    readonly fleet: Fleet,
    options: { wholeFleet?: boolean } = {},
  ) {
    this.#from = options.wholeFleet ? 0 : fleet.phoneFrom;
    this.#to = options.wholeFleet ? fleet.phoneCount : fleet.phoneTo;
  }

  /** The next sync without taking it, or undefined after a year without one. */
  peek(): SyncSlot | undefined {
    for (let empty = 0; this.#i >= this.#phones.length; empty++) {
      if (empty > 366) return undefined;
      const slots = planDay(this.fleet, this.#day++, this.#from, this.#to);
      const n = slots.reduce((k, s) => k + s.phones.length, 0);
      this.#phones = new Uint32Array(n);
      this.#times = new Uint32Array(n);
      let k = 0;
      for (const s of slots) {
        this.#phones.set(s.phones, k);
        this.#times.set(s.times, k);
        k += s.phones.length;
      }
      this.#i = 0;
    }
    return { phone: this.#phones[this.#i]!, vt: this.#times[this.#i]! };
  }

  /** Take the next sync. */
  next(): SyncSlot | undefined {
    const s = this.peek();
    if (s) this.#i++;
    return s;
  }

  /** Take every sync with `vt < endS`, in order. */
  until(endS: number): SyncSlot[] {
    const out: SyncSlot[] = [];
    for (let s = this.peek(); s && s.vt < endS; s = this.peek()) out.push(this.next()!);
    return out;
  }
}
