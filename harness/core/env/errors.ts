import { FleetbedError } from '../../../contract/fleetbed-error.ts';

export { FleetbedError, isFleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable codes of environment errors (meaning, exit code and fix of each: contract/error-codes.ts). */
export type EnvErrorCode =
  /** `--env containers` was chosen but no Docker engine answers. */
  | 'FLEETBED_ENV_NO_DOCKER'
  /** Something did not become ready before its deadline. */
  | 'FLEETBED_ENV_TIMEOUT'
  /** `--env containers` has an engine but no image to run (no registry, no local build). */
  | 'FLEETBED_ENV_NO_IMAGE'
  /** A process or container of the environment failed while starting. */
  | 'FLEETBED_ENV_START_FAILED'
  /** An optional package the chosen environment needs is not installed. */
  | 'FLEETBED_ENV_MISSING_PACKAGE'
  /** An option or environment variable is invalid; nothing was started. */
  | 'FLEETBED_ENV_BAD_CONFIG';

/** An error raised while configuring, starting or stopping an environment. */
export class EnvironmentError extends FleetbedError<EnvErrorCode> {
  override readonly name: string = 'EnvironmentError';
}
