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

  constructor(message: string, details: ScenarioErrorDetails, options?: ErrorOptions) {
    super('FLEETBED_SCENARIO_INVALID', message, options);
    this.file = details.file;
    this.field = details.field;
    this.value = details.value;
    this.expected = details.expected;
    this.line = details.line;
    this.column = details.column;
  }

  /** `<file>: <field> must be <expected>, got <value>[; <hint>]`. */
  static field(file: string, field: string, expected: string, value: unknown, hint?: string): ScenarioError {
    const got = value === undefined ? 'nothing (the field is required)' : describeValue(value);
    return new ScenarioError(`${file}: ${field} must be ${expected}, got ${got}${hint ? `; ${hint}` : ''}`, { file, field, value, expected });
  }
}
