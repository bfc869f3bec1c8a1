import { ScenarioError } from '../errors.ts';
import { didYouMean } from './suggest.ts';

/**
 * Validation helpers bound to one source file; every failure is a {@link ScenarioError}.
 * A failure ends the {@link Check.part} it happens in (later checks of that part depend on
 * the value just rejected) and is recorded; {@link Check.done} throws everything recorded,
 * so one run of the validation reports every independent mistake of a scenario.
 */
export class Check {
  readonly problems: ScenarioError[] = [];

  constructor(readonly file: string) {}

  fail(field: string, expected: string, value: unknown, hint?: string): never {
    throw ScenarioError.field(this.file, field || 'the scenario', expected, value, hint);
  }

  /** Run one independent part of the validation: its first problem is recorded and the part yields `undefined`. */
  part<T>(validate: () => T): T | undefined {
    try {
      return validate();
    } catch (err) {
      if (!(err instanceof ScenarioError) || err.file !== this.file) throw err;
      this.problems.push(err);
      return undefined;
    }
  }

  /** Throw the problems recorded so far: the one error itself, or one {@link ScenarioError.all} listing them. */
  done(): void {
    if (this.problems.length === 1) throw this.problems[0];
    if (this.problems.length > 1) throw ScenarioError.all(this.file, this.problems);
  }

  /** A plain object whose keys are all in `known`; each unknown key is a problem (with a suggestion) recorded without ending the part. */
  object(field: string, value: unknown, known: readonly string[], what = `an object with fields ${known.join(', ')}`): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, what, value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!known.includes(key)) {
        const path = field ? `${field}.${key}` : key;
        const where = field ? field : 'a scenario';
        // Recorded, not thrown: the known fields beside it are still checked.
        this.problems.push(
          new ScenarioError(`${this.file}: ${path} is not a known field${didYouMean(key, known)}; ${where} takes ${known.join(', ')}`, {
            file: this.file,
            field: path,
            value: record[key],
            expected: `one of ${known.join(', ')}`,
          }),
        );
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
