import { ContractDecodeError } from './errors.ts';
import { packFirmwareVersion } from './firmware-version.ts';
import type { ProductLine } from './product-line.ts';
import { ED25519_SIGNATURE_BYTES, signingBytes } from './signing.ts';

/**
 * The session record: what a brush writes to flash after one brushing, and what
 * it signs. Fixed layout, big-endian, SESSION_RECORD_BYTES long, in one of two
 * formats that share every byte but the last:
 *
 * - **format 1** (firmware older than RECORD_FORMAT_2_SINCE of its line): byte 0
 *   is 1, byte 33 is reserved and always 0;
 * - **format 2** (firmware at or above it): byte 0 is 2, byte 33 is `brushMode`.
 *
 * A device writes one format for as long as it runs one firmware; the version
 * byte is signed like every other, so a record is never read as the other
 * format (a format-1 record with a non-zero byte 33 is invalid, not format 2).
 *
 * | offset | width | field           | unit / meaning                                                |
 * | ------ | ----- | --------------- | ------------------------------------------------------------- |
 * | 0      | 1     | formatVersion   | 1 or 2 (any other value is refused)                           |
 * | 1      | 1     | flags           | bit0 clockReset (device clock restarted since last sync),     |
 * |        |       |                 | bit1 headChanged (a new head was fitted before this session)  |
 * | 2      | 8     | deviceId        | factory device id, u64 restricted to < 2^53                   |
 * | 10     | 4     | seq             | per-device sequence number, u32, starts at 1                   |
 * | 14     | 4     | startedAt       | device clock at start, unix seconds (u32)                     |
 * | 18     | 2     | durationS       | seconds brushed (u16)                                         |
 * | 20     | 1     | zones           | bitmask of the 8 mouth zones covered                          |
 * | 21     | 1     | pressureAlerts  | times the pressure sensor fired (u8, saturating)              |
 * | 22     | 6     | headId          | brush-head id as read over NFC: 48 opaque bits, frozen format |
 * | 28     | 4     | firmwareVersion | packed major(8) . minor(8) . patch(16)                        |
 * | 32     | 1     | batteryPct      | 0..100                                                        |
 * | 33     | 1     | reserved (1)    | format 1: always 0                                            |
 * |        |       | brushMode (2)   | format 2: 0 daily, 1 sensitive, 2 whitening, 3 gum care       |
 */
export interface SessionRecord extends SessionRecordFields {
  /** 1 or 2; encodeSessionRecord refuses anything else. */
  formatVersion: 1 | 2;
  /**
   * Format 2 only (absent for format 1): the brush mode the session ran in, an
   * index into BRUSH_MODES (0..BRUSH_MODE_MAX).
   */
  brushMode?: number;
}

/** The fields both formats share. */
export interface SessionRecordFields {
  clockReset: boolean;
  headChanged: boolean;
  deviceId: number;
  seq: number;
  startedAt: number;
  durationS: number;
  zones: number;
  pressureAlerts: number;
  /** 48-bit head id as a non-negative safe integer. */
  headId: number;
  /** Packed firmware version, see packFirmwareVersion(). */
  firmwareVersion: number;
  batteryPct: number;
}

export const SESSION_RECORD_BYTES = 34;

/** Length of a packed signed record: the record followed by its Ed25519 signature. */
export const SIGNED_RECORD_BYTES = SESSION_RECORD_BYTES + ED25519_SIGNATURE_BYTES;

/** The original `formatVersion` (byte 33 reserved, 0). */
export const SESSION_RECORD_FORMAT_VERSION = 1;
/** The `formatVersion` whose byte 33 is `brushMode`. */
export const SESSION_RECORD_FORMAT_VERSION_2 = 2;
/** Every `formatVersion` the contract defines; any other version byte is refused. */
export const SESSION_RECORD_FORMAT_VERSIONS = Object.freeze([1, 2] as const);

