import type { Fleet } from '../../../simulators/fleet.ts';
import { keyedDraw } from './_internals/draw.ts';
import { NaturalSyncs, type SyncSlot } from './natural-syncs.ts';
import type { ResolvedArrival } from './types.ts';

/**
 * What the generator plays: syncs at intended real times (ms after the start of the
 * measured phase), each a phone and the virtual second it opens the app. Which phone
 * syncs when is a pure function of the fleet and the plan; only the send timing is real.
 * Virtual time never goes backwards for a household in dispatch order.
 */
export interface Schedule {
  shape: ResolvedArrival['shape'];
  /** Syncs played first, unmeasured, in a closed loop: the fleet's life up to the event. */
  prelude: SyncSlot[];
  /** The measured arrivals, in dispatch order (by intended real time). */
  arrivals: ArrivalSource;
  /** Intended arrivals in each real second (the target rate). Empty for the closed model. */
  targetPerSecond: number[];
  /** Real length of the measured phase in ms. */
  durationMs: number;
  /** The closed model: concurrency and length; arrivals come from `natural` as fast as answers do. */
  closed?: { concurrency: number; durationMs: number; natural: NaturalSyncs };
  /** What the plan means, in words, for the report. */
  describe: string;
  /**
   * Measured arrivals of the whole plan. `arrivals.count` unless the fleet is sharded: a
   * shard plays the whole plan's schedule keeping the arrivals of its own phones, so the
   * shards' counts (and their `targetPerSecond`, second by second) add up to the plan's.
   */
  planArrivals: number;
}

/**
 * Arrival i of a measured phase: its intended real time (ms after the phase began), its
 * phone and the virtual second it opens the app. Read in dispatch order: once `release(i)`
 * is called, arrivals before i are gone, so a long phase at a high rate holds only a
 * window of arrivals in memory, never the whole phase.
 */
export interface ArrivalSource {
  readonly count: number;
  realMs(i: number): number;
  phone(i: number): number;
  vt(i: number): number;
  /** Arrivals before `i` will not be read again. */
  release(i: number): void;
  /** Largest index readable now without generating more than one window ahead of the last release. */
  readonly horizon: number;
  /** Virtual seconds from the first to the last arrival read so far (growth per simulated day). */
  virtualSpanS(): number;
}

/**
 * The schedule of `arrival` over `fleet` (whose clock starts at `fleet.startS`).
 *
 * A sharded fleet (`--shard i/n`) gets the whole plan's schedule — built from the whole
 * fleet's natural syncs, exactly as one process builds it — with only the arrivals (and
 * prelude syncs) of its own phones kept, each at its intended time. The shards' arrivals
 * partition the plan's: together they offer exactly the plan's rate, second by second, and
 * every household sees the same syncs in the same order as in one process, so the ledger
 * parts add up to the single-process ledger. Shard i's share of the rate is the share of the
 * plan's arrivals that fall to its phones (close to its share of the fleet's phones).
 * The closed model does not split (shard-plan.ts refuses it).
 */
