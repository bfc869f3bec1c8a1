import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { unpackFirmwareVersion } from '../../../../contract/firmware-version.ts';
import { BRUSH_MODE_MAX, encodeSessionRecord, type SessionRecord } from '../../../../contract/record.ts';
import { contentHash, contentKey } from '../../../../simulators/ledger.ts';
import { databaseTargets } from '../../../../test/support/databases.ts';
import { servedContentHash, sqlContentHash, type ServedSession } from './content-digest.ts';

const RECORDS: SessionRecord[] = [
  { formatVersion: 1, clockReset: false, headChanged: false, deviceId: 4_294_967_297, seq: 1, startedAt: 1_767_225_600, durationS: 121, zones: 0xff, pressureAlerts: 0, headId: 0x0102_0304_0506, firmwareVersion: 0x0104_0002, batteryPct: 87 },
  { formatVersion: 1, clockReset: true, headChanged: true, deviceId: Number.MAX_SAFE_INTEGER, seq: 0xffff_ffff, startedAt: 0xffff_ffff, durationS: 0xffff, zones: 0x7e, pressureAlerts: 255, headId: 0xffff_ffff_ffff, firmwareVersion: 0xffff_ffff, batteryPct: 100 },
  { formatVersion: 1, clockReset: true, headChanged: false, deviceId: 1, seq: 0x8000_0000, startedAt: 0, durationS: 0, zones: 0, pressureAlerts: 3, headId: 0, firmwareVersion: 0, batteryPct: 0 },
  // Format 2: the version byte and byte 33 (brushMode) are rebuilt too.
  { formatVersion: 2, brushMode: 2, clockReset: false, headChanged: true, deviceId: 4_294_967_298, seq: 9, startedAt: 1_767_225_600, durationS: 118, zones: 0xff, pressureAlerts: 1, headId: 0x0102_0304_0507, firmwareVersion: 0x0204_0000, batteryPct: 64 },
  { formatVersion: 2, brushMode: 0, clockReset: true, headChanged: false, deviceId: 2, seq: 1, startedAt: 0, durationS: 0, zones: 0, pressureAlerts: 0, headId: 0, firmwareVersion: 0, batteryPct: 0 },
  { formatVersion: 2, brushMode: BRUSH_MODE_MAX, clockReset: true, headChanged: true, deviceId: Number.MAX_SAFE_INTEGER, seq: 0xffff_ffff, startedAt: 0xffff_ffff, durationS: 0xffff, zones: 0xff, pressureAlerts: 255, headId: 0xffff_ffff_ffff, firmwareVersion: 0xffff_ffff, batteryPct: 100 },
];
const V2 = RECORDS.filter((r) => r.formatVersion === 2);

/** What the owner's listing serves for a stored record (reference-api/src/routes/sessions.ts toSession). */
const served = (r: SessionRecord): ServedSession => ({
  deviceId: r.deviceId,
  seq: r.seq,
  startedAt: new Date(r.startedAt * 1000).toISOString(),
  durationS: r.durationS,
  zones: r.zones,
  pressureAlerts: r.pressureAlerts,
  headId: r.headId,
  firmwareVersion: unpackFirmwareVersion(r.firmwareVersion),
  batteryPct: r.batteryPct,
  clockReset: r.clockReset,
  formatVersion: r.formatVersion,
  brushMode: r.formatVersion === 2 ? r.brushMode! : null,
});

const key = contentKey(2024);

/** One sessions row's content hash, from its columns as parameters $2..$14 (key $1). */
const ROW_SQL = `SELECT ${sqlContentHash(1)}::text AS h
   FROM (VALUES ($2::bigint, $3::bigint, $4::timestamptz, $5::int, $6::smallint, $7::smallint, $8::bigint, $9::text, $10::smallint, $11::boolean, $12::boolean, $13::smallint, $14::smallint))
     AS sessions(device_id, seq, started_at, duration_s, zones, pressure_alerts, head_id, firmware_version, battery_pct, clock_reset, head_changed, format_version, brush_mode)`;

