import { FleetbedError } from '../../../contract/fleetbed-error.ts';
import { describeValue } from './_internals/describe-value.ts';

/** The stable code of every scenario error: a scenario that does not load or does not validate. */
export type ScenarioErrorCode = 'FLEETBED_SCENARIO_INVALID';

/** Where and why a scenario was rejected; every field is optional but `file`. */
export interface ScenarioErrorDetails {
  /** The scenario file (relative to the working directory), or what supplied the value (`command line`, `<inline>`). */
  file: string;
  /** Field path inside the scenario: `fleet.devices`, `faults[2].at`, `thresholds.http_req_duration[0]`. */
  field?: string;
  /** The rejected value, as received. */
  value?: unknown;
  /** What the field must be. */
  expected?: string;
  /** 1-based line and column of a parse error, when the parser gives one. */
  line?: number;
  column?: number;
  /** Every problem found, when validation found several (see {@link ScenarioError.all}). */
  problems?: readonly ScenarioProblem[];
}

/** One mistake in a scenario: the field path, the rejected value, what was expected, and its one-line message (naming the file). */
export interface ScenarioProblem {
  field: string | undefined;
  value: unknown;
  expected: string | undefined;
  message: string;
}

/**
 * A scenario that cannot run: it failed to load, to parse, or to validate. Raised before
 * anything starts. The message names the file, the field path, the bad value and what
 * was expected, e.g. `scenarios/ci/late.ts: fleet.devices must be an integer from 1 to
 * 1000000, got -5`.
 */
export class ScenarioError extends FleetbedError {
  override readonly name: string = 'ScenarioError';
  declare readonly code: ScenarioErrorCode;
  readonly file: string;
  readonly field: string | undefined;
  readonly value: unknown;
  readonly expected: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** Every problem of the scenario, in the order of its fields; one entry (this error's) unless validation found several. */
  readonly problems: readonly ScenarioProblem[];

  constructor(message: string, details: ScenarioErrorDetails, options?: ErrorOptions) {
    super('FLEETBED_SCENARIO_INVALID', message, options);
    this.file = details.file;
    this.field = details.field;
    this.value = details.value;
    this.expected = details.expected;
    this.line = details.line;
    this.column = details.column;
    this.problems = details.problems ?? [{ field: this.field, value: this.value, expected: this.expected, message }];
  }

  /** `<file>: <field> must be <expected>, got <value>[; <hint>]`. */
  static field(file: string, field: string, expected: string, value: unknown, hint?: string): ScenarioError {
    const got = value === undefined ? 'nothing (the field is required)' : describeValue(value);
    return new ScenarioError(`${file}: ${field} must be ${expected}, got ${got}${hint ? `; ${hint}` : ''}`, { file, field, value, expected });
  }

  /**
   * Several problems of one file as one error. The message is a count line, then one
   * line per problem, each naming the file:
   * `scenarios/ci/late.ts: 2 problems\nscenarios/ci/late.ts: fleet.devices must be …\nscenarios/ci/late.ts: duration must be …`.
   * `field`, `value` and `expected` are the first problem's; `problems` has them all.
   */
  static all(file: string, errors: readonly ScenarioError[]): ScenarioError {
    const problems = errors.flatMap((e) => e.problems);
    const first = problems[0];
    const message = [`${file}: ${problems.length} problems`, ...problems.map((p) => p.message)].join('\n');
    return new ScenarioError(message, { file, field: first?.field, value: first?.value, expected: first?.expected, problems });
  }
}