/** Brush modes of a format-2 record, by their byte value. A value above BRUSH_MODE_MAX is invalid. */
export const BRUSH_MODES = Object.freeze(['daily', 'sensitive', 'whitening', 'gum-care'] as const);
export type BrushMode = (typeof BRUSH_MODES)[number];
export const BRUSH_MODE_MAX = BRUSH_MODES.length - 1;

/**
 * The first firmware of each product line that writes format-2 records. A
 * device running firmware at or above its line's version writes format 2;
 * older firmware writes format 1 forever. Firmware versions are per line, so
 * is the threshold. Frozen: devices in the field depend on it.
 */
export const RECORD_FORMAT_2_SINCE: Readonly<Record<ProductLine, string>> = Object.freeze({
  'adult-brush': '2.4.0',
  'kids-brush': '1.9.0',
  interdental: '1.3.0',
});
const FORMAT_2_SINCE_PACKED: Readonly<Record<ProductLine, number>> = Object.freeze({
  'adult-brush': packFirmwareVersion(RECORD_FORMAT_2_SINCE['adult-brush']),
  'kids-brush': packFirmwareVersion(RECORD_FORMAT_2_SINCE['kids-brush']),
  interdental: packFirmwareVersion(RECORD_FORMAT_2_SINCE.interdental),
});

/** The record format a device of `productLine` running packed firmware `firmwareVersion` writes. */
export function recordFormatFor(productLine: ProductLine, firmwareVersion: number): 1 | 2 {
  return firmwareVersion >= FORMAT_2_SINCE_PACKED[productLine] ? 2 : 1;
}

type NumericField = Exclude<keyof SessionRecordFields, 'clockReset' | 'headChanged'>;

/** Inclusive range of every numeric field, the single source of truth for encode and decode. */
export const SESSION_RECORD_FIELD_RANGES: Readonly<Record<NumericField, readonly [min: number, max: number]>> =
  Object.freeze({
    deviceId: [0, Number.MAX_SAFE_INTEGER],
    seq: [1, 0xffff_ffff],
    startedAt: [0, 0xffff_ffff],
    durationS: [0, 0xffff],
    zones: [0, 0xff],
    pressureAlerts: [0, 0xff],
    headId: [0, 0xffff_ffff_ffff],
    firmwareVersion: [0, 0xffff_ffff],
    batteryPct: [0, 100],
  });

const FLAG_CLOCK_RESET = 0b01;
const FLAG_HEAD_CHANGED = 0b10;
const FLAGS_KNOWN = FLAG_CLOCK_RESET | FLAG_HEAD_CHANGED;
const TWO_32 = 0x1_0000_0000;
/** deviceId < 2^53 means the high u32 of the u64 is < 2^21. */
const DEVICE_ID_HIGH_LIMIT = 0x20_0000;

/**
 * Encodes a record into its SESSION_RECORD_BYTES canonical bytes. Throws a
 * RangeError naming the field, the value and the allowed range when any field
 * is out of range or not an integer.
 */
