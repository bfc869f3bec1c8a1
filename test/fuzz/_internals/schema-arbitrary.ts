import fc from 'fast-check';
import { EDGE_NUMBERS, hostileString, repeated, unicodeString, wrongTyped } from './hostile.ts';

/**
 * fast-check arbitraries from the JSON Schemas of contract/openapi.ts. Every
 * schema node gives a mix of
 * - valid values, leaning on the edges the schema states: minimum and maximum,
 *   minLength and maxLength, minItems and maxItems, every enum member, the
 *   formats (uuid, email, date-time) and patterns;
 * - values just outside: min − 1, max + 1, one character or item too many or
 *   too few, a near-miss of the format, a required property dropped, an extra
 *   property added;
 * - hostile values of any type (hostile.ts).
 * Each field of an object goes wrong on its own, so most bodies are valid in
 * shape but for one or two fields: the values that reach the handler.
 *
 * `hints` give values the world knows (a real device id, a real account's
 * email, a correctly signed record) by property or parameter name, and whole
 * valid bodies by schema (`#/components/schemas/TokenRequest`); they are drawn
 * as often as the schema's own values.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

export interface SchemaContext {
  /** Resolves `#/components/schemas/Name`. */
  resolve(ref: string): JsonSchema;
  /** World values for a property or parameter name, or undefined. */
  hint(name: string): fc.Arbitrary<unknown> | undefined;
}

/** Weights of the three kinds of value a schema node gives. */
const WEIGHT = Object.freeze({ valid: 6, outside: 2, hostile: 1 });

/** The value a property or parameter called `name` (if any) takes under `schema`. */
export function schemaArbitrary(schema: JsonSchema, ctx: SchemaContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const own = fc.oneof(
    { weight: WEIGHT.valid, arbitrary: validArbitrary(schema, ctx, depth) },
    { weight: WEIGHT.outside, arbitrary: outsideArbitrary(schema, ctx, depth) },
    { weight: WEIGHT.hostile, arbitrary: wrongTyped },
  );
  const hints = [name === undefined ? undefined : ctx.hint(name), typeof schema.$ref === 'string' ? ctx.hint(schema.$ref) : undefined].filter((h) => h !== undefined);
  return hints.length ? fc.oneof({ weight: 1, arbitrary: fc.oneof(...hints) }, { weight: 1, arbitrary: own }) : own;
}

function deref(schema: JsonSchema, ctx: SchemaContext): JsonSchema {
  let s = schema;
  for (let i = 0; typeof s.$ref === 'string' && i < 16; i++) s = { ...ctx.resolve(s.$ref), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  return s;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Values the schema accepts (edges included). */
export function validArbitrary(raw: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  const schema = deref(raw, ctx);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  for (const k of ['oneOf', 'anyOf'] as const) {
    const list = schema[k];
    if (Array.isArray(list) && list.length) return fc.oneof(...list.map((s: JsonSchema) => validArbitrary(s, ctx, depth)));
  }
  const type = schema.type;
  if (Array.isArray(type)) return fc.oneof(...type.map((t: string) => validArbitrary({ ...schema, type: t }, ctx, depth)));
  switch (type) {
    case 'string':
      return validString(schema);
    case 'integer':
    case 'number':
      return validNumber(schema, type === 'integer');
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return validArray(schema, ctx, depth);
    case 'object':
      return validObject(schema, ctx, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** `^[class]*$`: a pattern that only restricts the alphabet (base64url). */
const CHAR_CLASS_ONLY = /^\^\[([^\]]+)\]\*\$$/;

function alphabetOf(charClass: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < charClass.length; i++) {
    const c = charClass[i]!;
    if (charClass[i + 1] === '-' && i + 2 < charClass.length) {
      for (let x = c.charCodeAt(0); x <= charClass.charCodeAt(i + 2); x++) out.push(String.fromCharCode(x));
      i += 2;
    } else out.push(c);
  }
  return out;
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength) ?? Math.max(min, 64);
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined;
  switch (schema.format) {
    case 'uuid':
      return fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'));
    case 'email':
      return fc.oneof(
        fc.emailAddress().filter((e) => e.length <= max),
        fc.constantFrom(`${repeated('a', 64)}@${repeated('b', 63)}.test`, 'a@b.c', 'A@EXAMPLE.TEST'),
      );
    case 'date-time':
      return fc.oneof(
        fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom('1970-01-01T00:00:00Z', '2026-01-01T00:00:00+14:00', '2026-01-01T00:00:00.123456789Z', '9999-12-31T23:59:59Z', '2026-02-28T23:59:60Z'),
      );
  }
  if (pattern) {
    const cls = CHAR_CLASS_ONLY.exec(pattern);
    if (cls) {
      const unit = fc.constantFrom(...alphabetOf(cls[1]!));
      return fc.oneof(fc.string({ unit, minLength: min, maxLength: max }), fc.constantFrom(min, max).chain((n) => fc.string({ unit, minLength: n, maxLength: n })));
    }
    const re = new RegExp(pattern);
    return fc.stringMatching(re).filter((s) => s.length >= min && s.length <= max);
  }
  return fc.oneof(
    fc.string({ minLength: min, maxLength: Math.min(max, min + 32) }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, min + 8) }),
    fc.constant(repeated('a', max)),
    fc.constant(repeated('é', max)),
    fc.constant(repeated('😀', max)).filter((s) => s.length <= max && s.length >= min),
  );
}

