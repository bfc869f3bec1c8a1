import type pg from 'pg';
import { encodeSessionRecord } from '../../../../contract/record.ts';
import { packFirmwareVersion } from '../../../../contract/firmware-version.ts';
import { contentHash } from '../../../../simulators/ledger.ts';

/**
 * The ledger's record content (simulators/ledger.ts `recordContent`: the 34
 * canonical record bytes, headChanged cleared), rebuilt in SQL from the columns
 * of a `sessions` row — the fields the platform serves, not its `record` copy,
 * so a row whose served fields were overwritten shows however its raw bytes
 * look. Big-endian, the layout of contract/record.ts, either format: the
 * version byte from `format_version` and byte 33 from `brush_mode` (0 for
 * format 1). A firmware text that is not "major.minor.patch" hashes as
 * 0xffffffff, and a row whose format and brush mode cannot be one record (an
 * unknown format, format 2 without a brush mode or with one out of 0..255,
 * format 1 with one) puts 0xff in byte 0: mismatches, not failed queries. So a
 * format-2 record stored as format 1, or without its brushMode, is a witness.
 */
export const SQL_RECORD_CONTENT = `(CASE WHEN format_version = 1 AND brush_mode IS NULL THEN '\\x01'::bytea
       WHEN format_version = 2 AND brush_mode BETWEEN 0 AND 255 THEN '\\x02'::bytea
       ELSE '\\xff'::bytea END
  || CASE WHEN clock_reset THEN '\\x01'::bytea ELSE '\\x00'::bytea END
  || int8send(device_id)
  || substring(int8send(seq) from 5 for 4)
  || substring(int8send(floor(extract(epoch from started_at))::bigint) from 5 for 4)
  || substring(int4send(duration_s) from 3 for 2)
  || substring(int4send(zones::int) from 4 for 1)
  || substring(int4send(pressure_alerts::int) from 4 for 1)
  || substring(int8send(head_id) from 3 for 6)
  || substring(int8send(CASE WHEN firmware_version ~ '^\\d{1,5}\\.\\d{1,5}\\.\\d{1,5}$'
       THEN split_part(firmware_version, '.', 1)::bigint * 16777216 + split_part(firmware_version, '.', 2)::bigint * 65536 + split_part(firmware_version, '.', 3)::bigint
       ELSE -1 END) from 5 for 4)
  || substring(int4send(battery_pct::int) from 4 for 1)
  || CASE WHEN format_version = 2 AND brush_mode BETWEEN 0 AND 255 THEN substring(int4send(brush_mode::int) from 4 for 1) ELSE '\\x00'::bytea END)`;

/**
 * SQL for one row's content hash as bigint (0..2^32-1): the first 4 bytes of
 * SHA-256(key ‖ content), with the key as parameter `$n` (bytea). Sum it per
 * device mod 2^32 to get what the ledger's `storedContent` holds.
 */
export function sqlContentHash(keyParam: number): string {
  return `('x' || encode(substring(sha256($${keyParam}::bytea || ${SQL_RECORD_CONTENT}) from 1 for 4), 'hex'))::bit(32)::bigint`;
}

/** A session as the owner's listing serves it (GET /v2/devices/{id}/sessions). */
export interface ServedSession {
  deviceId: number;
  seq: number;
  startedAt: string;
  durationS: number;
  zones: number;
  pressureAlerts: number;
  headId: number;
  firmwareVersion: string;
  batteryPct: number;
  clockReset: boolean;
  /** The record format the platform says the device wrote (1 or 2). */
  formatVersion: number;
  /** Format 2's brush mode; null for format 1. */
  brushMode: number | null;
}

/** The content hash of a served session (same value as the ledger's for the copy it stored), or undefined when the fields cannot be a record. */
export function servedContentHash(key: Uint8Array, s: ServedSession): number | undefined {
  try {
    // A format the contract does not define, or a brush mode that does not go with the format
    // (format 2 without one, format 1 with one): no record has these fields, so no hash.
    if (s.formatVersion !== 1 && s.formatVersion !== 2) return undefined;
    if ((s.formatVersion === 1) !== (s.brushMode === null)) return undefined;
    const record = encodeSessionRecord({
      formatVersion: s.formatVersion,
      ...(s.formatVersion === 2 ? { brushMode: s.brushMode! } : {}),
      clockReset: s.clockReset,
      headChanged: false,
      deviceId: s.deviceId,
      seq: s.seq,
      startedAt: Math.floor(Date.parse(s.startedAt) / 1000),
      durationS: s.durationS,
      zones: s.zones,
      pressureAlerts: s.pressureAlerts,
      headId: s.headId,
      firmwareVersion: packFirmwareVersion(s.firmwareVersion),
      batteryPct: s.batteryPct,
    });
    return contentHash(key, record);
  } catch {
    return undefined;
  }
}

/** A device's books as the platform's sessions table holds them: count, highest seq, seq sum and content digest (both mod 2^32). */
export interface DeviceBooks {
  deviceId: number;
  n: number;
  max: number;
  sum: number;
  content: number;
}

/**
 * The books of every device with stored sessions between `fromDeviceId` and `toDeviceId` (inclusive),
 * in one grouped SELECT: what ING-1 and bench:fleet's reconciliation compare with the ledger.
 */
export async function deviceBooks(db: { query: pg.Client['query'] }, fromDeviceId: number, toDeviceId: number, contentKey: Uint8Array): Promise<DeviceBooks[]> {
  const { rows } = await db.query<{ device_id: string; n: number; max: string; sum: string; content: string }>(
    `SELECT device_id::text, count(*)::int AS n, max(seq)::text AS max, (sum(seq) % 4294967296)::text AS sum,
            (sum(${sqlContentHash(3)}) % 4294967296)::text AS content
       FROM sessions WHERE device_id >= $1 AND device_id <= $2 GROUP BY device_id`,
    [fromDeviceId, toDeviceId, contentKey],
  );
  return rows.map((r) => ({ deviceId: Number(r.device_id), n: r.n, max: Number(r.max), sum: Number(r.sum), content: Number(r.content) }));
}
