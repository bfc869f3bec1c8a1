import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable code of threshold errors: an expression that does not parse, or does not fit its metric. */
export type ThresholdErrorCode = 'FLEETBED_THRESHOLD_INVALID';

/** A k6-style threshold that cannot be parsed or evaluated. `reason` is the message without the expression. */
export class ThresholdError extends FleetbedError {
  override readonly name: string = 'ThresholdError';
  declare readonly code: ThresholdErrorCode;
  /** The expression as written. */
  readonly expression: string;
  /** What is wrong with it, e.g. `expected a number after "<", got "abc"`. */
  readonly reason: string;

  constructor(expression: string, reason: string, metric?: string) {
    super('FLEETBED_THRESHOLD_INVALID', `threshold ${metric ? `${metric}: ` : ''}${JSON.stringify(expression)} is not valid: ${reason}`);
    this.expression = expression;
    this.reason = reason;
  }
}
