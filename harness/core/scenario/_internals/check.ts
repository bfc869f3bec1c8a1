import { ScenarioError } from '../errors.ts';
import { didYouMean } from './suggest.ts';

/** Validation helpers bound to one source file; every failure is a {@link ScenarioError}. */
export class Check {
  constructor(readonly file: string) {}

  fail(field: string, expected: string, value: unknown, hint?: string): never {
    throw ScenarioError.field(this.file, field || 'the scenario', expected, value, hint);
  }

  /** A plain object whose keys are all in `known`; an unknown key fails with a suggestion. */
  object(field: string, value: unknown, known: readonly string[], what = `an object with fields ${known.join(', ')}`): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, what, value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!known.includes(key)) {
        const path = field ? `${field}.${key}` : key;
        const where = field ? field : 'a scenario';
        throw new ScenarioError(`${this.file}: ${path} is not a known field${didYouMean(key, known)}; ${where} takes ${known.join(', ')}`, {
          file: this.file,
          field: path,
          value: record[key],
          expected: `one of ${known.join(', ')}`,
        });
      }
    }
    return record;
  }

  string(field: string, value: unknown, test: RegExp, expected: string): string {
    if (typeof value !== 'string' || !test.test(value)) this.fail(field, expected, value);
    return value;
  }

  integer(field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  probability(field: string, value: unknown): number {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) this.fail(field, 'a probability from 0 to 1', value);
    return value;
  }

  boolean(field: string, value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'true or false', value);
    return value;
  }

  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      const hint = typeof value === 'string' ? didYouMean(value, allowed).trim().replace(/^\(|\)$/g, '') : '';
      this.fail(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value, hint || undefined);
    }
    return value as T;
  }

  array(field: string, value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, what, value);
    return value;
  }
}
