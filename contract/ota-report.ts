import { ContractDecodeError } from './errors.ts';
import { readU32, writeU32 } from './ota.ts';
import { ED25519_SIGNATURE_BYTES, signingBytes } from './signing.ts';

/**
 * The OTA report: what a device says about one update, signed with its own
 * Ed25519 key and relayed by its phone. The phone merely carries it, so it
 * cannot forge "installed fine": the platform changes a device's firmware
 * state only from reports that verify under that device's key.
 * Fixed layout, big-endian, OTA_REPORT_BYTES long.
 *
 * | offset | width | field          | unit / meaning                                                   |
 * | ------ | ----- | -------------- | ---------------------------------------------------------------- |
 * | 0      | 1     | formatVersion  | always 1 for this layout                                         |
 * | 1      | 1     | state          | OTA_REPORT_STATES index + 1 (1 downloaded … 7 failed)            |
 * | 2      | 8     | deviceId       | factory device id, u64 restricted to < 2^53                      |
 * | 10     | 4     | seq            | per-device OTA report sequence number, u32, starts at 1          |
 * | 14     | 16    | rolloutId      | the rollout whose offer this update came from (UUID bytes)       |
 * | 30     | 4     | targetVersion  | packed version of the offered image                              |
 * | 34     | 4     | runningVersion | packed version of the image the device runs now                  |
 * | 38     | 2     | bootCount      | boot attempts of the new bank since install (u16)                |
 * | 40     | 4     | deviceTime     | device clock when the state was reached, unix seconds (u32)      |
 * | 44     | 1     | detail         | OTA_REPORT_DETAILS index: why a failure or rollback happened     |
 * | 45     | 1     | reserved       | 0                                                                |
 *
 * States, in the order an update passes through them:
 * - downloaded: every chunk of the image is in the inactive bank.
 * - verified: the release signature and the SHA-256 of the bank both check out.
 * - installed: the bank is marked to boot once on trial.
 * - booted: the new bank came up (boot counter within its limit).
 * - confirmed: a healthy boot was committed; the anti-rollback counter moved up.
 * - rolled-back: the boot counter passed its limit; the old bank runs again.
 * - failed: the update stopped (detail says why); the old bank still runs.
 */
export const OTA_REPORT_STATES = Object.freeze(['downloaded', 'verified', 'installed', 'booted', 'confirmed', 'rolled-back', 'failed'] as const);
export type OtaReportState = (typeof OTA_REPORT_STATES)[number];

export const OTA_REPORT_DETAILS = Object.freeze([
  'none',
  'signature-invalid',
  'hash-mismatch',
  'boot-limit',
  'download-aborted',
  'incompatible',
  'rollback-refused',
] as const);
export type OtaReportDetail = (typeof OTA_REPORT_DETAILS)[number];

export interface OtaReport {
  formatVersion: 1;
  state: OtaReportState;
  deviceId: number;
  seq: number;
  /** Lower-case UUID text. */
  rolloutId: string;
  targetVersion: number;
  runningVersion: number;
  bootCount: number;
  deviceTime: number;
  detail: OtaReportDetail;
}

export const OTA_REPORT_BYTES = 46;
export const SIGNED_OTA_REPORT_BYTES = OTA_REPORT_BYTES + ED25519_SIGNATURE_BYTES;
export const OTA_REPORT_FORMAT_VERSION = 1;

const TWO_32 = 0x1_0000_0000;
const DEVICE_ID_HIGH_LIMIT = 0x20_0000;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Encodes a report into its canonical bytes. Throws a RangeError naming the bad field. */
export function encodeOtaReport(r: OtaReport): Uint8Array {
  if (r.formatVersion !== OTA_REPORT_FORMAT_VERSION) throw new RangeError(`OtaReport.formatVersion must be 1, got ${String(r.formatVersion)}`);
  const state = OTA_REPORT_STATES.indexOf(r.state);
  if (state < 0) throw new RangeError(`OtaReport.state must be one of ${OTA_REPORT_STATES.join(', ')}, got ${JSON.stringify(r.state)}`);
  const detail = OTA_REPORT_DETAILS.indexOf(r.detail);
  if (detail < 0) throw new RangeError(`OtaReport.detail must be one of ${OTA_REPORT_DETAILS.join(', ')}, got ${JSON.stringify(r.detail)}`);
  check('deviceId', r.deviceId, 0, Number.MAX_SAFE_INTEGER);
  check('seq', r.seq, 1, 0xffff_ffff);
  check('targetVersion', r.targetVersion, 0, 0xffff_ffff);
  check('runningVersion', r.runningVersion, 0, 0xffff_ffff);
  check('bootCount', r.bootCount, 0, 0xffff);
  check('deviceTime', r.deviceTime, 0, 0xffff_ffff);
  if (typeof r.rolloutId !== 'string' || !UUID.test(r.rolloutId)) throw new RangeError(`OtaReport.rolloutId must be a UUID, got ${JSON.stringify(r.rolloutId)}`);
  const b = new Uint8Array(OTA_REPORT_BYTES);
  b[0] = OTA_REPORT_FORMAT_VERSION;
  b[1] = state + 1;
  writeU32(b, 2, Math.floor(r.deviceId / TWO_32));
  writeU32(b, 6, r.deviceId % TWO_32);
  writeU32(b, 10, r.seq);
  b.set(uuidBytes(r.rolloutId), 14);
  writeU32(b, 30, r.targetVersion);
  writeU32(b, 34, r.runningVersion);
  b[38] = r.bootCount >>> 8;
  b[39] = r.bootCount & 0xff;
  writeU32(b, 40, r.deviceTime);
  b[44] = detail;
  return b;
}