function bounds(schema: JsonSchema, integer: boolean): { lo: number; hi: number } {
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  const step = integer ? 1 : Number.EPSILON * 1024;
  const lo = num(schema.minimum) ?? (exMin !== undefined ? exMin + step : integer ? -(2 ** 53 - 1) : -1e12);
  const hi = num(schema.maximum) ?? (exMax !== undefined ? exMax - step : integer ? 2 ** 53 - 1 : 1e12);
  return { lo, hi };
}

function validNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const { lo, hi } = bounds(schema, integer);
  const edges = integer ? [lo, lo + 1, hi - 1, hi].filter((n) => n >= lo && n <= hi) : [lo, hi, (lo + hi) / 2];
  const body = integer ? fc.bigInt({ min: BigInt(Math.ceil(lo)), max: BigInt(Math.floor(hi)) }).map(Number) : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
  return fc.oneof(fc.constantFrom(...edges), body, ...(integer && lo <= 1 && hi >= 1 ? [fc.integer({ min: Math.max(lo, -1000), max: Math.min(hi, 1000) })] : []));
}

function validArray(schema: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown[]> {
  const items = (schema.items as JsonSchema | undefined) ?? {};
  const min = num(schema.minItems) ?? 0;
  const max = num(schema.maxItems) ?? 10;
  const item = schemaArbitrary(items, ctx, undefined, depth + 1);
  // Arrays of one item repeated reach maxItems cheaply (and at 1000 items, the statement limits).
  const full = validArbitrary(items, ctx, depth + 1).map((v) => Array.from({ length: max }, () => v));
  return fc.oneof({ weight: 8, arbitrary: fc.array(item, { minLength: min, maxLength: Math.min(max, min + 4) }) }, { weight: 1, arbitrary: full });
}

function validObject(schema: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const required = (schema.required as string[] | undefined) ?? [];
  const entries = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, schemaArbitrary(s, ctx, k, depth + 1)]));
  const rec = fc.record(entries, { requiredKeys: required.filter((k) => k in props) });
  const minProps = num(schema.minProperties) ?? 0;
  const maxProps = num(schema.maxProperties);
  const extra = schema.additionalProperties;
  // A map (`additionalProperties: {schema}`, `propertyNames`): keys of its own, as many as
  // minProperties asks, a few more, or exactly maxProperties (the edge). Never a filter that
  // the generated values could not pass: an unsatisfiable filter makes fast-check spin for ever.
  if (extra !== null && typeof extra === 'object') {
    const keyMax = Math.max(1, num((schema.propertyNames as JsonSchema | undefined)?.maxLength) ?? 16);
    const key = fc.string({ minLength: 1, maxLength: keyMax }).filter((k) => !(k in props));
    const value = schemaArbitrary(extra as JsonSchema, ctx, undefined, depth + 1);
    const upper = maxProps ?? minProps + 4;
    const counts = [fc.integer({ min: minProps, max: Math.min(upper, minProps + 4) }), ...(maxProps === undefined ? [] : [fc.constant(maxProps)])];
    return fc.tuple(rec, fc.oneof(...counts)).chain(([r, total]) => {
      const want = Math.max(0, total - Object.keys(r).length);
      return fc.uniqueArray(fc.tuple(key, value), { minLength: want, maxLength: want, selector: ([k]) => k }).map((pairs) => ({ ...Object.fromEntries(pairs), ...r }));
    });
  }
  if (maxProps === undefined && minProps === 0) return rec;
  // Declared properties only: keep within the bounds by dropping optional keys, or leave a value
  // the bounds cannot fit (an unsatisfiable schema) as it is.
  return rec.map((o) => {
    const keys = Object.keys(o);
    if (maxProps === undefined || keys.length <= maxProps) return o;
    const optional = keys.filter((k) => !required.includes(k)).slice(0, keys.length - maxProps);
    return Object.fromEntries(Object.entries(o).filter(([k]) => !optional.includes(k)));
  });
}

