import type { ProductLine } from './product-line.ts';

export { PRODUCT_LINES, isProductLine, type ProductLine } from './product-line.ts';

/**
 * Brush-head ids are 48 opaque bits read over NFC. The hardware format is
 * frozen and has no version, manufacturer or lot field, so the platform infers
 * what a head is from the block of ids the factory allocated it from. Heads
 * whose id falls in no known block are `'unknown'`: kept, never dropped.
 */
export const HEAD_TYPES = Object.freeze([
  'adult-clean',
  'adult-sensitive',
  'adult-whitening',
  'kids',
  'interdental-tip',
] as const);

export type HeadType = (typeof HEAD_TYPES)[number];

/** One factory allocation: ids `from..to` inclusive are heads of `type`, which fit `productLines`. */
export interface HeadIdRange {
  readonly from: number;
  readonly to: number;
  readonly type: HeadType;
  readonly productLines: readonly ProductLine[];
}

/** Largest head id: 2^48 - 1. */
export const HEAD_ID_MAX = 0xffff_ffff_ffff;

/**
 * The side table, sorted by `from`, non-overlapping. Gaps are deliberate: ids
 * in them were never allocated (0 is what a blank NFC tag reads as).
 *
 * | from             | to               | type            | fits                    | note                          |
 * | ---------------- | ---------------- | --------------- | ----------------------- | ----------------------------- |
 * | 0x1000_0000_0000 | 0x1fff_ffff_ffff | adult-clean     | adult-brush, kids-brush | first production block        |
 * | 0x2000_0000_0000 | 0x27ff_ffff_ffff | adult-sensitive | adult-brush, kids-brush |                               |
 * | 0x2800_0000_0000 | 0x2bff_ffff_ffff | adult-whitening | adult-brush             |                               |
 * | 0x3000_0000_0000 | 0x33ff_ffff_ffff | adult-clean     | adult-brush, kids-brush | second block, later factory   |
 * | 0x4000_0000_0000 | 0x47ff_ffff_ffff | kids            | kids-brush              | compact head, kids mount only |
 * | 0x6000_0000_0000 | 0x60ff_ffff_ffff | interdental-tip | interdental             |                               |
 *
 * Adding a block is a contract change: insert it in `from` order, never overlapping.
 */
export const HEAD_ID_RANGES: readonly HeadIdRange[] = Object.freeze([
  range(0x1000_0000_0000, 0x1fff_ffff_ffff, 'adult-clean', ['adult-brush', 'kids-brush']),
  range(0x2000_0000_0000, 0x27ff_ffff_ffff, 'adult-sensitive', ['adult-brush', 'kids-brush']),
  range(0x2800_0000_0000, 0x2bff_ffff_ffff, 'adult-whitening', ['adult-brush']),
  range(0x3000_0000_0000, 0x33ff_ffff_ffff, 'adult-clean', ['adult-brush', 'kids-brush']),
  range(0x4000_0000_0000, 0x47ff_ffff_ffff, 'kids', ['kids-brush']),
  range(0x6000_0000_0000, 0x60ff_ffff_ffff, 'interdental-tip', ['interdental']),
]);

function range(from: number, to: number, type: HeadType, productLines: ProductLine[]): HeadIdRange {
  return Object.freeze({ from, to, type, productLines: Object.freeze(productLines) });
}

/** The gaps between ranges: ids no block covers. Derived once, sorted. */
const UNKNOWN_GAPS: readonly { from: number; to: number }[] = (() => {
  const gaps: { from: number; to: number }[] = [];
  let next = 0;
  for (const r of HEAD_ID_RANGES) {
    if (r.from > next) gaps.push({ from: next, to: r.from - 1 });
    next = r.to + 1;
  }
  if (next <= HEAD_ID_MAX) gaps.push({ from: next, to: HEAD_ID_MAX });
  return gaps;
})();

/** The range that covers `headId`, or undefined. Binary search. Throws a RangeError when `headId` is not a 48-bit id. */
export function findHeadIdRange(headId: number): HeadIdRange | undefined {
  if (!Number.isInteger(headId) || headId < 0 || headId > HEAD_ID_MAX) {
    throw new RangeError(`headId must be an integer in 0..${HEAD_ID_MAX} (48 bits), got ${String(headId)}`);
  }
  let lo = 0;
  let hi = HEAD_ID_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = HEAD_ID_RANGES[mid]!;
    if (headId < r.from) hi = mid - 1;
    else if (headId > r.to) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/** The head type the side table gives `headId`, or `'unknown'`. */
export function inferHeadType(headId: number): HeadType | 'unknown' {
  return findHeadIdRange(headId)?.type ?? 'unknown';
}

/**
 * A deterministic head id that no range covers, for simulating third-party or
 * future heads. Distinct `n` (non-negative integers below 2^32) give distinct
 * ids, spread over every gap of the table.
 */
export function unknownHeadIdExample(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new RangeError(`n must be an integer in 0..4294967295, got ${String(n)}`);
  }
  const gap = UNKNOWN_GAPS[n % UNKNOWN_GAPS.length]!;
  const k = Math.floor(n / UNKNOWN_GAPS.length);
  // Every gap is at least 2^32 ids wide, and mix32 is a bijection on u32.
  return gap.from + (mix32(k) % (gap.to - gap.from + 1));
}

/** A bijective u32 mixer (the murmur3 finalizer), so examples scatter over the gap. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
