export { BEHAVIOUR_KINDS, bootsHealthy, checkBehaviour, chunkArrivesCorrupt, goesQuiet, OTA_TOPIC, type DeviceConditions, type FirmwareBehaviour, type UnitDraw } from './behaviour.ts';
export { bankBytesAfter, buildImage, DEFAULT_CHUNK_BYTES, imageContent, ImageCatalog, releasePublicKey, verifyImage, type FirmwareImage, type ImageSpec, type VerifyDetail } from './image.ts';
export {
  BootloaderState,
  DEFAULT_BOOT_LIMIT,
  driveUpdate,
  EVENT,
  NO_IMAGE,
  PHASE,
  reportDetail,
  reportState,
  stepBootloader,
  stepRunning,
  toOtaReport,
  type ReportCode,
  type StepContext,
} from './bootloader.ts';
