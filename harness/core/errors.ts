import { ERROR_CATALOGUE, FleetbedError, isErrorCode, type ExitClass } from '../../contract/fleetbed-error.ts';

/**
 * Exit codes of every fleetbed command: 0 success, 1 a check or a run failed, 2 bad usage.
 * An error's exit code comes from its code's exit class in the catalogue: see {@link exitCodeFor}.
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 } as const satisfies Record<'ok' | ExitClass, number>);

/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code the CLI ends with for `error`: `EXIT[ERROR_CATALOGUE[code].exit]` for a
 * {@link FleetbedError}, and {@link EXIT.failed} for anything else (an unexpected error,
 * which the CLI prints with its stack).
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof FleetbedError && isErrorCode(error.code)) return EXIT[ERROR_CATALOGUE[error.code].exit];
  return EXIT.failed;
}

/**
 * Bad usage: an unknown flag, a bad value, a path with nothing to run. Code `FLEETBED_USAGE`,
 * exit code 2. `hint` is printed under the message: what to run or read next.
 */
export class UsageError extends FleetbedError {
  override readonly name: string = 'UsageError';
  declare readonly code: 'FLEETBED_USAGE';

  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super('FLEETBED_USAGE', message);
  }
}
