import type { ErrorCode } from './error-codes.ts';

export { ERROR_CATALOGUE, ERROR_CODES, EXIT_CLASSES, isErrorCode, type ErrorCode, type ErrorCodeEntry, type ExitClass } from './error-codes.ts';

/**
 * The base class for every error the harness, the simulators and the reports raise on purpose.
 *
 * `code` is stable (`FLEETBED_<AREA>_<WHAT>`) and is a key of the catalogue
 * (contract/error-codes.ts), which says what it means, its exit class and the fix: match on
 * it, never on the message. The message states what happened, expected vs received where
 * that applies, and the fix when one is known.
 */
export class FleetbedError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name: string = 'FleetbedError';
  /** Stable machine-readable code, e.g. `FLEETBED_ENV_NO_DOCKER`; see `ERROR_CATALOGUE`. */
  readonly code: C;

  /** An area's error class narrows `C` to its own codes: `class EnvironmentError extends FleetbedError<EnvErrorCode>`. */
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a {@link FleetbedError}, and has `code` when one is given. */
export function isFleetbedError(error: unknown, code?: ErrorCode): error is FleetbedError {
  return error instanceof FleetbedError && (code === undefined || error.code === code);
}
