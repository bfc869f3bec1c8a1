import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable code of a merge failure (meaning, exit code and fix: contract/error-codes.ts). */
export type MergeErrorCode = 'FLEETBED_MERGE_INPUT_INVALID';

/** `fleetbed merge` was given shard reports that do not add up to one run: the message says which and why. */
export class MergeError extends FleetbedError {
  override readonly name: string = 'MergeError';
  declare readonly code: MergeErrorCode;

  constructor(code: MergeErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
