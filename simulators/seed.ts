import prand from 'pure-rand';
import { SimulatorError } from './errors.ts';

/**
 * One root seed per run; every household, phone and device derives its own
 * child seed from it, so a part of the world can be rebuilt alone (device 41 of
 * a million without the 40 before it).
 *
 * Two kinds of randomness, both seeded, neither reading a clock:
 * - sequential draws with pure-rand's xoroshiro128+ (`createRng`), for building
 *   a household once;
 * - counter-based draws (`draw`): a hash of (root seed, topic, index, counter…),
 *   for the hot paths that ask "did device d brush on the morning of day 12?"
 *   a million times a day without keeping a generator per device. Same inputs,
 *   same answer, in any order.
 */
export const SEED_KINDS = Object.freeze({
  fleet: 0x01,
  household: 0x02,
  phone: 0x03,
  device: 0x04,
  identity: 0x05,
});
export type SeedKind = keyof typeof SEED_KINDS;

const TWO_32 = 0x1_0000_0000;

/** Validates a root seed: an integer in [0, 2^53). */
export function checkSeed(seed: unknown, field = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new SimulatorError('FLEETBED_SEED_INVALID', `${field} must be an integer in [0, 2^53), got ${JSON.stringify(seed)}.`);
  }
  return seed;
}

/** The root seed as two u32 words [low, high]. */
export function seedWords(seed: number): [lo: number, hi: number] {
  checkSeed(seed);
  return [seed % TWO_32 >>> 0, Math.floor(seed / TWO_32) >>> 0];
}

/** The u32 child seed of the `index`-th thing of `kind` under `rootSeed`. */
export function childSeed(rootSeed: number, kind: SeedKind, index: number): number {
  const [lo, hi] = seedWords(rootSeed);
  return hash5(lo, hi, SEED_KINDS[kind], index >>> 0, Math.floor(index / TWO_32) >>> 0);
}

/** A pure-rand xoroshiro128+ generator (mutable, fast) seeded with a u32. */
export function createRng(seed: number): prand.RandomGenerator {
  return prand.xoroshiro128plus(seed | 0);
}

/** An integer in [min, max] drawn from `rng` (advances it). */
export function rngInt(rng: prand.RandomGenerator, min: number, max: number): number {
  return prand.unsafeUniformIntDistribution(min, max, rng);
}

/** A float in [0, 1) drawn from `rng` (advances it; 32 bits of resolution). */
export function rngUnit(rng: prand.RandomGenerator): number {
  return (rng.unsafeNext() >>> 0) / TWO_32;
}

/** Picks an index with probability proportional to `weights[i]`. */
export function rngWeighted(rng: prand.RandomGenerator, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rngUnit(rng) * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

// --- counter-based draws -----------------------------------------------------

/** murmur3's body step. */
function round(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e_2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b87_3593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe654_6b64) | 0;
}

/** murmur3's finalizer: a bijection on u32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A u32 hash of five u32 words. */
export function hash5(a: number, b: number, c: number, d: number, e: number): number {
  let h = 0x9e37_79b9;
  h = round(h, a);
  h = round(h, b);
  h = round(h, c);
  h = round(h, d);
  h = round(h, e);
  return fmix32(h ^ 20);
}

/**
 * A counter-based random source bound to one root seed. `u32(topic, a, b)` is a
 * pure function of its arguments; `unit` maps it to [0, 1).
 */
export class Draw {
  readonly lo: number;
  readonly hi: number;

  constructor(rootSeed: number) {
    [this.lo, this.hi] = seedWords(rootSeed);
  }

  /** A u32 for (topic, a, b). Arguments are truncated to u32; pass small non-negative integers. */
  u32(topic: number, a: number, b: number): number {
    return hash5(this.lo, this.hi, topic, a, b);
  }

  /** A float in [0, 1) for (topic, a, b). */
  unit(topic: number, a: number, b: number): number {
    return hash5(this.lo, this.hi, topic, a, b) / TWO_32;
  }
}