export function encodeSessionRecord(r: SessionRecord): Uint8Array {
  const version = r.formatVersion as number;
  if (version !== SESSION_RECORD_FORMAT_VERSION && version !== SESSION_RECORD_FORMAT_VERSION_2) {
    throw new RangeError(`SessionRecord.formatVersion must be 1 or 2, got ${String(r.formatVersion)}`);
  }
  if (version === SESSION_RECORD_FORMAT_VERSION) {
    if (r.brushMode !== undefined) throw new RangeError(`SessionRecord.brushMode must be absent for formatVersion 1, got ${String(r.brushMode)}`);
  } else if (r.brushMode === undefined || !Number.isInteger(r.brushMode) || r.brushMode < 0 || r.brushMode > BRUSH_MODE_MAX) {
    throw new RangeError(`SessionRecord.brushMode must be an integer in 0..${BRUSH_MODE_MAX}, got ${String(r.brushMode)}`);
  }
  checkBoolean('clockReset', r.clockReset);
  checkBoolean('headChanged', r.headChanged);
  for (const field of Object.keys(SESSION_RECORD_FIELD_RANGES) as NumericField[]) {
    const [min, max] = SESSION_RECORD_FIELD_RANGES[field];
    const value = r[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`SessionRecord.${field} must be an integer in ${min}..${max}, got ${String(value)}`);
    }
  }
  const b = new Uint8Array(SESSION_RECORD_BYTES);
  b[0] = version;
  b[1] = (r.clockReset ? FLAG_CLOCK_RESET : 0) | (r.headChanged ? FLAG_HEAD_CHANGED : 0);
  writeU32(b, 2, Math.floor(r.deviceId / TWO_32));
  writeU32(b, 6, r.deviceId % TWO_32);
  writeU32(b, 10, r.seq);
  writeU32(b, 14, r.startedAt);
  b[18] = r.durationS >>> 8;
  b[19] = r.durationS & 0xff;
  b[20] = r.zones;
  b[21] = r.pressureAlerts;
  const headHigh = Math.floor(r.headId / TWO_32);
  b[22] = headHigh >>> 8;
  b[23] = headHigh & 0xff;
  writeU32(b, 24, r.headId % TWO_32);
  writeU32(b, 28, r.firmwareVersion);
  b[32] = r.batteryPct;
  b[33] = version === SESSION_RECORD_FORMAT_VERSION_2 ? r.brushMode! : 0;
  return b;
}

/**
 * Decodes exactly SESSION_RECORD_BYTES bytes. Accepts only what
 * encodeSessionRecord() can produce, so one record has one byte form. Throws a
 * ContractDecodeError (`RECORD_LENGTH`, `RECORD_VERSION`, `RECORD_FLAGS`,
 * `RECORD_RESERVED`, `RECORD_FIELD_RANGE`) otherwise: a version byte other
 * than 1 or 2, a format-1 record whose byte 33 is not 0 (it is never read as
 * format 2), a format-2 brushMode above BRUSH_MODE_MAX.
 *
 * Hot path: reads bytes in place and allocates only the result object.
 */
export function decodeSessionRecord(bytes: Uint8Array): SessionRecord {
  checkRecordHeader(bytes, false);
  const flags = bytes[1]!;
  if ((flags & ~FLAGS_KNOWN) !== 0) {
    throw new ContractDecodeError('RECORD_FLAGS', 'session record flags', 'only bits 0 and 1 set', `0b${flags.toString(2)}`);
  }
  const version = bytes[0]!;
  const byte33 = bytes[33]!;
  if (version === SESSION_RECORD_FORMAT_VERSION) {
    if (byte33 !== 0) {
      throw new ContractDecodeError('RECORD_RESERVED', 'session record reserved byte 33 (format 1)', '0', String(byte33));
    }
  } else if (byte33 > BRUSH_MODE_MAX) {
    throw new ContractDecodeError('RECORD_FIELD_RANGE', 'session record brushMode (format 2, byte 33)', `0..${BRUSH_MODE_MAX}`, String(byte33));
  }
  const batteryPct = bytes[32]!;
  if (batteryPct > 100) {
    throw new ContractDecodeError('RECORD_FIELD_RANGE', 'session record batteryPct', '0..100', String(batteryPct));
  }
  const r: SessionRecord = {
    formatVersion: version as 1 | 2,
    clockReset: (flags & FLAG_CLOCK_RESET) !== 0,
    headChanged: (flags & FLAG_HEAD_CHANGED) !== 0,
    deviceId: readDeviceId(bytes),
    seq: readSeq(bytes),
    startedAt: readU32(bytes, 14),
    durationS: (bytes[18]! << 8) | bytes[19]!,
    zones: bytes[20]!,
    pressureAlerts: bytes[21]!,
    headId: ((bytes[22]! << 8) | bytes[23]!) * TWO_32 + readU32(bytes, 24),
    firmwareVersion: readU32(bytes, 28),
    batteryPct,
  };
  if (version === SESSION_RECORD_FORMAT_VERSION_2) r.brushMode = byte33;
  return r;
}

/**
 * The deviceId of an encoded record, or of a packed signed record (the record
 * is its prefix), without decoding the rest. Checks length, version and range.
 */
