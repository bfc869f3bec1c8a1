import { FleetbedError } from '../contract/fleetbed-error.ts';

/** The stable codes of simulator errors (each is explained in contract/error-codes.ts). */
export type SimulatorErrorCode =
  /** A fleet option is missing, of the wrong type or out of range; nothing was built. */
  | 'FLEETBED_FLEET_OPTIONS_INVALID'
  /** A root seed is not an integer in [0, 2^53). */
  | 'FLEETBED_SEED_INVALID'
  /** A step was asked to move time backwards, or past what the fleet can represent. */
  | 'FLEETBED_FLEET_TIME_INVALID'
  /** A message did not survive the BLE framing between a device and a phone (a framing bug: the link itself is lossless). */
  | 'FLEETBED_BLE_LINK_FAILED';

/**
 * An error the simulators raise on purpose. `code` is stable; the message says
 * what was expected, what was received, and the fix when one is known.
 */
export class SimulatorError extends FleetbedError<SimulatorErrorCode> {
  override readonly name: string = 'SimulatorError';
}
