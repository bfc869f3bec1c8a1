import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  HEAD_ID_MAX,
  HEAD_ID_RANGES,
  HEAD_TYPES,
  PRODUCT_LINES,
  findHeadIdRange,
  inferHeadType,
  isProductLine,
  unknownHeadIdExample,
} from './head-id.ts';

const linearScan = (id: number) => HEAD_ID_RANGES.find((r) => r.from <= id && id <= r.to)?.type ?? 'unknown';

/** Ids near every range boundary, where an off-by-one would show. */
const edges = HEAD_ID_RANGES.flatMap((r) => [r.from - 1, r.from, r.from + 1, r.to - 1, r.to, r.to + 1]).filter(
  (id) => id >= 0 && id <= HEAD_ID_MAX,
);
const headIdArb = fc.oneof(
  fc.bigInt({ min: 0n, max: BigInt(HEAD_ID_MAX) }).map(Number),
  fc.constantFrom(0, HEAD_ID_MAX, ...edges),
);

describe('head id side table', () => {
  it('is sorted, non-overlapping, inside 48 bits, with known types and product lines', () => {
    let previousTo = -1;
    for (const r of HEAD_ID_RANGES) {
      expect(r.from).toBeGreaterThan(previousTo);
      expect(r.to).toBeGreaterThanOrEqual(r.from);
      expect(r.to).toBeLessThanOrEqual(HEAD_ID_MAX);
      expect(HEAD_TYPES).toContain(r.type);
      expect(r.productLines.length).toBeGreaterThan(0);
      expect(r.productLines.every(isProductLine)).toBe(true);
      previousTo = r.to;
    }
    expect(new Set(HEAD_ID_RANGES.map((r) => r.type))).toEqual(new Set(HEAD_TYPES));
    expect(PRODUCT_LINES.every((line) => HEAD_ID_RANGES.some((r) => r.productLines.includes(line)))).toBe(true);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(HEAD_ID_RANGES)).toBe(true);
    expect(HEAD_ID_RANGES.every((r) => Object.isFrozen(r) && Object.isFrozen(r.productLines))).toBe(true);
  });

  it('binary search agrees with a linear scan', () => {
    fc.assert(
      fc.property(headIdArb, (id) => {
        expect(inferHeadType(id)).toBe(linearScan(id));
      }),
      { numRuns: 5000 },
    );
    for (const id of edges) expect(inferHeadType(id)).toBe(linearScan(id));
  });

  it('infers documented examples', () => {
    expect(inferHeadType(0)).toBe('unknown');
    expect(inferHeadType(0x1000_0000_0000)).toBe('adult-clean');
    expect(inferHeadType(0x3000_0000_0001)).toBe('adult-clean');
    expect(inferHeadType(0x4000_dead_beef)).toBe('kids');
    expect(inferHeadType(0x60ff_ffff_ffff)).toBe('interdental-tip');
    expect(inferHeadType(HEAD_ID_MAX)).toBe('unknown');
    expect(findHeadIdRange(0x2800_0000_0000)?.productLines).toEqual(['adult-brush']);
  });

  it.each([-1, HEAD_ID_MAX + 1, 1.5, Number.NaN])('rejects %d as a head id', (bad) => {
    expect(() => inferHeadType(bad)).toThrow(`headId must be an integer in 0..${HEAD_ID_MAX} (48 bits), got ${bad}`);
  });
});

describe('unknownHeadIdExample', () => {
  it('gives valid ids that no range covers, deterministically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        const id = unknownHeadIdExample(n);
        expect(Number.isInteger(id) && id >= 0 && id <= HEAD_ID_MAX).toBe(true);
        expect(inferHeadType(id)).toBe('unknown');
        expect(linearScan(id)).toBe('unknown');
        expect(unknownHeadIdExample(n)).toBe(id);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives distinct ids for distinct n', () => {
    const ids = new Set(Array.from({ length: 20_000 }, (_, n) => unknownHeadIdExample(n)));
    expect(ids.size).toBe(20_000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff }), (a, b) => {
        fc.pre(a !== b);
        expect(unknownHeadIdExample(a)).not.toBe(unknownHeadIdExample(b));
      }),
    );
  });

  it.each([-1, 2 ** 32, 0.5])('rejects n = %d', (bad) => {
    expect(() => unknownHeadIdExample(bad)).toThrow(RangeError);
  });
});
