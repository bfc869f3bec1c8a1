import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRUSH_MODE_MAX, encodeSessionRecord, type SessionRecord } from '../../contract/record.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  bond,
  careProvider,
  describeEachTarget,
  flipByte,
  freshDeviceIds,
  listSessions,
  provision,
  sessionRecord,
  signedRecord,
  signUp,
  T0,
  uploadBatch,
  withDb,
  type TestAccount,
  type TestDevice,
} from '../support/world.ts';

type Verdict = { deviceId: number; seq: number; verdict: 'stored' | 'duplicate' | 'rejected'; code?: string };
type Served = { deviceId: number; seq: number; formatVersion: number; brushMode: number | null; firmwareVersion: string; durationS: number };

/** A record as firmware at or above RECORD_FORMAT_2_SINCE writes it. */
const v2 = (deviceId: number, seq: number, brushMode: number, over: Partial<SessionRecord> = {}): SessionRecord =>
  sessionRecord(deviceId, seq, { formatVersion: 2, brushMode, firmwareVersion: packFirmwareVersion('2.4.0'), ...over });

describeEachTarget('session record formats 1 and 2: both ingest, each stored and served as written, never as the other', (serverUrl) => {
  let api: TestApi;
  let owner: TestAccount;
  let oldFw: TestDevice;
  let newFw: TestDevice;
  /** What the one mixed upload carried, by [deviceId, seq]. */
  const sent = new Map<string, SessionRecord>();
  const k = (d: number, s: number) => `${d}:${s}`;

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    owner = await signUp(api.app, 'formats');
    [oldFw, newFw] = (await provision(api.app, freshDeviceIds(2))) as [TestDevice, TestDevice];
    await bond(api.app, owner, oldFw);
    await bond(api.app, owner, newFw);
  });
  afterAll(async () => api?.close());

  it('one upload carrying both formats: every record stored, with its own format version and brush mode (stored columns, raw bytes, listing)', async () => {
    const records: SessionRecord[] = [
      sessionRecord(oldFw.deviceId, 1),
      v2(newFw.deviceId, 1, 0),
      sessionRecord(oldFw.deviceId, 2, { durationS: 131 }),
      v2(newFw.deviceId, 2, 2, { durationS: 95 }),
      v2(newFw.deviceId, 3, BRUSH_MODE_MAX),
      // One device updated across the threshold: format 1 up to seq 3, format 2 from seq 4.
      v2(oldFw.deviceId, 3, 1),
    ];
    for (const r of records) sent.set(k(r.deviceId, r.seq), r);
    const res = await uploadBatch(api.app, owner, records.map((r) => signedRecord(r.deviceId === oldFw.deviceId ? oldFw : newFw, r)));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().results.map((v: Verdict) => v.verdict)).toEqual(records.map(() => 'stored'));

    const rows = await withDb(api.db.url, async (c) =>
      (await c.query<{ device_id: string; seq: string; format_version: number; brush_mode: number | null; record: Buffer }>(
        'SELECT device_id::text, seq::text, format_version, brush_mode, record FROM sessions WHERE device_id = ANY($1::bigint[]) ORDER BY device_id, seq',
        [[oldFw.deviceId, newFw.deviceId]],
      )).rows,
    );
    expect(rows).toHaveLength(records.length);
    for (const row of rows) {
      const r = sent.get(k(Number(row.device_id), Number(row.seq)))!;
      expect({ format: row.format_version, mode: row.brush_mode }).toEqual({ format: r.formatVersion, mode: r.formatVersion === 2 ? r.brushMode : null });
      expect(row.record.equals(Buffer.from(encodeSessionRecord(r)))).toBe(true);
      expect(row.record[0]).toBe(r.formatVersion);
    }

    for (const d of [oldFw, newFw]) {
      const listing = await listSessions(api.app, owner, d.deviceId);
      expect(listing.statusCode, listing.body).toBe(200);
      const served = listing.json().sessions as Served[];
      expect(served.length).toBe(records.filter((r) => r.deviceId === d.deviceId).length);
      for (const s of served) {
        const r = sent.get(k(s.deviceId, s.seq))!;
        expect(s.formatVersion).toBe(r.formatVersion);
        expect(s.brushMode).toBe(r.formatVersion === 2 ? r.brushMode : null);
        expect(s.durationS).toBe(r.durationS);
      }
    }
  });

  it('the care route serves both formats with their own version and brush mode', async () => {
    const dentist = await careProvider(api.app, 'formats-dentist');
    const granted = await api.app.inject({ method: 'PUT', url: `/v2/care/consents/${dentist.accountId}`, headers: { authorization: `Bearer ${owner.token}` } });
    expect(granted.statusCode, granted.body).toBe(200);
    const from = new Date((T0 - 86_400) * 1000).toISOString();
    const to = new Date(T0 * 1000).toISOString();
    const res = await api.app.inject({
      method: 'GET',
      url: `/v2/care/patients/${owner.accountId}/sessions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      headers: { authorization: `Bearer ${dentist.token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const served = res.json().sessions as Served[];
    expect(served).toHaveLength(sent.size);
    for (const s of served) {
      const r = sent.get(k(s.deviceId, s.seq))!;
      expect([s.formatVersion, s.brushMode]).toEqual([r.formatVersion, r.formatVersion === 2 ? r.brushMode : null]);
    }
    expect(new Set(served.map((s) => s.formatVersion))).toEqual(new Set([1, 2]));
  });

  describe('the version byte is signed: a phone cannot relabel a record', () => {
    it('a signed format-2 record (brushMode 0) whose version byte is flipped to 1 decodes as format 1 but is rejected signature-invalid, and nothing is stored', async () => {
      const flipped = flipByte(signedRecord(newFw, v2(newFw.deviceId, 10, 0)), 0, 0x03); // 2 → 1; byte 33 is 0, so it is a well-formed format-1 record
      const good = signedRecord(newFw, v2(newFw.deviceId, 11, 1));
      const res = await uploadBatch(api.app, owner, [flipped, good]);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().results).toEqual([
        { deviceId: newFw.deviceId, seq: 10, verdict: 'rejected', code: 'signature-invalid', detail: expect.any(String) },
        { deviceId: newFw.deviceId, seq: 11, verdict: 'stored' },
      ]);
      const n = await withDb(api.db.url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE device_id = $1 AND seq = 10', [newFw.deviceId])).rows[0]!.n);
      expect(n).toBe(0);
    });

    it('a signed format-1 record whose version byte is flipped to 2 (it would read as brushMode 0) is rejected signature-invalid', async () => {
      const flipped = flipByte(signedRecord(oldFw, sessionRecord(oldFw.deviceId, 10)), 0, 0x03); // 1 → 2
      const res = await uploadBatch(api.app, owner, [flipped]);
      expect(res.statusCode).toBe(422);
      expect(res.json().results).toEqual([{ deviceId: oldFw.deviceId, seq: 10, verdict: 'rejected', code: 'signature-invalid', detail: expect.any(String) }]);
    });

    it('a signed format-2 record with a brush mode flipped to 1 cannot be a format-1 record at all: 400 naming records[i], nothing written', async () => {
      const flipped = flipByte(signedRecord(newFw, v2(newFw.deviceId, 12, 2)), 0, 0x03);
      const res = await uploadBatch(api.app, owner, [signedRecord(newFw, v2(newFw.deviceId, 13, 0)), flipped]);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'records[1]' });
      expect(res.json().detail).toMatch(/reserved byte 33/);
    });

    it('a format-2 record with an out-of-range brush mode is 400 naming records[i]', async () => {
      const bad = flipByte(signedRecord(newFw, v2(newFw.deviceId, 14, 0)), 33, BRUSH_MODE_MAX + 1);
      const res = await uploadBatch(api.app, owner, [bad]);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'records[0]' });
      expect(res.json().detail).toMatch(/brushMode/);
    });
  });

  it('the database ties brush_mode to format_version, and stored sessions stay append-only', async () => {
    await withDb(api.db.url, async (c) => {
      const base = `INSERT INTO sessions (device_id, seq, account_id, head_id, started_at, duration_s, zones, pressure_alerts, firmware_version, battery_pct,
                                          clock_reset, head_changed, record, signature, received_at, format_version, brush_mode)
                    SELECT $1, $2, $3, 17592186044417, now(), 120, 255, 0, '1.0.0', 80, false, false, '\\x00'::bytea, '\\x${'00'.repeat(64)}'::bytea, now(), $4, $5`;
      for (const [format, mode] of [[1, 0], [2, null], [2, BRUSH_MODE_MAX + 1], [3, null]] as const) {
        await expect(c.query(base, [newFw.deviceId, 900 + format, owner.accountId, format, mode]), `${format}/${mode}`).rejects.toMatchObject({ code: '23514' });
      }
      await expect(c.query('UPDATE sessions SET brush_mode = NULL, format_version = 1 WHERE device_id = $1', [newFw.deviceId])).rejects.toThrow();
      await expect(c.query('DELETE FROM sessions WHERE device_id = $1', [newFw.deviceId])).rejects.toThrow();
    });
  });
});
