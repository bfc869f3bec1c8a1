import { FleetbedError } from '../../../contract/fleetbed-error.ts';

export { FleetbedError, isFleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable codes of environment errors (meaning, exit code and fix of each: contract/error-codes.ts). */
export type EnvErrorCode =
  /** `--env containers` was chosen but no Docker engine answers. */
  | 'FLEETBED_ENV_NO_DOCKER'
  /** Something did not become ready before its deadline. */
  | 'FLEETBED_ENV_TIMEOUT'
  /** A process or container of the environment failed while starting. */
  | 'FLEETBED_ENV_START_FAILED'
  /** An optional package the chosen environment needs is not installed. */
  | 'FLEETBED_ENV_MISSING_PACKAGE'
  /** An option or environment variable is invalid; nothing was started. */
  | 'FLEETBED_ENV_BAD_CONFIG';

/** An error raised while configuring, starting or stopping an environment. */
export class EnvironmentError extends FleetbedError {
  override readonly name: string = 'EnvironmentError';
  declare readonly code: EnvErrorCode;

  constructor(code: EnvErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