/**
 * Decodes exactly OTA_REPORT_BYTES bytes; accepts only what encodeOtaReport()
 * produces, so one report has one byte form. Throws ContractDecodeError
 * (`RECORD_LENGTH`, `RECORD_VERSION`, `RECORD_RESERVED`, `RECORD_FIELD_RANGE`).
 */
export function decodeOtaReport(bytes: Uint8Array): OtaReport {
  if (bytes.length !== OTA_REPORT_BYTES) {
    throw new ContractDecodeError('RECORD_LENGTH', 'OTA report length', `${OTA_REPORT_BYTES} bytes`, `${bytes.length} bytes`);
  }
  if (bytes[0] !== OTA_REPORT_FORMAT_VERSION) throw new ContractDecodeError('RECORD_VERSION', 'OTA report formatVersion', '1', String(bytes[0]));
  const state = OTA_REPORT_STATES[bytes[1]! - 1];
  if (state === undefined) throw new ContractDecodeError('RECORD_FIELD_RANGE', 'OTA report state', `1..${OTA_REPORT_STATES.length}`, String(bytes[1]));
  const detail = OTA_REPORT_DETAILS[bytes[44]!];
  if (detail === undefined) throw new ContractDecodeError('RECORD_FIELD_RANGE', 'OTA report detail', `0..${OTA_REPORT_DETAILS.length - 1}`, String(bytes[44]));
  if (bytes[45] !== 0) throw new ContractDecodeError('RECORD_RESERVED', 'OTA report reserved byte 45', '0', String(bytes[45]));
  const high = readU32(bytes, 2);
  if (high >= DEVICE_ID_HIGH_LIMIT) throw new ContractDecodeError('RECORD_FIELD_RANGE', 'OTA report deviceId', 'below 2^53', `high u32 0x${high.toString(16)}`);
  const seq = readU32(bytes, 10);
  if (seq === 0) throw new ContractDecodeError('RECORD_FIELD_RANGE', 'OTA report seq', '1..4294967295', '0');
  return {
    formatVersion: OTA_REPORT_FORMAT_VERSION,
    state,
    deviceId: high * TWO_32 + readU32(bytes, 6),
    seq,
    rolloutId: bytesToUuid(bytes.subarray(14, 30)),
    targetVersion: readU32(bytes, 30),
    runningVersion: readU32(bytes, 34),
    bootCount: (bytes[38]! << 8) | bytes[39]!,
    deviceTime: readU32(bytes, 40),
    detail,
  };
}

/** The exact bytes a device signs for an encoded OTA report. */
export function otaReportSigningBytes(reportBytes: Uint8Array): Uint8Array {
  if (reportBytes.length !== OTA_REPORT_BYTES) throw new RangeError(`OTA report must be ${OTA_REPORT_BYTES} bytes, got ${reportBytes.length}`);
  return signingBytes('otaReport', reportBytes);
}

/** `report || signature`, SIGNED_OTA_REPORT_BYTES long: what a device hands its phone. */
export function packSignedOtaReport(report: Uint8Array, signature: Uint8Array): Uint8Array {
  if (report.length !== OTA_REPORT_BYTES) throw new RangeError(`OTA report must be ${OTA_REPORT_BYTES} bytes, got ${report.length}`);
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new RangeError(`signature must be ${ED25519_SIGNATURE_BYTES} bytes, got ${signature.length}`);
  const out = new Uint8Array(SIGNED_OTA_REPORT_BYTES);
  out.set(report, 0);
  out.set(signature, OTA_REPORT_BYTES);
  return out;
}

/** Splits a packed signed report (views, not copies). Throws ContractDecodeError `SIGNED_RECORD_LENGTH`. */
export function unpackSignedOtaReport(bytes: Uint8Array): { report: Uint8Array; signature: Uint8Array } {
  if (bytes.length !== SIGNED_OTA_REPORT_BYTES) {
    throw new ContractDecodeError(
      'SIGNED_RECORD_LENGTH',
      'signed OTA report length',
      `${SIGNED_OTA_REPORT_BYTES} bytes (${OTA_REPORT_BYTES} report + ${ED25519_SIGNATURE_BYTES} signature)`,
      `${bytes.length} bytes`,
    );
  }
  return { report: bytes.subarray(0, OTA_REPORT_BYTES), signature: bytes.subarray(OTA_REPORT_BYTES) };
}

/** 16 bytes of a UUID's text form. Throws a RangeError when `uuid` is not one. */
export function uuidBytes(uuid: string): Uint8Array {
  if (!UUID.test(uuid)) throw new RangeError(`not a UUID: ${JSON.stringify(uuid)}`);
  const hex = uuid.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case UUID text of 16 bytes. */
export function bytesToUuid(b: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < 16; i++) hex += b[i]!.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function check(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`OtaReport.${field} must be an integer in ${min}..${max}, got ${String(value)}`);
}
