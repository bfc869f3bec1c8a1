/** A root seed: an unsigned 64-bit integer, as a number (up to 2^53 - 1), a bigint, or a decimal or `0x` hex string. */
export type SeedInput = number | bigint | string;

const U64_MAX = (1n << 64n) - 1n;
const MASK_53 = (1n << 53n) - 1n;

/** What a seed must be, for error messages. */
export const SEED_EXPECTED = 'an unsigned 64-bit integer: a number up to 2^53 - 1, a bigint, or a decimal or 0x-hex string up to 18446744073709551615';

/** The canonical decimal string of a seed, or `undefined` when `input` is not a u64. */
export function parseSeed(input: unknown): string | undefined {
  let v: bigint;
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return undefined;
    v = BigInt(input);
  } else if (typeof input === 'bigint') {
    v = input;
  } else if (typeof input === 'string' && (/^\d{1,20}$/.test(input) || /^0x[0-9a-f]{1,16}$/i.test(input))) {
    v = BigInt(input);
  } else {
    return undefined;
  }
  return v >= 0n && v <= U64_MAX ? v.toString() : undefined;
}

/**
 * The simulator's root seed (an integer below 2^53, see simulators/seed.ts) for a u64
 * scenario seed. Seeds below 2^53 map to themselves, so `--seed 42` means the same fleet
 * to the scenario runner and to `bench:fleet`; larger ones fold their top 11 bits into the
 * low ones (xor), so seeds that differ only above bit 53 still give different fleets.
 */
export function fleetSeed(seed: string): number {
  const s = BigInt(seed);
  return Number(s <= MASK_53 ? s : (s ^ (s >> 53n)) & MASK_53);
}
