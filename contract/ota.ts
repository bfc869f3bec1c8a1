import { ContractDecodeError } from './errors.ts';
import { PRODUCT_LINES, type ProductLine } from './product-line.ts';
import { signingBytes } from './signing.ts';

/**
 * The firmware image manifest: what a release key signs for one image, what
 * the platform stores for a release, and what a device's bootloader checks
 * before it switches banks. Fixed layout, big-endian, FIRMWARE_MANIFEST_BYTES long.
 *
 * | offset | width | field               | unit / meaning                                                  |
 * | ------ | ----- | ------------------- | --------------------------------------------------------------- |
 * | 0      | 1     | formatVersion       | always 1 for this layout                                        |
 * | 1      | 1     | productLine         | index in PRODUCT_LINES: 0 adult-brush, 1 kids-brush, 2 interdental |
 * | 2      | 2     | reserved            | 0                                                               |
 * | 4      | 4     | firmwareVersion     | packed major(8) . minor(8) . patch(16), see firmware-version.ts |
 * | 8      | 4     | sizeBytes           | image length in bytes, 1..2^32-1                                |
 * | 12     | 4     | antiRollbackCounter | u32; a device never installs an image below the counter it holds |
 * | 16     | 32    | sha256              | SHA-256 of the image bytes                                      |
 *
 * The signature is Ed25519 over `firmwareManifestSigningBytes(manifest)`, i.e.
 * `"fleetbed/firmware-image/v1\0" || manifest`, made by a RELEASE key: never a
 * device key, never a phone. The platform trusts the release public keys it is
 * configured with (FLEETBED_RELEASE_PUBLIC_KEYS); a device trusts the ones
 * burned into its bootloader.
 */
export interface FirmwareManifest {
  formatVersion: 1;
  productLine: ProductLine;
  /** Packed firmware version (packFirmwareVersion). */
  firmwareVersion: number;
  sizeBytes: number;
  antiRollbackCounter: number;
  /** 32 bytes. */
  sha256: Uint8Array;
}

export const FIRMWARE_MANIFEST_BYTES = 48;
export const FIRMWARE_MANIFEST_FORMAT_VERSION = 1;
export const SHA256_BYTES = 32;

const U32_MAX = 0xffff_ffff;

/** Encodes a manifest into its canonical bytes. Throws a RangeError naming the bad field. */
export function encodeFirmwareManifest(m: FirmwareManifest): Uint8Array {
  if (m.formatVersion !== FIRMWARE_MANIFEST_FORMAT_VERSION) {
    throw new RangeError(`FirmwareManifest.formatVersion must be 1, got ${String(m.formatVersion)}`);
  }
  const line = PRODUCT_LINES.indexOf(m.productLine);
  if (line < 0) throw new RangeError(`FirmwareManifest.productLine must be one of ${PRODUCT_LINES.join(', ')}, got ${JSON.stringify(m.productLine)}`);
  checkU32('FirmwareManifest.firmwareVersion', m.firmwareVersion, 0);
  checkU32('FirmwareManifest.sizeBytes', m.sizeBytes, 1);
  checkU32('FirmwareManifest.antiRollbackCounter', m.antiRollbackCounter, 0);
  if (!(m.sha256 instanceof Uint8Array) || m.sha256.length !== SHA256_BYTES) {
    throw new RangeError(`FirmwareManifest.sha256 must be ${SHA256_BYTES} bytes, got ${m.sha256 instanceof Uint8Array ? m.sha256.length : typeof m.sha256}`);
  }
  const b = new Uint8Array(FIRMWARE_MANIFEST_BYTES);
  b[0] = FIRMWARE_MANIFEST_FORMAT_VERSION;
  b[1] = line;
  writeU32(b, 4, m.firmwareVersion);
  writeU32(b, 8, m.sizeBytes);
  writeU32(b, 12, m.antiRollbackCounter);
  b.set(m.sha256, 16);
  return b;
}

/**
 * Decodes exactly FIRMWARE_MANIFEST_BYTES bytes; accepts only what
 * encodeFirmwareManifest() produces. Throws ContractDecodeError
 * (`RECORD_LENGTH`, `RECORD_VERSION`, `RECORD_RESERVED`, `RECORD_FIELD_RANGE`).
 */
export function decodeFirmwareManifest(bytes: Uint8Array): FirmwareManifest {
  if (bytes.length !== FIRMWARE_MANIFEST_BYTES) {
    throw new ContractDecodeError('RECORD_LENGTH', 'firmware manifest length', `${FIRMWARE_MANIFEST_BYTES} bytes`, `${bytes.length} bytes`);
  }
  if (bytes[0] !== FIRMWARE_MANIFEST_FORMAT_VERSION) {
    throw new ContractDecodeError('RECORD_VERSION', 'firmware manifest formatVersion', '1', String(bytes[0]));
  }
  const productLine = PRODUCT_LINES[bytes[1]!];
  if (productLine === undefined) {
    throw new ContractDecodeError('RECORD_FIELD_RANGE', 'firmware manifest productLine', `0..${PRODUCT_LINES.length - 1}`, String(bytes[1]));
  }
  if (bytes[2] !== 0 || bytes[3] !== 0) {
    throw new ContractDecodeError('RECORD_RESERVED', 'firmware manifest reserved bytes 2..3', '0', `${bytes[2]}, ${bytes[3]}`);
  }
  const sizeBytes = readU32(bytes, 8);
  if (sizeBytes === 0) throw new ContractDecodeError('RECORD_FIELD_RANGE', 'firmware manifest sizeBytes', '1..4294967295', '0');
  return {
    formatVersion: FIRMWARE_MANIFEST_FORMAT_VERSION,
    productLine,
    firmwareVersion: readU32(bytes, 4),
    sizeBytes,
    antiRollbackCounter: readU32(bytes, 12),
    sha256: bytes.slice(16, 48),
  };
}

/** The exact bytes a release key signs for an encoded manifest. */
export function firmwareManifestSigningBytes(manifestBytes: Uint8Array): Uint8Array {
  if (manifestBytes.length !== FIRMWARE_MANIFEST_BYTES) {
    throw new RangeError(`manifest must be ${FIRMWARE_MANIFEST_BYTES} bytes, got ${manifestBytes.length}`);
  }
  return signingBytes('firmwareImage', manifestBytes);
}

/**
 * THE TEST RELEASE KEY — NEVER TRUST IT IN PRODUCTION.
 *
 * A fixed, publicly known Ed25519 seed (its 32 bytes are the ASCII text
 * `fleetbed/TEST-ONLY/release-key/1`), so that the harness and the tests can
 * sign firmware images reproducibly. The reference API trusts its public key
 * by default ONLY in test mode; anyone can sign with it, so a production
 * platform must set FLEETBED_RELEASE_PUBLIC_KEYS to its own release keys
 * (outside test mode the default is to trust no key at all).
 */
export const TEST_RELEASE_SEED_TEXT = 'fleetbed/TEST-ONLY/release-key/1';

/** A fresh copy of the 32 bytes of the test release seed (TEST_RELEASE_SEED_TEXT as ASCII). */
export function testReleaseSeed(): Uint8Array {
  return new TextEncoder().encode(TEST_RELEASE_SEED_TEXT);
}

/** Public key of the test release seed, base64url (contract/ota.test.ts derives it again). */
export const TEST_RELEASE_PUBLIC_KEY = 'u-XzxZSl-WpJP3diP-oKwt5YiCjPrk5VzoOr2_amID4';

function checkU32(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > U32_MAX) {
    throw new RangeError(`${field} must be an integer in ${min}..${U32_MAX}, got ${String(value)}`);
  }
}

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
