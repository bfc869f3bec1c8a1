import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { unpackFirmwareVersion } from '../../../../contract/firmware-version.ts';
import { encodeSessionRecord, type SessionRecord } from '../../../../contract/record.ts';
import { contentHash, contentKey } from '../../../../simulators/ledger.ts';
import { databaseTargets } from '../../../../test/support/databases.ts';
import { servedContentHash, sqlContentHash, type ServedSession } from './content-digest.ts';

const RECORDS: SessionRecord[] = [
  { formatVersion: 1, clockReset: false, headChanged: false, deviceId: 4_294_967_297, seq: 1, startedAt: 1_767_225_600, durationS: 121, zones: 0xff, pressureAlerts: 0, headId: 0x0102_0304_0506, firmwareVersion: 0x0104_0002, batteryPct: 87 },
  { formatVersion: 1, clockReset: true, headChanged: true, deviceId: Number.MAX_SAFE_INTEGER, seq: 0xffff_ffff, startedAt: 0xffff_ffff, durationS: 0xffff, zones: 0x7e, pressureAlerts: 255, headId: 0xffff_ffff_ffff, firmwareVersion: 0xffff_ffff, batteryPct: 100 },
  { formatVersion: 1, clockReset: true, headChanged: false, deviceId: 1, seq: 0x8000_0000, startedAt: 0, durationS: 0, zones: 0, pressureAlerts: 3, headId: 0, firmwareVersion: 0, batteryPct: 0 },
];

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
});

const key = contentKey(2024);

describe('content digest: the ledger, the sessions listing and SQL agree on a record\'s content hash', () => {
  it('from the served fields (API path), edge values included', () => {
    for (const r of RECORDS) expect(servedContentHash(key, served(r))).toBe(contentHash(key, encodeSessionRecord(r)));
    expect(servedContentHash(key, { ...served(RECORDS[0]!), durationS: 122 })).not.toBe(contentHash(key, encodeSessionRecord(RECORDS[0]!)));
    expect(servedContentHash(key, { ...served(RECORDS[0]!), firmwareVersion: 'not a version' })).toBeUndefined();
  });

  const serverUrl = databaseTargets()[0]!.serverUrl;
  it.skipIf(!serverUrl)('from a sessions row\'s columns (SQL path), edge values included', async () => {
    const client = new pg.Client({ connectionString: serverUrl! });
    await client.connect();
    try {
      for (const r of RECORDS) {
        const s = served(r);
        const { rows } = await client.query<{ h: string }>(
          `SELECT ${sqlContentHash(1)}::text AS h
             FROM (VALUES ($2::bigint, $3::bigint, $4::timestamptz, $5::int, $6::smallint, $7::smallint, $8::bigint, $9::text, $10::smallint, $11::boolean, $12::boolean))
               AS sessions(device_id, seq, started_at, duration_s, zones, pressure_alerts, head_id, firmware_version, battery_pct, clock_reset, head_changed)`,
          [key, s.deviceId, s.seq, s.startedAt, s.durationS, s.zones, s.pressureAlerts, s.headId, s.firmwareVersion, s.batteryPct, s.clockReset, r.headChanged],
        );
        expect(Number(rows[0]!.h), JSON.stringify(s)).toBe(contentHash(key, encodeSessionRecord(r)));
      }
      // Firmware text that cannot be a version: a hash (a mismatch for the checker), not a failed query.
      const { rows } = await client.query<{ h: string }>(
        `SELECT ${sqlContentHash(1)}::text AS h FROM (VALUES (1::bigint, 1::bigint, now(), 1, 1::smallint, 1::smallint, 1::bigint, '1.x.99999999999999999999', 1::smallint, false))
           AS sessions(device_id, seq, started_at, duration_s, zones, pressure_alerts, head_id, firmware_version, battery_pct, clock_reset)`,
        [key],
      );
      expect(Number(rows[0]!.h)).toBeGreaterThanOrEqual(0);
    } finally {
      await client.end();
    }
  });
});