export function readRecordDeviceId(bytes: Uint8Array): number {
  checkRecordHeader(bytes, true);
  return readDeviceId(bytes);
}

/** The seq of an encoded record or packed signed record, without decoding the rest. */
export function readRecordSeq(bytes: Uint8Array): number {
  checkRecordHeader(bytes, true);
  return readSeq(bytes);
}

/** The exact bytes a device signs for an encoded session record. */
export function sessionRecordSigningBytes(recordBytes: Uint8Array): Uint8Array {
  checkRecordHeader(recordBytes, false);
  return signingBytes('sessionRecord', recordBytes);
}

/** An encoded record and the device's signature over its signing bytes. */
export interface SignedRecord {
  record: Uint8Array;
  signature: Uint8Array;
}

/** `record || signature`, SIGNED_RECORD_BYTES long: the message a device sends over BLE. */
export function packSignedRecord(record: Uint8Array, signature: Uint8Array): Uint8Array {
  if (record.length !== SESSION_RECORD_BYTES) {
    throw new RangeError(`record must be ${SESSION_RECORD_BYTES} bytes, got ${record.length}`);
  }
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new RangeError(`signature must be ${ED25519_SIGNATURE_BYTES} bytes, got ${signature.length}`);
  }
  const out = new Uint8Array(SIGNED_RECORD_BYTES);
  out.set(record, 0);
  out.set(signature, SESSION_RECORD_BYTES);
  return out;
}

/**
 * Splits a packed signed record. The parts are views into `bytes`, not copies.
 * Throws ContractDecodeError `SIGNED_RECORD_LENGTH` when the length is wrong;
 * the record itself is not decoded (call decodeSessionRecord on it).
 */
export function unpackSignedRecord(bytes: Uint8Array): SignedRecord {
  if (bytes.length !== SIGNED_RECORD_BYTES) {
    throw new ContractDecodeError(
      'SIGNED_RECORD_LENGTH',
      'signed session record length',
      `${SIGNED_RECORD_BYTES} bytes (${SESSION_RECORD_BYTES} record + ${ED25519_SIGNATURE_BYTES} signature)`,
      `${bytes.length} bytes`,
    );
  }
  return { record: bytes.subarray(0, SESSION_RECORD_BYTES), signature: bytes.subarray(SESSION_RECORD_BYTES) };
}

function checkRecordHeader(bytes: Uint8Array, allowSigned: boolean): void {
  const n = bytes.length;
  if (n !== SESSION_RECORD_BYTES && !(allowSigned && n === SIGNED_RECORD_BYTES)) {
    const expected = allowSigned
      ? `${SESSION_RECORD_BYTES} bytes (record) or ${SIGNED_RECORD_BYTES} bytes (signed record)`
      : `${SESSION_RECORD_BYTES} bytes`;
    throw new ContractDecodeError('RECORD_LENGTH', 'session record length', expected, `${n} bytes`);
  }
  if (bytes[0] !== SESSION_RECORD_FORMAT_VERSION && bytes[0] !== SESSION_RECORD_FORMAT_VERSION_2) {
    throw new ContractDecodeError('RECORD_VERSION', 'session record formatVersion', '1 or 2', String(bytes[0]));
  }
}

function readDeviceId(b: Uint8Array): number {
  const high = readU32(b, 2);
  if (high >= DEVICE_ID_HIGH_LIMIT) {
    throw new ContractDecodeError('RECORD_FIELD_RANGE', 'session record deviceId', 'below 2^53', `high u32 0x${high.toString(16)}`);
  }
  return high * TWO_32 + readU32(b, 6);
}

function readSeq(b: Uint8Array): number {
  const seq = readU32(b, 10);
  if (seq === 0) throw new ContractDecodeError('RECORD_FIELD_RANGE', 'session record seq', '1..4294967295', '0');
  return seq;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function checkBoolean(field: 'clockReset' | 'headChanged', value: unknown): void {
  if (typeof value !== 'boolean') {
    throw new RangeError(`SessionRecord.${field} must be a boolean, got ${String(value)}`);
  }
}
