import fc from 'fast-check';

/**
 * Hostile values that fit no schema in particular: wrong types, boundary and
 * imprecise numbers, strings that break parsers, encoders and databases
 * (NUL, lone surrogates, overlong, RTL and zero-width characters), deep
 * nesting. The schema walker (schema-arbitrary.ts) mixes them into every
 * field; they are shared here so the request builder can use them as raw
 * path, query and header values too.
 */

/** Strings that have broken real parsers, encoders and databases. */
export const NASTY_STRINGS: readonly string[] = Object.freeze([
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  '\u202e\u0041\u0042',
  '\u200b',
  '😀'.repeat(3),
  'e\u0301',
  '\u{10ffff}',
  '\\',
  '"',
  "'; DROP TABLE accounts; --",
  '%00',
  '%',
  '%ZZ',
  '../..',
  '..%2f..',
  '\r\n',
  'null',
  'undefined',
  'true',
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0',
  '00',
  '01',
  '1e3',
  '1e999',
  '0x10',
  '-1',
  '4294967296',
  '9007199254740992',
  '18446744073709551616',
  ' 1',
  '1 ',
  '+1',
  '1.0',
  '__proto__',
  'constructor',
  '{}',
  '[]',
  '$(whoami)',
  '<script>alert(1)</script>',
]);

/** Numbers at or past the edges every schema's number range ends at. */
export const EDGE_NUMBERS: readonly number[] = Object.freeze([
  0,
  -0,
  -1,
  0.5,
  -0.5,
  1e-300,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64,
  -(2 ** 53),
  1e21,
  1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  8_640_000_000_000_001,
]);

/** A string of `n` copies of `unit` (n may be past any limit: 64 KiB, past the 1 MiB body limit). */
export function repeated(unit: string, n: number): string {
  return unit.repeat(Math.max(0, Math.ceil(n / unit.length))).slice(0, n);
}

/** Strings of any code point, lone surrogates included (fast-check's "binary" units). */
export const unicodeString = fc.string({ unit: 'binary', maxLength: 40 });

/** A short string, often nasty. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: unicodeString },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
  { weight: 1, arbitrary: fc.constantFrom(1025, 4097, 65_537).map((n) => repeated('A', n)) },
);

/** Arrays or objects nested `depth` deep. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** A value of the wrong type for almost any field. */
export const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -0, 1.5, -1, 1e308, '', [], {}, [null], { '': null }),
  fc.constantFrom(...EDGE_NUMBERS),
  hostileString,
  fc.constantFrom(64, 900).chain((d) => fc.constantFrom(deeplyNested(d, 'array'), deeplyNested(d, 'object'))),
  fc.jsonValue({ maxDepth: 3 }),
);

/**
 * Raw JSON texts no encoder would write: not JSON at all, numbers JSON.stringify
 * cannot make, a byte-order mark, duplicate and prototype keys, deep nesting.
 */
export const RAW_JSON_TEXTS: readonly string[] = Object.freeze([
  '',
  ' ',
  '{',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  'null',
  '[]',
  '"just a string"',
  '0',
  '-0',
  'NaN',
  '1e999',
  '\ufeff{}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '\u0000',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `{"a":"${repeated('x', 1_100_000)}"}`,
]);

/** Number tokens JSON allows (or almost allows) that JSON.stringify never writes. */
export const RAW_NUMBER_TOKENS: readonly string[] = Object.freeze(['-0', '1e999', '-1e999', '1.0', '1E2', '0.1e1', '9007199254740993', '1e-400', '01', '.5', 'NaN', '"1"', 'null', '[]', '{}']);