export function buildSchedule(fleet: Fleet, arrival: ResolvedArrival, seed: number): Schedule {
  const natural = new NaturalSyncs(fleet, { wholeFleet: true });
  const keep = fleet.sharded ? (phone: number) => phone >= fleet.phoneFrom && phone < fleet.phoneTo : undefined;
  switch (arrival.shape) {
    case 'constant':
      return fromRates(fleet, natural, arrival.shape, [{ from: arrival.rate, to: arrival.rate, ms: arrival.durationMs }], `${arrival.rate} syncs/s for ${arrival.durationMs / 1000} s`, keep);
    case 'ramping': {
      let from = arrival.startRate;
      const stages = arrival.stages.map((s) => {
        const st = { from, to: s.target, ms: s.durationMs };
        from = s.target;
        return st;
      });
      return fromRates(fleet, natural, arrival.shape, stages, `ramping ${[arrival.startRate, ...arrival.stages.map((s) => s.target)].join(' → ')} syncs/s over ${stages.reduce((a, s) => a + s.ms, 0) / 1000} s`, keep);
    }
    case 'fleet-day': {
      const end = fleet.startS + arrival.days * 86_400;
      const slots = natural.until(end);
      const realMs = slots.map((s) => ((s.vt - fleet.startS) * 1000) / arrival.compress);
      return finish(arrival.shape, [], slots, realMs, (arrival.days * 86_400_000) / arrival.compress, `the fleet's own day${arrival.days > 1 ? ` × ${arrival.days}` : ''}, ${arrival.compress}× faster than real time`, keep);
    }
    case 'thundering-herd': {
      const at = nextOccurrence(fleet, arrival.atS);
      const prelude = natural.until(at);
      const phones: number[] = [];
      for (let p = 0; p < fleet.phoneCount; p++) if (keyedDraw(seed, p) / 2 ** 32 < arrival.share) phones.push(p);
      const order = seededOrder(seed ^ 0x4e52_4448, phones);
      const slots = order.map((phone) => ({ phone, vt: at }));
      return finish(arrival.shape, prelude, slots, spread(slots.length, arrival.overMs), arrival.overMs, `every phone${arrival.share < 1 ? ` (share ${arrival.share})` : ''} opens the app at ${hhmm(arrival.atS)} after an app release, within ${arrival.overMs / 1000} s`, keep);
    }
    case 'outage-backlog': {
      const down = nextOccurrence(fleet, arrival.fromS);
      const up = down + arrival.hours * 3600;
      const prelude = natural.until(down);
      const missed = natural.until(up);
      const seen = new Set<number>();
      const phones = missed.map((s) => s.phone).filter((p) => !seen.has(p) && seen.add(p));
      const backlog = seededOrder(seed ^ 0x4f55_5447, phones).map((phone) => ({ phone, vt: up }));
      const after = natural.until(up + arrival.afterHours * 3600);
      const slots = [...backlog, ...after];
      const realMs = [...spread(backlog.length, arrival.overMs), ...after.map((s) => arrival.overMs + ((s.vt - up) * 1000) / arrival.compress)];
      const afterMs = (arrival.afterHours * 3_600_000) / arrival.compress;
      return finish(arrival.shape, prelude, slots, realMs, arrival.overMs + afterMs, `the platform was down ${arrival.hours} h from ${hhmm(arrival.fromS)}; ${backlog.length} phones that missed ${missed.length} syncs return within ${arrival.overMs / 1000} s, then ${arrival.afterHours} h of the fleet's day at ${arrival.compress}×`, keep);
    }
    case 'closed':
      return {
        shape: 'closed',
        prelude: [],
        arrivals: new FixedArrivals(new Float64Array(0), new Uint32Array(0), new Uint32Array(0)),
        targetPerSecond: [],
        durationMs: arrival.durationMs,
        // The slice's own syncs: a closed model is refused with --shard (shard-plan.ts), and never runs another shard's phones.
        closed: { concurrency: arrival.concurrency, durationMs: arrival.durationMs, natural: new NaturalSyncs(fleet) },
        describe: `closed model: ${arrival.concurrency} phones sync back to back for ${arrival.durationMs / 1000} s`,
        planArrivals: 0,
      };
  }
}

/** A constant-rate schedule of `rate` syncs/s for `ms` over the fleet's natural syncs (find-max steps). */
export function constantSchedule(fleet: Fleet, natural: NaturalSyncs, rate: number, ms: number): Schedule {
  return fromRates(fleet, natural, 'constant', [{ from: rate, to: rate, ms }], `${rate} syncs/s for ${ms / 1000} s`);
}

/**
 * Arrival k of a piecewise-linear rate comes at Λ⁻¹(k), Λ the integral of the rate
 * (k = 0, 1, …). Arrivals are generated a window at a time as the generator reaches them
 * ({@link RateArrivals}), so 200,000 syncs/s for a minute costs a window of memory, not
 * twelve million arrivals prepared up front.
 */
function fromRates(fleet: Fleet, natural: NaturalSyncs, shape: ResolvedArrival['shape'], stages: Array<{ from: number; to: number; ms: number }>, describe: string, keep?: (phone: number) => boolean): Schedule {
  const curve = new RateCurve(stages);
  const seconds = Math.max(1, Math.ceil(curve.durationMs / 1000));
  const targetPerSecond = Array.from({ length: seconds }, (_, sec) => curve.countBefore(Math.min(curve.durationMs, (sec + 1) * 1000)) - curve.countBefore(sec * 1000));
  if (!keep) return { shape, prelude: [], arrivals: new RateArrivals(curve, natural), targetPerSecond, durationMs: curve.durationMs, describe, planArrivals: curve.count };
  // A shard: one pass over the whole plan's arrivals counts its own, and the second each is
  // due in (by the whole plan's per-second counts, so the shards' seconds add up exactly);
  // the arrivals themselves are generated a window at a time, as without shards.
  const whole = new NaturalSyncs(fleet, { wholeFleet: true });
  const mine = new Array<number>(seconds).fill(0);
  let count = 0;
  let sec = 0;
  let nextSecondAt = targetPerSecond[0]!;
  for (let k = 0; k < curve.count; k++) {
    const slot = whole.next();
    if (!slot) throw new RangeError(`the fleet made no sync for a year of virtual time after arrival ${k}: it has no phones that sync`);
    while (k >= nextSecondAt && sec + 1 < seconds) nextSecondAt += targetPerSecond[++sec]!;
    if (!keep(slot.phone)) continue;
    mine[sec]!++;
    count++;
  }
  return { shape, prelude: [], arrivals: new RateArrivals(curve, natural, count, keep), targetPerSecond: mine, durationMs: curve.durationMs, describe, planArrivals: curve.count };
}

