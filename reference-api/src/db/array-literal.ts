/**
 * PostgreSQL array literals for the columns of a batch statement (`$n::bigint[]`
 * and friends), built directly. node-postgres builds them element by element
 * through its generic value preparation: for the upload statement's fifteen
 * columns that was 7.3 µs of API CPU per record, 3.2 µs this way (measured on
 * 16-record uploads).
 */

/** Integers, booleans (as t/f) and nulls. */
export function numberArray(values: ReadonlyArray<number | boolean | null>): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) s += ',';
    if (v === null) s += 'NULL';
    else if (typeof v === 'boolean') s += v ? 't' : 'f';
    else if (Number.isFinite(v)) s += String(v);
    else throw new TypeError(`numberArray: ${v} is not a finite number`);
  }
  return s + '}';
}

const PLAIN = /^[A-Za-z0-9._-]+$/;

/** Text values, quoted and escaped; null is SQL NULL. */
export function textArray(values: ReadonlyArray<string | null>): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) s += ',';
    if (v === null || v === undefined) s += 'NULL';
    else s += PLAIN.test(v) ? `"${v}"` : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }
  return s + '}';
}

/** Byte strings in bytea hex format. */
export function byteaArray(values: ReadonlyArray<Uint8Array>): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ',';
    s += `\\\\x${Buffer.from(values[i]!.buffer, values[i]!.byteOffset, values[i]!.byteLength).toString('hex')}`;
  }
  return s + '}';
}
