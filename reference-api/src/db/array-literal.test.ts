import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pg from 'pg';
import { byteaArray, numberArray, textArray } from './array-literal.ts';

// What node-postgres itself sends for the same arrays: both must mean the same to PostgreSQL.
const { prepareValue } = (pg as unknown as { utils: { prepareValue(v: unknown): string } }).utils;

describe('array literals', () => {
  it('numbers, booleans and nulls', () => {
    expect(numberArray([1, -2, 9007199254740991, null])).toBe('{1,-2,9007199254740991,NULL}');
    expect(numberArray([true, false])).toBe('{t,f}');
    expect(numberArray([])).toBe('{}');
    expect(() => numberArray([NaN])).toThrow(/not a finite number/);
  });

  it('text is quoted, and quotes and backslashes are escaped', () => {
    expect(textArray(['1.2.3', null, 'a"b\\c', 'x y', ''])).toBe('{"1.2.3",NULL,"a\\"b\\\\c","x y",""}');
  });

  it('bytea in hex, including a view into a larger buffer', () => {
    const big = Buffer.from([0, 1, 2, 0xff, 4]);
    expect(byteaArray([big.subarray(1, 4), Buffer.alloc(0)])).toBe('{\\\\x0102ff,\\\\x}');
  });

  it('agrees with node-postgres for any text and byte values', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null })), fc.array(fc.uint8Array()), (texts, bytes) => {
        expect(textArray(texts)).toBe(prepareValue(texts));
        expect(byteaArray(bytes)).toBe(prepareValue(bytes.map((b) => Buffer.from(b))));
      }),
    );
  });
});