/** A piecewise-linear rate over real time: Λ and its inverse. */
class RateCurve {
  readonly stages: ReadonlyArray<{ from: number; to: number; ms: number; offsetMs: number; carried: number; total: number }>;
  readonly durationMs: number;
  /** Arrivals in the whole curve. */
  readonly count: number;

  constructor(stages: ReadonlyArray<{ from: number; to: number; ms: number }>) {
    let offsetMs = 0;
    let carried = 0;
    this.stages = stages.map(({ from, to, ms }) => {
      const total = ((from + to) / 2) * (ms / 1000);
      const st = { from, to, ms, offsetMs, carried, total };
      offsetMs += ms;
      carried += total;
      return st;
    });
    this.durationMs = offsetMs;
    this.count = Math.max(0, Math.ceil(carried - 1e-9));
  }

  /** Arrivals intended before real time `ms`: #{k : Λ⁻¹(k) < ms}. */
  countBefore(ms: number): number {
    let lambda = 0;
    for (const st of this.stages) {
      if (ms <= st.offsetMs) break;
      const t = Math.min(ms - st.offsetMs, st.ms) / 1000;
      const T = st.ms / 1000;
      lambda = st.carried + st.from * t + ((st.to - st.from) / (2 * T)) * t * t;
    }
    return Math.min(this.count, Math.max(0, Math.ceil(lambda - 1e-9)));
  }

  /** Λ⁻¹(k) in ms; `stage` is a hint (the stage of the previous call) and is returned updated. */
  timeOf(k: number, stage: number): { ms: number; stage: number } {
    let j = stage;
    while (j + 1 < this.stages.length && k >= this.stages[j]!.carried + this.stages[j]!.total - 1e-9) j++;
    const st = this.stages[j]!;
    const need = k - st.carried;
    const T = st.ms / 1000;
    const a = (st.to - st.from) / (2 * T);
    const t = Math.abs(a) < 1e-12 ? need / st.from : (-st.from + Math.sqrt(st.from * st.from + 4 * a * need)) / (2 * a);
    return { ms: st.offsetMs + t * 1000, stage: j };
  }
}

/** Arrivals of a {@link RateCurve}, their phones and virtual times taken from the fleet's natural syncs, a window at a time. */
class RateArrivals implements ArrivalSource {
  static readonly WINDOW = 8192;
  readonly count: number;
  #base = 0;
  #len = 0;
  #realMs = new Float64Array(RateArrivals.WINDOW * 2);
  #phone = new Uint32Array(RateArrivals.WINDOW * 2);
  #vt = new Uint32Array(RateArrivals.WINDOW * 2);
  #released = 0;
  #stage = 0;
  #firstVt = -1;
  #lastVt = -1;
  /** Arrivals of the whole curve taken so far (a shard skips those of other shards' phones). */
  #k = 0;

  /** `count` and `keep`: a shard's arrivals, those of the whole curve whose phone `keep` accepts (`count` of them). */
  constructor(
    readonly curve: RateCurve,
    readonly natural: NaturalSyncs,
    count = curve.count,
    readonly keep?: (phone: number) => boolean,
  ) {
    this.count = count;
  }

