import { describe, expect, it } from 'vitest';
import { createFleet } from '../../../simulators/fleet.ts';
import { buildSchedule, type Schedule } from './arrivals.ts';
import { resolveLoadPlan } from './resolve-load-plan.ts';
import type { ResolvedArrival } from './types.ts';

/**
 * `fleetbed load --shard i/n`: each shard plays the whole plan's schedule, keeping the
 * arrivals of its own phones. The shards' arrivals must partition the plan's — same
 * arrivals, each once, at the same intended times — so their rates add up exactly to the
 * plan's, second by second, and each household sees the same syncs in the same order.
 */
const START_S = 1_767_225_600; // the reference API's clock on a fresh database
const SEED = 11;
const DEVICES = 400;

const arrival = (a: unknown): ResolvedArrival => resolveLoadPlan({ name: 'p', description: 'd', arrival: a }).arrival;
const schedule = (a: ResolvedArrival, index: number, count: number): Schedule => buildSchedule(createFleet({ seed: SEED, devices: DEVICES, shard: { index, count } }, START_S), a, SEED);

/** Every measured arrival as `realMs phone vt`, in dispatch order. */
function arrivals(s: Schedule): string[] {
  const a = s.arrivals;
  const out: string[] = [];
  for (let i = 0; i < a.count; i++) {
    if (i > a.horizon) a.release(i);
    out.push(`${a.realMs(i).toFixed(6)} ${a.phone(i)} ${a.vt(i)}`);
  }
  return out;
}

const sum = (xs: readonly number[]) => xs.reduce((x, y) => x + y, 0);

const SHAPES: Array<[string, ResolvedArrival]> = [
  ['constant 50/s for 20 s', arrival({ shape: 'constant', rate: 50, duration: '20s' })],
  ['constant 33.3/s for 7 s (a fractional rate)', arrival({ shape: 'constant', rate: 33.3, duration: '7s' })],
  ['ramping 10 → 200 → 10', arrival({ shape: 'ramping', startRate: 10, stages: [{ target: 200, duration: '5s' }, { target: 200, duration: '3s' }, { target: 10, duration: '4s' }] })],
  ['fleet-day', arrival({ shape: 'fleet-day', days: 1, compress: 1440 })],
  ['thundering-herd', arrival({ shape: 'thundering-herd', over: '10s', share: 0.7 })],
  ['outage-backlog', arrival({ shape: 'outage-backlog', hours: 4, over: '5s', afterHours: 1, compress: 720 })],
];

describe('a sharded load plan: the shards’ arrivals partition the plan’s', () => {
  describe.each(SHAPES)('%s', (_name, a) => {
    const whole = schedule(a, 1, 1);
    const wholeArrivals = arrivals(whole);

    it.each([1, 2, 3, 7])('%i shard(s): counts, per-second rates, arrivals and prelude add up to the whole plan', (count) => {
      const shards = Array.from({ length: count }, (_, i) => schedule(a, i + 1, count));
      expect(whole.arrivals.count).toBeGreaterThan(0);
      // Counts: the shares add up to exactly the plan's arrivals, so the rates to exactly the plan's rate.
      expect(sum(shards.map((s) => s.arrivals.count))).toBe(whole.arrivals.count);
      for (const s of shards) expect(s.planArrivals).toBe(whole.arrivals.count);
      for (const s of shards) expect(s.durationMs).toBe(whole.durationMs);
      // Second by second.
      for (const s of shards) expect(s.targetPerSecond.length).toBe(whole.targetPerSecond.length);
      expect(whole.targetPerSecond.map((_, sec) => sum(shards.map((s) => s.targetPerSecond[sec]!)))).toEqual(whole.targetPerSecond);
      // The same arrivals, each once, each at the same intended time, phone and virtual time.
      const lists = shards.map(arrivals);
      expect(lists.flat().sort()).toEqual([...wholeArrivals].sort());
      // Each shard's arrivals are its own phones', in the whole plan's order.
      shards.forEach((s, i) => {
        const f = createFleet({ seed: SEED, devices: DEVICES, shard: { index: i + 1, count } }, START_S);
        const mine = wholeArrivals.filter((line) => {
          const phone = Number(line.split(' ')[1]);
          return phone >= f.phoneFrom && phone < f.phoneTo;
        });
        expect(lists[i]).toEqual(mine);
        expect(s.prelude).toEqual(whole.prelude.filter((x) => x.phone >= f.phoneFrom && x.phone < f.phoneTo));
      });
      expect(sum(shards.map((s) => s.prelude.length))).toBe(whole.prelude.length);
    });
  });

  it('a constant rate splits into shares that add up to exactly the plan’s rate', () => {
    const a = arrival({ shape: 'constant', rate: 50, duration: '20s' });
    for (const count of [1, 2, 3, 7]) {
      const shards = Array.from({ length: count }, (_, i) => schedule(a, i + 1, count));
      const rates = shards.map((s) => s.arrivals.count / (s.durationMs / 1000));
      expect(sum(rates), `${count} shards`).toBeCloseTo(50, 12);
      expect(sum(shards.map((s) => s.arrivals.count))).toBe(1000);
      // Each share is its phones' part of the plan's syncs: near its share of the fleet, never empty at this size.
      for (const r of rates) expect(r).toBeGreaterThan(0);
    }
  });
});
