import { afterAll, beforeAll, expect, it } from 'vitest';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { encodeOtaReport, packSignedOtaReport } from '../../contract/ota-report.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { bond, describeEachTarget, signUp, withDb, type TestAccount } from '../support/world.ts';
import { checkOffer, createRelease, createRollout, getRollout, otaReport, provisionLine, relayReports, signedOtaReport, updateReports, type OtaDevice } from './support.ts';

const T = Math.floor(Date.UTC(2026, 0, 1) / 1000);

describeEachTarget('OTA reports', (serverUrl) => {
  let api: TestApi;
  let owner: TestAccount;
  let other: TestAccount;
  let devices: OtaDevice[];
  let foreign: OtaDevice;
  let rolloutId: string;
  const digest = async () => (await api.app.inject({ method: 'GET', url: '/testbed/digest' })).json().digest as string;
  const firmwareOf = async (d: OtaDevice) => (await api.app.inject({ method: 'GET', url: `/v2/devices/${d.deviceId}`, headers: { authorization: `Bearer ${owner.token}` } })).json().firmwareVersion;
  const otaRow = (d: OtaDevice) =>
    withDb(api.db.url, async (c) => (await c.query('SELECT running_version, anti_rollback_counter, state, report_seq FROM ota_devices WHERE device_id = $1', [d.deviceId])).rows[0]);
  const report = (d: OtaDevice, seq: number, state: Parameters<typeof otaReport>[0]['state'], running = '1.0.0') =>
    otaReport({ deviceId: d.deviceId, seq, rolloutId, state, runningVersion: packFirmwareVersion(running), deviceTime: T });

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    owner = await signUp(api.app, 'ota-reports');
    other = await signUp(api.app, 'ota-reports-other');
    devices = await provisionLine(api.app, [95_001, 95_002, 95_003, 95_004], 'adult-brush');
    foreign = (await provisionLine(api.app, [95_100], 'adult-brush'))[0]!;
    for (const d of devices) await bond(api.app, owner, d);
    await bond(api.app, other, foreign);
    const rel = await createRelease(api.app, { productLine: 'adult-brush', version: '2.0.0', antiRollbackCounter: 4 });
    rolloutId = (await createRollout(api.app, rel.releaseId)).rolloutId;
    for (const d of [...devices]) expect((await checkOffer(api.app, owner.token, d.deviceId)).json().offer).not.toBeNull();
    expect((await checkOffer(api.app, other.token, foreign.deviceId)).json().offer).not.toBeNull();
  });
  afterAll(async () => api?.close());

  it('refuses a forged "confirmed" (signed by another device, or by nobody), and nothing changes', async () => {
    const [d, impostor] = devices as [OtaDevice, OtaDevice];
    const before = { digest: await digest(), fw: await firmwareOf(d) };
    const claim = report(d, 1, 'confirmed', '2.0.0');
    const forged = signedOtaReport(claim, impostor.key.privateKey);
    const unsigned = Buffer.from(packSignedOtaReport(encodeOtaReport(claim), new Uint8Array(64))).toString('base64url');
    for (const r of [forged, unsigned]) {
      const res = await relayReports(api.app, owner.token, [r]);
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'ota-report-rejected', results: [{ deviceId: d.deviceId, seq: 1, verdict: 'rejected', code: 'signature-invalid' }] });
    }
    expect(await digest()).toBe(before.digest);
    expect(await firmwareOf(d)).toBe(before.fw);
    expect((await getRollout(api.app, rolloutId)).counts.confirmed).toBe(0);
  });

  it('takes a device-signed update path: state, firmware version and anti-rollback counter follow the latest report', async () => {
    const d = devices[0]!;
    const res = await relayReports(api.app, owner.token, updateReports(d, rolloutId, '1.0.0', '2.0.0', T));
    expect(res.statusCode).toBe(200);
    expect(res.json().counts).toEqual({ stored: 5, duplicate: 0, rejected: 0 });
    expect(await firmwareOf(d)).toBe('2.0.0');
    expect(await otaRow(d)).toEqual({ running_version: packFirmwareVersion('2.0.0'), anti_rollback_counter: 4, state: 'confirmed', report_seq: 5 });
    const status = await getRollout(api.app, rolloutId);
    expect(status.counts).toMatchObject({ confirmed: 1, offered: 4 }); // four devices of this account, one of the other
  });

  it('stores a report once: a copy is a duplicate, other bytes under the seq a seq-conflict, and an older report never moves the state back', async () => {
    const d = devices[1]!;
    const path = updateReports(d, rolloutId, '1.0.0', '2.0.0', T, 'booted'); // seqs 1..4
    expect((await relayReports(api.app, owner.token, path.slice(2))).json().counts).toEqual({ stored: 2, duplicate: 0, rejected: 0 });
    const late = await relayReports(api.app, owner.token, [...path.slice(0, 2), path[3]!]);
    expect(late.json().results.map((r: { verdict: string }) => r.verdict)).toEqual(['stored', 'stored', 'duplicate']);
    expect((await otaRow(d))!.state).toBe('booted');
    const conflicting = signedOtaReport(report(d, 4, 'failed'), d.key.privateKey);
    const res = await relayReports(api.app, owner.token, [conflicting]);
    expect(res.statusCode).toBe(422);
    expect(res.json().results[0]).toMatchObject({ verdict: 'rejected', code: 'seq-conflict' });
    // Inside one batch too: the first copy wins, a different copy is a conflict.
    const again = signedOtaReport(report(d, 5, 'confirmed', '2.0.0'), d.key.privateKey);
    const other5 = signedOtaReport(report(d, 5, 'rolled-back'), d.key.privateKey);
    expect((await relayReports(api.app, owner.token, [again, again, other5])).json().results.map((r: { verdict: string; code?: string }) => r.code ?? r.verdict)).toEqual([
      'stored',
      'duplicate',
      'seq-conflict',
    ]);
    expect((await otaRow(d))!.state).toBe('confirmed');
  });

  it("rejects reports of another account's device, and of a rollout the device was never offered, with one bad report never losing the good ones", async () => {
    const d = devices[2]!;
    const good = signedOtaReport(report(d, 1, 'downloaded'), d.key.privateKey);
    const notMine = signedOtaReport(otaReport({ deviceId: foreign.deviceId, seq: 1, rolloutId, state: 'confirmed', deviceTime: T }), foreign.key.privateKey);
    const wrongRollout = signedOtaReport(otaReport({ deviceId: d.deviceId, seq: 2, rolloutId: '00000000-0000-4000-8000-00000000beef', state: 'downloaded', deviceTime: T }), d.key.privateKey);
    const res = await relayReports(api.app, owner.token, [good, notMine, wrongRollout]);
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((r: { verdict: string; code?: string }) => r.code ?? r.verdict)).toEqual(['stored', 'device-not-bonded', 'unknown-rollout']);
    // Refused alone, each changes nothing.
    const fresh = devices[3]!; // no OTA state yet
    const freshWrongRollout = signedOtaReport(otaReport({ deviceId: fresh.deviceId, seq: 1, rolloutId: '00000000-0000-4000-8000-00000000beef', state: 'confirmed', deviceTime: T }), fresh.key.privateKey);
    for (const r of [notMine, wrongRollout, freshWrongRollout]) {
      const before = await digest();
      expect((await relayReports(api.app, owner.token, [r])).statusCode).toBe(422);
      expect(await digest()).toBe(before);
    }
    // The other account relays its own device's report fine.
    expect((await relayReports(api.app, other.token, [notMine])).json().counts.stored).toBe(1);
  });

  it('refuses undecodable reports as a whole (400) and unauthenticated phones (401)', async () => {
    const d = devices[3]!;
    const good = signedOtaReport(report(d, 1, 'downloaded'), d.key.privateKey);
    const bytes = Buffer.from(good, 'base64url');
    bytes[1] = 99; // no such state
    const bad = await relayReports(api.app, owner.token, [good, bytes.toString('base64url')]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation-failed', field: 'reports[1]' });
    expect((await otaRow(d))?.report_seq ?? 0).toBe(0);
    // Authentication comes first: a forged token is a 401 even with an undecodable body, and the offer check too.
    const forgedToken = await relayReports(api.app, 'at_nope', ['garbage']);
    expect(forgedToken.statusCode).toBe(401);
    expect(forgedToken.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await checkOffer(api.app, 'at_nope', d.deviceId)).statusCode).toBe(401);
  });
});
