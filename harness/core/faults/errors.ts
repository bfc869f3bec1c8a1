import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable codes of fault-injection errors (meaning, exit code and fix of each: contract/error-codes.ts). */
export type FaultErrorCode =
  /** A proxy option or fault setting is invalid; nothing was changed. */
  'FLEETBED_FAULT_INVALID';

/** An error raised while configuring fault injection. */
export class FaultError extends FleetbedError<FaultErrorCode> {
  override readonly name: string = 'FaultError';
}
