import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** The stable code of an image build failure (meaning, exit code and fix: contract/error-codes.ts). */
export type ImagesErrorCode = 'FLEETBED_IMAGES_BUILD_FAILED';

/** `fleetbed images build` failed: the message names the step, its log and the fix. */
export class ImagesError extends FleetbedError {
  override readonly name: string = 'ImagesError';
  declare readonly code: ImagesErrorCode;

  constructor(code: ImagesErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
