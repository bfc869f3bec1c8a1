/**
 * The base class for every error the harness raises on purpose.
 *
 * `code` is stable (`FLEETBED_<AREA>_<WHAT>`): match on it, never on the message. The message
 * states what happened, expected vs received where that applies, and the fix when one is known.
 */
export class FleetbedError extends Error {
  override readonly name: string = 'FleetbedError';
  /** Stable machine-readable code, e.g. `FLEETBED_ENV_NO_DOCKER`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a {@link FleetbedError}, and has `code` when one is given. */
export function isFleetbedError(error: unknown, code?: string): error is FleetbedError {
  return error instanceof FleetbedError && (code === undefined || error.code === code);
}
