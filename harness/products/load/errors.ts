import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable codes of load errors (meaning, exit code and fix of each: contract/error-codes.ts). */
export type LoadErrorCode =
  /** `--shard` with a load that does not split: a closed-model plan, or `--find-max`. */
  'FLEETBED_LOAD_SHARD_UNSUPPORTED';

/** A load run refused before anything started: the message says what and how to fix it. */
export class LoadError extends FleetbedError<LoadErrorCode> {
  override readonly name: string = 'LoadError';
}