  get horizon(): number {
    // Refill in batches: once fewer than half a window of arrivals lie ahead of the last release.
    if (this.#base + this.#len < this.count && this.#base + this.#len - this.#released < RateArrivals.WINDOW / 2) this.#fill();
    return this.#base + this.#len - 1;
  }
  realMs(i: number): number {
    return this.#realMs[this.#at(i)]!;
  }
  phone(i: number): number {
    return this.#phone[this.#at(i)]!;
  }
  vt(i: number): number {
    return this.#vt[this.#at(i)]!;
  }
  release(i: number): void {
    if (i > this.#released) this.#released = i;
  }
  virtualSpanS(): number {
    return this.#firstVt < 0 ? 0 : Math.max(1, this.#lastVt - this.#firstVt);
  }

  #at(i: number): number {
    if (i < this.#base || i < this.#released) throw new RangeError(`arrival ${i} was already released (window starts at ${Math.max(this.#base, this.#released)})`);
    if (i >= this.count) throw new RangeError(`arrival ${i} is past the last (${this.count})`);
    if (i >= this.#base + this.#len) this.#fill();
    if (i >= this.#base + this.#len) throw new RangeError(`arrival ${i} is more than a window (${RateArrivals.WINDOW}) ahead of the last released, ${this.#released}`);
    return i - this.#base;
  }

  /** Generate up to a window past the last release, first dropping released arrivals when the buffer (two windows) would overflow: at most once a window. */
  #fill(): void {
    const end = Math.min(this.count, this.#released + RateArrivals.WINDOW);
    if (end - this.#base > this.#realMs.length) {
      const drop = this.#released - this.#base;
      this.#realMs.copyWithin(0, drop, this.#len);
      this.#phone.copyWithin(0, drop, this.#len);
      this.#vt.copyWithin(0, drop, this.#len);
      this.#base += drop;
      this.#len -= drop;
    }
    while (this.#base + this.#len < end) {
      const k = this.#k++;
      if (k >= this.curve.count) throw new RangeError(`arrival ${this.#base + this.#len} of ${this.count} is past the curve's ${this.curve.count} arrivals: the shard's count does not match its phones`);
      const slot = this.natural.next();
      if (!slot) throw new RangeError(`the fleet made no sync for a year of virtual time after arrival ${k}: it has no phones that sync`);
      if (this.keep && !this.keep(slot.phone)) continue;
      const t = this.curve.timeOf(k, this.#stage);
      this.#stage = t.stage;
      this.#realMs[this.#len] = t.ms;
      this.#phone[this.#len] = slot.phone;
      this.#vt[this.#len] = slot.vt;
      if (this.#firstVt < 0) this.#firstVt = slot.vt;
      this.#lastVt = slot.vt;
      this.#len++;
    }
  }
}

/** Arrivals held whole in typed arrays: shapes whose size is bounded by the fleet (a day, a herd, a backlog). */
class FixedArrivals implements ArrivalSource {
  readonly count: number;
  constructor(
    readonly realMsOf: Float64Array,
    readonly phoneOf: Uint32Array,
    readonly vtOf: Uint32Array,
  ) {
    this.count = realMsOf.length;
  }
  get horizon(): number {
    return this.count - 1;
  }
  realMs(i: number): number {
    return this.realMsOf[i]!;
  }
  phone(i: number): number {
    return this.phoneOf[i]!;
  }
  vt(i: number): number {
    return this.vtOf[i]!;
  }
  release(): void {}
  virtualSpanS(): number {
    return this.count > 0 ? Math.max(1, this.vtOf[this.count - 1]! - this.vtOf[0]!) : 0;
  }
}

/** The schedule of a whole plan's arrivals (`slots` at `realMs`); with `keep`, a shard's: the arrivals and prelude syncs of its phones. */
function finish(shape: ResolvedArrival['shape'], prelude: SyncSlot[], slots: SyncSlot[], realMs: number[], durationMs: number, describe: string, keep?: (phone: number) => boolean): Schedule {
  const n = slots.length;
  const order = Array.from({ length: n }, (_, i) => i);
  // Stable by real time; ties keep the simulation's order.
  order.sort((x, y) => realMs[x]! - realMs[y]! || x - y);
  const kept = keep ? order.filter((i) => keep(slots[i]!.phone)) : order;
  const a = new FixedArrivals(new Float64Array(kept.length), new Uint32Array(kept.length), new Uint32Array(kept.length));
  const seconds = Math.max(1, Math.ceil(durationMs / 1000));
  const targetPerSecond = new Array<number>(seconds).fill(0);
  kept.forEach((from, to) => {
    a.realMsOf[to] = realMs[from]!;
    a.phoneOf[to] = slots[from]!.phone;
    a.vtOf[to] = slots[from]!.vt;
    targetPerSecond[Math.min(seconds - 1, Math.floor(realMs[from]! / 1000))]!++;
  });
  return { shape, prelude: keep ? prelude.filter((s) => keep(s.phone)) : prelude, arrivals: a, targetPerSecond, durationMs, describe, planArrivals: n };
}

/** n arrivals over `ms`, most at once: the density falls linearly to zero (arrival k at ms·(1 − √(1 − k/n))). */
function spread(n: number, ms: number): number[] {
  return Array.from({ length: n }, (_, k) => ms * (1 - Math.sqrt(1 - k / n)));
}

/** The first virtual time after the fleet's start that is `sod` seconds after a midnight. */
function nextOccurrence(fleet: Fleet, sod: number): number {
  let t = fleet.dayZeroS + sod;
  while (t <= fleet.startS) t += 86_400;
  return t;
}

function seededOrder(seed: number, items: number[]): number[] {
  return items.map((p) => ({ p, k: keyedDraw(seed, p) })).sort((a, b) => a.k - b.k || a.p - b.p).map((x) => x.p);
}

function hhmm(sod: number): string {
  return `${String(Math.floor(sod / 3600)).padStart(2, '0')}:${String(Math.floor((sod % 3600) / 60)).padStart(2, '0')}`;
}
