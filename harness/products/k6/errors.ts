import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable codes of `fleetbed k6` errors (meaning, exit code and fix of each: contract/error-codes.ts). */
export type K6ErrorCode =
  /** The export directory or its manifest is missing, of another version, or does not match. */
  | 'FLEETBED_K6_EXPORT_INVALID'
  /** The plan or platform cannot be exported or prepared as asked (a closed plan, a clock already past the fleet's start). */
  | 'FLEETBED_K6_UNSUPPORTED';

/** An error raised by `fleetbed k6 export|prepare` or `fleetbed load reconcile`. */
export class K6Error extends FleetbedError<K6ErrorCode> {
  override readonly name: string = 'K6Error';
}
