import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  advanceClock,
  bearer,
  bond,
  bondChallenge,
  bondProof,
  describeEachDatabase,
  deviceKey,
  ownedDeviceIds,
  postBond,
  provisionDevices,
  rowCounts,
  seedFor,
  signUpAndSignIn,
  withClient,
  type TestAccount,
  type TestDevice,
} from '../support/fixtures.ts';

describeEachDatabase('bonding', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  const ownerOf = (deviceId: number) =>
    withClient(api.db.url, async (c) => (await c.query<{ owner: string | null }>('SELECT owner_account_id AS owner FROM devices WHERE device_id = $1', [deviceId])).rows[0]?.owner);

  const eventsOf = (deviceId: number) =>
    withClient(api.db.url, async (c) => (await c.query<{ kind: string; account_id: string | null; data: Record<string, unknown> }>('SELECT kind, account_id, data FROM events WHERE device_id = $1 ORDER BY event_id', [deviceId])).rows);

  /** A fresh account and a fresh device; `bonded` bonds them first. */
  async function setup(bonded = false): Promise<{ owner: TestAccount; device: TestDevice }> {
    const owner = await signUpAndSignIn(api.app);
    const [device] = await provisionDevices(api.app, 1);
    if (bonded) expect((await bond(api.app, owner, device!)).statusCode).toBe(200);
    return { owner, device: device! };
  }

  /** Expect a refused bond that leaves every table as it was and the owner unchanged. */
  async function expectRefused(account: TestAccount, device: TestDevice, proof: object, status: number, code: string, field: string) {
    const ownerBefore = await ownerOf(device.deviceId);
    const before = await rowCounts(api.db.url, ['devices', 'events']);
    const res = await postBond(api.app, account.accessToken, device.deviceId, proof);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code, field });
    expect(await rowCounts(api.db.url, ['devices', 'events'])).toEqual(before);
    expect(await ownerOf(device.deviceId)).toBe(ownerBefore);
  }

  describe('pairing with a button press', () => {
    it('bonds the device to the account: 200, listed for the owner, device.bonded appended', async () => {
      const { owner, device } = await setup();
      const res = await bond(api.app, owner, device);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ deviceId: device.deviceId, accountId: owner.accountId });
      expect(await ownedDeviceIds(api.app, owner.accessToken)).toEqual([device.deviceId]);
      const one = await api.app.inject({ method: 'GET', url: `/v2/devices/${device.deviceId}`, headers: bearer(owner.accessToken) });
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ deviceId: device.deviceId, bondedAt: res.json().bondedAt });
      expect((await eventsOf(device.deviceId)).map((e) => e.kind)).toEqual(['device.provisioned', 'device.bonded']);
    });

    it('an expired challenge is 409 challenge-invalid', async () => {
      const { owner, device } = await setup();
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      await advanceClock(api.app, 120_000 + 1);
      await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1 }), 409, 'challenge-invalid', 'challenge');
    });

    it('a challenge is single-use: the second proof on it is 409 challenge-invalid', async () => {
      const { owner, device } = await setup();
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      expect((await postBond(api.app, owner.accessToken, device.deviceId, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1 }))).statusCode).toBe(200);
      await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 2 }), 409, 'challenge-invalid', 'challenge');
    });

    it('a challenge issued to another account is 409 challenge-invalid', async () => {
      const { owner, device } = await setup();
      const other = await signUpAndSignIn(api.app);
      const othersChallenge = await bondChallenge(api.app, other.accessToken, device.deviceId);
      await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge: othersChallenge, pressCounter: 1 }), 409, 'challenge-invalid', 'challenge');
    });

    it('a challenge issued for another device is 409 challenge-invalid', async () => {
      const { owner, device } = await setup();
      const [otherDevice] = await provisionDevices(api.app, 1);
      const challenge = await bondChallenge(api.app, owner.accessToken, otherDevice!.deviceId);
      await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1 }), 409, 'challenge-invalid', 'challenge');
    });

    it('a press counter not above the last one seen is 409 press-counter-stale', async () => {
      const { owner, device } = await setup();
      const first = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      expect((await postBond(api.app, owner.accessToken, device.deviceId, bondProof(device, { accountId: owner.accountId, challenge: first, pressCounter: 5 }))).statusCode).toBe(200);
      for (const pressCounter of [5, 4]) {
        const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
        await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter }), 409, 'press-counter-stale', 'pressCounter');
      }
    });

    it('a proof signed by another key is 403 bond-proof-invalid', async () => {
      const { owner, device } = await setup();
      const forger = await deviceKey(seedFor('forger'));
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1, signer: forger }), 403, 'bond-proof-invalid', 'signature');
    });

    it('a proof whose signed fields differ from the body is 403 bond-proof-invalid', async () => {
      const { owner, device } = await setup();
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      const proof = bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1 });
      await expectRefused(owner, device, { ...proof, pressCounter: 99 }, 403, 'bond-proof-invalid', 'signature');
    });

    it('a validly signed proof without a button press is 403 button-not-pressed', async () => {
      const { owner, device } = await setup();
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      await expectRefused(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1, buttonPressed: false }), 403, 'button-not-pressed', 'buttonPressed');
    });
  });

  describe('changing owner (AUTH-3)', () => {
    it('another account cannot take a bonded device without a valid fresh proof', async () => {
      const { owner, device } = await setup(true);
      const thief = await signUpAndSignIn(api.app);
      const forger = await deviceKey(seedFor('thief'));
      const challenge = await bondChallenge(api.app, thief.accessToken, device.deviceId);
      await expectRefused(thief, device, bondProof(device, { accountId: thief.accountId, challenge, pressCounter: 5, signer: forger }), 403, 'bond-proof-invalid', 'signature');
      expect(await ownedDeviceIds(api.app, owner.accessToken)).toEqual([device.deviceId]);
      expect(await ownedDeviceIds(api.app, thief.accessToken)).toEqual([]);
    });

    it("a proof signed for the owner's account does not bond the device to another account", async () => {
      const { owner, device } = await setup(true);
      const thief = await signUpAndSignIn(api.app);
      const challenge = await bondChallenge(api.app, thief.accessToken, device.deviceId);
      const proofForOwner = bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 5 });
      await expectRefused(thief, device, proofForOwner, 403, 'bond-proof-invalid', 'signature');
    });

    it('with a fresh device-signed proof the device moves atomically, recorded as device.rebonded', async () => {
      const { owner, device } = await setup(true);
      const buyer = await signUpAndSignIn(api.app);
      const res = await bond(api.app, buyer, device);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ deviceId: device.deviceId, accountId: buyer.accountId });
      expect(await ownedDeviceIds(api.app, owner.accessToken)).toEqual([]);
      expect(await ownedDeviceIds(api.app, buyer.accessToken)).toEqual([device.deviceId]);
      const last = (await eventsOf(device.deviceId)).at(-1);
      expect(last).toMatchObject({ kind: 'device.rebonded', account_id: buyer.accountId, data: { from: owner.accountId } });
    });
  });

  describe('unbonding and object-level authorisation (AUTH-2)', () => {
    it('the owner unbonds (204): the device is no longer listed, device.unbonded appended', async () => {
      const { owner, device } = await setup(true);
      const res = await api.app.inject({ method: 'DELETE', url: `/v2/devices/${device.deviceId}/bond`, headers: bearer(owner.accessToken) });
      expect(res.statusCode).toBe(204);
      expect(await ownedDeviceIds(api.app, owner.accessToken)).toEqual([]);
      expect(await ownerOf(device.deviceId)).toBeNull();
      expect((await eventsOf(device.deviceId)).at(-1)?.kind).toBe('device.unbonded');
    });

    it('another account unbonding is 404, and the owner keeps the device', async () => {
      const { owner, device } = await setup(true);
      const other = await signUpAndSignIn(api.app);
      const before = await rowCounts(api.db.url, ['events']);
      const res = await api.app.inject({ method: 'DELETE', url: `/v2/devices/${device.deviceId}/bond`, headers: bearer(other.accessToken) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not-found' });
      expect(await ownerOf(device.deviceId)).toBe(owner.accountId);
      expect(await rowCounts(api.db.url, ['events'])).toEqual(before);
    });

    it("another account's device reads exactly like a missing one (404)", async () => {
      const { device } = await setup(true);
      const other = await signUpAndSignIn(api.app);
      const theirs = await api.app.inject({ method: 'GET', url: `/v2/devices/${device.deviceId}`, headers: bearer(other.accessToken) });
      const missing = await api.app.inject({ method: 'GET', url: '/v2/devices/999999999', headers: bearer(other.accessToken) });
      expect(theirs.statusCode).toBe(404);
      expect(missing.statusCode).toBe(404);
      const { detail: _d1, instance: _i1, ...a } = theirs.json();
      const { detail: _d2, instance: _i2, ...b } = missing.json();
      expect(a).toEqual(b);
      expect(await ownedDeviceIds(api.app, other.accessToken)).toEqual([]);
    });
  });
});