describe('content digest: the ledger, the sessions listing and SQL agree on a record\'s content hash', () => {
  it('from the served fields (API path), edge values included', () => {
    for (const r of RECORDS) expect(servedContentHash(key, served(r))).toBe(contentHash(key, encodeSessionRecord(r)));
    expect(servedContentHash(key, { ...served(RECORDS[0]!), durationS: 122 })).not.toBe(contentHash(key, encodeSessionRecord(RECORDS[0]!)));
    expect(servedContentHash(key, { ...served(RECORDS[0]!), firmwareVersion: 'not a version' })).toBeUndefined();
  });

  it('a format-2 record served as format 1, with another brush mode, or without one is a witness (API path)', () => {
    for (const r of V2) {
      const want = contentHash(key, encodeSessionRecord(r));
      expect(servedContentHash(key, served(r))).toBe(want);
      // Stored as format 1 (brushMode dropped): a valid format-1 record, but not the one the device signed.
      const asV1 = servedContentHash(key, { ...served(r), formatVersion: 1, brushMode: null });
      expect(asV1).toBeDefined();
      expect(asV1).not.toBe(want);
      expect(servedContentHash(key, { ...served(r), brushMode: (r.brushMode! + 1) % (BRUSH_MODE_MAX + 1) })).not.toBe(want);
      // Fields no record has: format 2 without a brush mode, format 1 with one, an unknown format.
      expect(servedContentHash(key, { ...served(r), brushMode: null })).toBeUndefined();
      expect(servedContentHash(key, { ...served(r), formatVersion: 1 })).toBeUndefined();
      expect(servedContentHash(key, { ...served(r), formatVersion: 3 })).toBeUndefined();
      expect(servedContentHash(key, { ...served(r), formatVersion: undefined as unknown as number })).toBeUndefined();
    }
    // And a format-1 record served as format 2 (with the brush mode 0 its reserved byte would read as).
    const v1 = RECORDS[0]!;
    expect(servedContentHash(key, { ...served(v1), formatVersion: 2, brushMode: 0 })).not.toBe(contentHash(key, encodeSessionRecord(v1)));
  });

  const serverUrl = databaseTargets()[0]!.serverUrl;
  it.skipIf(!serverUrl)('from a sessions row\'s columns (SQL path), edge values included', async () => {
    const client = new pg.Client({ connectionString: serverUrl! });
    await client.connect();
    try {
      for (const r of RECORDS) {
        const s = served(r);
        const { rows } = await client.query<{ h: string }>(
          ROW_SQL,
          [key, s.deviceId, s.seq, s.startedAt, s.durationS, s.zones, s.pressureAlerts, s.headId, s.firmwareVersion, s.batteryPct, s.clockReset, r.headChanged, s.formatVersion, s.brushMode],
        );
        expect(Number(rows[0]!.h), JSON.stringify(s)).toBe(contentHash(key, encodeSessionRecord(r)));
      }
      // A format-2 record stored as format 1 (brush mode dropped), with another brush mode, or
      // without one: each row hashes (no failed query), and none as the record the device signed.
      for (const r of V2) {
        const s = served(r);
        const want = contentHash(key, encodeSessionRecord(r));
        for (const [formatVersion, brushMode] of [[1, null], [2, (r.brushMode! + 1) % (BRUSH_MODE_MAX + 1)], [2, null], [1, r.brushMode!], [3, r.brushMode!]] as const) {
          const { rows } = await client.query<{ h: string }>(ROW_SQL, [key, s.deviceId, s.seq, s.startedAt, s.durationS, s.zones, s.pressureAlerts, s.headId, s.firmwareVersion, s.batteryPct, s.clockReset, r.headChanged, formatVersion, brushMode]);
          expect(Number(rows[0]!.h), `${formatVersion}/${brushMode}`).not.toBe(want);
        }
      }
      // Firmware text that cannot be a version: a hash (a mismatch for the checker), not a failed query.
      const { rows } = await client.query<{ h: string }>(
        `SELECT ${sqlContentHash(1)}::text AS h FROM (VALUES (1::bigint, 1::bigint, now(), 1, 1::smallint, 1::smallint, 1::bigint, '1.x.99999999999999999999', 1::smallint, false, 1::smallint, NULL::smallint))
           AS sessions(device_id, seq, started_at, duration_s, zones, pressure_alerts, head_id, firmware_version, battery_pct, clock_reset, format_version, brush_mode)`,
        [key],
      );
      expect(Number(rows[0]!.h)).toBeGreaterThanOrEqual(0);
    } finally {
      await client.end();
    }
  });
});
