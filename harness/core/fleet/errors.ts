import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable codes of fleet-run errors (meaning, exit code and fix of each: contract/error-codes.ts). */
export type FleetErrorCode =
  /** A run option is invalid; nothing was started. */
  | 'FLEETBED_FLEET_RUN_OPTIONS_INVALID'
  /** The platform answered a request with a status the driver cannot continue after. */
  | 'FLEETBED_FLEET_HTTP_FAILED'
  /** The platform does not expose the testbed hooks (it is not in test mode). */
  | 'FLEETBED_FLEET_NOT_TEST_MODE';

/** An error raised while driving a fleet against a platform. */
export class FleetRunError extends FleetbedError<FleetErrorCode> {
  override readonly name: string = 'FleetRunError';
}
