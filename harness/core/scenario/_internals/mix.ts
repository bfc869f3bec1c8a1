import type { ProductMix } from '../types.ts';

/** The household knobs of the fleet simulator that decide who owns which device. */
export interface HouseholdShape {
  peopleWeights: readonly number[];
  secondAdultProbability: number;
  maxDevices: number;
}

/** The three ownership chances the mix is mapped onto. */
export interface OwnershipKnobs {
  adultOwnsBrush: number;
  childOwnsBrush: number;
  adultOwnsInterdental: number;
}

const LINES = ['adultBrush', 'kidsBrush', 'interdental'] as const;
const ADULT = 0;
const KIDS = 1;
const INTERDENTAL = 2;

/**
 * Expected devices per household of each line, exactly as simulators/fleet.ts lays
 * households out: 1–4 people, one or two adults, each adult a brush (and maybe an
 * interdental), each child a kids' brush; a household owning nothing gets an adult brush;
 * at most `maxDevices`, in person order.
 */
export function expectedPerHousehold(shape: HouseholdShape, k: OwnershipKnobs): [number, number, number] {
  const total = shape.peopleWeights.reduce((a, b) => a + b, 0);
  const out: [number, number, number] = [0, 0, 0];
  shape.peopleWeights.forEach((weight, i) => {
    const people = i + 1;
    const adultsCases: [number, number][] = people === 1 ? [[1, 1]] : [[2, shape.secondAdultProbability], [1, 1 - shape.secondAdultProbability]];
    for (const [adults, pAdults] of adultsCases) {
      // Ownership slots in the simulator's order: per person, brush then (adults) interdental.
      const slots: [line: number, p: number][] = [];
      for (let person = 0; person < people; person++) {
        if (person < adults) slots.push([ADULT, k.adultOwnsBrush], [INTERDENTAL, k.adultOwnsInterdental]);
        else slots.push([KIDS, k.childOwnsBrush]);
      }
      for (let bits = 0; bits < 1 << slots.length; bits++) {
        let p = (weight / total) * pAdults;
        const owned: number[] = [];
        slots.forEach(([line, q], s) => {
          if (bits & (1 << s)) {
            p *= q;
            owned.push(line);
          } else p *= 1 - q;
        });
        if (p === 0) continue;
        if (owned.length === 0) owned.push(ADULT);
        for (const line of owned.slice(0, shape.maxDevices)) out[line as 0 | 1 | 2] += p;
      }
    }
  });
  return out;
}

/** The product mix (shares summing to 1) that `k` produces. */
export function mixOf(shape: HouseholdShape, k: OwnershipKnobs): ProductMix {
  const e = expectedPerHousehold(shape, k);
  const sum = e[0] + e[1] + e[2];
  return { adultBrush: e[0] / sum, kidsBrush: e[1] / sum, interdental: e[2] / sum };
}

/**
 * Ownership knobs whose expected mix is closest to `target` (normalized shares), keeping
 * devices per household near `defaults`' where the clamps to [0, 1] allow. `error` is the
 * largest absolute difference between a share reached and its target.
 */
export function solveMix(target: ProductMix, shape: HouseholdShape, defaults: OwnershipKnobs): { knobs: OwnershipKnobs; reached: ProductMix; error: number } {
  const t = [target.adultBrush, target.kidsBrush, target.interdental];
  const start = expectedPerHousehold(shape, defaults);
  let perHousehold = start[0] + start[1] + start[2];
  let p = [defaults.adultOwnsBrush, defaults.childOwnsBrush, defaults.adultOwnsInterdental];
  const knobs = (v: number[]): OwnershipKnobs => ({ adultOwnsBrush: v[0]!, childOwnsBrush: v[1]!, adultOwnsInterdental: v[2]! });
  for (let iteration = 0; iteration < 400; iteration++) {
    const e = expectedPerHousehold(shape, knobs(p));
    p = p.map((v, j) => {
      if (t[j] === 0) return 0;
      if (e[j] === 0) return Math.max(v, 0.05);
      return Math.min(1, (v === 0 ? 0.05 : v) * ((t[j]! * perHousehold) / e[j]!));
    });
    // A line capped at 1 that still falls short: aim lower overall, keeping the shares.
    const after = expectedPerHousehold(shape, knobs(p));
    let shrink = 1;
    for (let j = 0; j < 3; j++) if (t[j]! > 0 && p[j] === 1) shrink = Math.min(shrink, after[j]! / (t[j]! * perHousehold));
    if (shrink < 1) perHousehold *= shrink;
  }
  const rounded = p.map((v) => Math.round(v * 1e9) / 1e9);
  const reached = mixOf(shape, knobs(rounded));
  const error = Math.max(...LINES.map((line, j) => Math.abs(reached[line] - t[j]!)));
  return { knobs: knobs(rounded), reached, error };
}
