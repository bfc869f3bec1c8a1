import { afterAll, beforeAll, expect, it } from 'vitest';
import { cohortBucket, percentToBuckets } from '../../contract/ota-rollout.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { bond, describeEachTarget, signUp, type TestAccount } from '../support/world.ts';
import { act, checkOffer, createRelease, createRollout, OPERATOR, provisionLine, relayReports, updateReports, type OtaDevice } from './support.ts';

const T = Math.floor(Date.UTC(2026, 0, 1) / 1000);
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describeEachTarget('OTA offers', (serverUrl) => {
  let api: TestApi;
  let owner: TestAccount;
  let stranger: TestAccount;
  let adults: OtaDevice[];
  let kids: OtaDevice[];
  const offer = async (d: OtaDevice, who: TestAccount = owner) => {
    const res = await checkOffer(api.app, who.token, d.deviceId);
    if (res.statusCode !== 200) throw new Error(`check ${d.deviceId} answered ${res.statusCode}: ${res.body}`);
    return res.json() as { deviceId: number; offer: null | { rolloutId: string; version: string; stageIndex: number; antiRollbackCounter: number }; reason: string | null };
  };

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    owner = await signUp(api.app, 'ota-offers');
    stranger = await signUp(api.app, 'ota-stranger');
    adults = await provisionLine(api.app, ids(92_000, 60), 'adult-brush');
    kids = await provisionLine(api.app, ids(93_000, 3), 'kids-brush');
    for (const d of [...adults, ...kids]) await bond(api.app, owner, d);
  });
  afterAll(async () => api?.close());

  it('offers nothing when the line has no rollout, and nothing for a device that is not yours (404)', async () => {
    expect(await offer(adults[0]!)).toEqual({ deviceId: adults[0]!.deviceId, offer: null, reason: 'no-rollout' });
    const res = await checkOffer(api.app, stranger.token, adults[0]!.deviceId);
    expect(res.statusCode).toBe(404);
    expect((await checkOffer(api.app, owner.token, 424_242)).statusCode).toBe(404);
  });

  it('assigns cohorts by the contract hash, stable per device and nested across stages', async () => {
    const rel = await createRelease(api.app, { productLine: 'adult-brush', version: '2.0.0', antiRollbackCounter: 5 });
    const rolloutId = '4b1d0000-0000-4000-8000-000000000001';
    await createRollout(api.app, rel.releaseId, { rolloutId, stages: [{ percent: 30, soakSeconds: 0 }, { percent: 70, soakSeconds: 0 }, { percent: 100, soakSeconds: 0 }] });
    const inStage = (p: number) => adults.filter((d) => cohortBucket(rolloutId, d.deviceId) < percentToBuckets(p)).map((d) => d.deviceId);

    const first = await Promise.all(adults.map((d) => offer(d)));
    const offered0 = first.filter((a) => a.offer).map((a) => a.deviceId);
    expect(offered0).toEqual(inStage(30));
    expect(offered0.length).toBeGreaterThan(5);
    expect(offered0.length).toBeLessThan(35);
    expect(first.filter((a) => !a.offer).every((a) => a.reason === 'not-in-cohort')).toBe(true);
    // Asking again changes nothing: the same devices, the same offers.
    expect(await Promise.all(adults.map((d) => offer(d)))).toEqual(first);

    expect((await act(api.app, rolloutId, 'advance')).statusCode).toBe(200);
    const second = await Promise.all(adults.map((d) => offer(d)));
    const offered1 = second.filter((a) => a.offer).map((a) => a.deviceId);
    expect(offered1).toEqual(inStage(70));
    expect(offered1).toEqual(expect.arrayContaining(offered0));
    // Members keep the stage they joined in.
    for (const a of second.filter((x) => x.offer)) expect(a.offer!.stageIndex).toBe(offered0.includes(a.deviceId) ? 0 : 1);

    // Another product line is never offered this release.
    expect(await offer(kids[0]!)).toMatchObject({ offer: null, reason: 'no-rollout' });
    // A rollout id already used is refused.
    const dup = await api.app.inject({ method: 'POST', url: '/v2/ota/rollouts', headers: OPERATOR, payload: { releaseId: rel.releaseId, rolloutId, policy: 'health-gate', stages: [{ percent: 1, soakSeconds: 0 }] } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('rollout-exists');
  });

  it('never offers a device what it runs, a release below its anti-rollback counter, or a release it failed', async () => {
    const [a, b, c] = adults.filter((d) => cohortBucket('4b1d0000-0000-4000-8000-000000000001', d.deviceId) < 3000) as [OtaDevice, OtaDevice, OtaDevice];
    const current = (await offer(a)).offer!;
    // a confirms 2.0.0 (counter 5); b rolls back; c's transfer fails.
    const relayed = await relayReports(api.app, owner.token, [
      ...updateReports(a, current.rolloutId, '1.0.0', '2.0.0', T),
      ...updateReports(b, current.rolloutId, '1.0.0', '2.0.0', T, 'rolled-back'),
      ...updateReports(c, current.rolloutId, '1.0.0', '2.0.0', T, 'failed'),
    ]);
    expect(relayed.json().counts).toMatchObject({ rejected: 0 });
    expect(await offer(a)).toMatchObject({ offer: null, reason: 'up-to-date' });
    expect(await offer(b)).toMatchObject({ offer: null, reason: 'previously-failed' });
    expect(await offer(c)).toMatchObject({ offer: null, reason: 'previously-failed' });
    expect((await api.app.inject({ method: 'GET', url: `/v2/devices/${a.deviceId}`, headers: { authorization: `Bearer ${owner.token}` } })).json().firmwareVersion).toBe('2.0.0');
    expect((await api.app.inject({ method: 'GET', url: `/v2/devices/${b.deviceId}`, headers: { authorization: `Bearer ${owner.token}` } })).json().firmwareVersion).toBe('1.0.0');

    // A newer version whose anti-rollback counter (3) is below a's (5): never offered to a, offered to devices still at 0.
    expect((await act(api.app, current.rolloutId, 'cancel')).statusCode).toBe(200);
    const low = await createRelease(api.app, { productLine: 'adult-brush', version: '2.1.0', antiRollbackCounter: 3 });
    await createRollout(api.app, low.releaseId, { stages: [{ percent: 100, soakSeconds: 0 }] });
    expect(await offer(a)).toEqual({ deviceId: a.deviceId, offer: null, reason: 'anti-rollback' });
    expect((await offer(b)).offer).toMatchObject({ version: '2.1.0', antiRollbackCounter: 3 });
  });

  it('a halted rollout makes no offers at all, and resumes offering when resumed', async () => {
    const rel = await createRelease(api.app, { productLine: 'kids-brush', version: '2.0.0' });
    const r = await createRollout(api.app, rel.releaseId);
    expect((await offer(kids[0]!)).offer).not.toBeNull();
    await act(api.app, r.rolloutId, 'halt', 'suspicious');
    for (const d of kids) expect(await offer(d)).toEqual({ deviceId: d.deviceId, offer: null, reason: 'rollout-halted' });
    await act(api.app, r.rolloutId, 'resume');
    expect((await offer(kids[1]!)).offer).toMatchObject({ version: '2.0.0' });
    await act(api.app, r.rolloutId, 'cancel');
    expect(await offer(kids[2]!)).toMatchObject({ offer: null, reason: 'rollout-cancelled' });
  });

  it('a capped stage never takes more devices than its cap, even when they all ask at once', async () => {
    const lineDevices = await provisionLine(api.app, ids(94_000, 30), 'interdental');
    for (const d of lineDevices) await bond(api.app, owner, d);
    const rel = await createRelease(api.app, { productLine: 'interdental', version: '2.0.0' });
    const r = await createRollout(api.app, rel.releaseId, { stages: [{ maxDevices: 7, soakSeconds: 0 }, { percent: 100, soakSeconds: 0 }] });
    const answers = await Promise.all(lineDevices.map((d) => offer(d)));
    expect(answers.filter((a) => a.offer)).toHaveLength(7);
    expect(answers.filter((a) => !a.offer).every((a) => a.reason === 'stage-full')).toBe(true);
    const status = (await api.app.inject({ method: 'GET', url: `/v2/ota/rollouts/${r.rolloutId}`, headers: OPERATOR })).json();
    expect(status).toMatchObject({ devices: 7, stages: [{ devices: 7, counts: { offered: 7 } }, { devices: 0 }] });
  });
});