/** Values just outside what the schema accepts (or of its type but odd). */
export function outsideArbitrary(raw: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  const schema = deref(raw, ctx);
  const near: fc.Arbitrary<unknown>[] = [];
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((v): v is string => typeof v === 'string');
    if (values.length) near.push(fc.constantFrom(...values).chain((v) => fc.constantFrom(v.toUpperCase(), ` ${v}`, `${v}\u0000`, v.slice(0, -1), `${v}x`)));
  }
  switch (schema.type) {
    case 'string': {
      const min = num(schema.minLength);
      const max = num(schema.maxLength);
      if (max !== undefined) near.push(fc.constantFrom(max + 1, max * 4 + 1).map((n) => repeated('A', n)));
      if (min !== undefined && min > 0) near.push(fc.constant(repeated('A', min - 1)));
      if (schema.format === 'uuid') near.push(fc.uuid().chain((u) => fc.constantFrom(u.replaceAll('-', ''), `{${u}}`, `${u}0`, u.slice(1), u.replace(/^./, 'g'), `${u}\u0000`)));
      if (schema.format === 'email') near.push(fc.constantFrom('no-at-sign', '@example.test', 'a@', 'a@@b.test', 'ä@ü.test', 'a\u0000@b.test', `${repeated('a', 250)}@b.test`, 'a b@c.test'));
      if (schema.format === 'date-time') near.push(fc.constantFrom('2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01', '2026-01-01T24:00:00Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '0000-01-01T00:00:00Z', '2026-01-01T00:00:00+25:00', '1767225600', 'now'));
      // A valid value with a NUL, an emoji or padding: the pattern or the database has to refuse it.
      near.push(validString(schema).chain((v) => fc.constantFrom(`${v}\u0000`, `\u0000${v}`, ` ${v}`, `${v}\n`, `${v}😀`, v.normalize('NFD'), `${v}\ud800`)));
      near.push(hostileString, unicodeString);
      break;
    }
    case 'integer':
    case 'number': {
      const { lo, hi } = bounds(schema, schema.type === 'integer');
      near.push(fc.constantFrom(lo - 1, hi + 1, lo - 0.5, hi + 0.5, -0, ...EDGE_NUMBERS));
      if (schema.type === 'integer') near.push(fc.constantFrom(lo + 0.5, 1.5), fc.constantFrom(lo, hi).map(String));
      break;
    }
    case 'boolean':
      near.push(fc.constantFrom(0, 1, 'true', 'false', null));
      break;
    case 'array': {
      const items = (schema.items as JsonSchema | undefined) ?? {};
      const min = num(schema.minItems);
      const max = num(schema.maxItems);
      if (min !== undefined && min > 0) near.push(fc.constant([]));
      if (max !== undefined) near.push(validArbitrary(items, ctx, depth + 1).map((v) => Array.from({ length: max + 1 }, () => v)));
      near.push(fc.array(wrongTyped, { minLength: 1, maxLength: 3 }), fc.constant([[[]]]));
      break;
    }
    case 'object': {
      const props = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
      const required = (schema.required as string[] | undefined) ?? [];
      const base = validObject(schema, ctx, depth);
      if (required.length) near.push(fc.tuple(base, fc.constantFrom(...required)).map(([o, k]) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k))));
      near.push(fc.tuple(base, fc.constantFrom('__proto__', 'constructor', 'accountId', 'admin', 'x', ''), wrongTyped).map(([o, k, v]) => ({ ...o, [k]: v })));
      if (Object.keys(props).length) near.push(fc.tuple(base, fc.constantFrom(...Object.keys(props))).map(([o, k]) => ({ ...o, [k.toUpperCase()]: o[k] ?? 'x' })));
      near.push(fc.constantFrom([], 'object', null));
      break;
    }
  }
  return near.length ? fc.oneof(...near) : wrongTyped;
}
