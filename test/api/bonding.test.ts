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

    it('on the virtual clock: the challenge expires 120 s after it, the bond is stamped with it', async () => {
      const { owner, device } = await setup();
      await advanceClock(api.app, 1_234); // a clock with milliseconds
      const clockNow = (await api.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs as number;
      const res = await api.app.inject({ method: 'POST', url: `/v2/devices/${device.deviceId}/bond-challenge`, headers: bearer(owner.accessToken) });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ deviceId: device.deviceId, expiresAt: new Date(clockNow + 120_000).toISOString() });
      const bonded = await postBond(api.app, owner.accessToken, device.deviceId, bondProof(device, { accountId: owner.accountId, challenge: res.json().challenge, pressCounter: 1 }));
      expect(bonded.statusCode).toBe(200);
      expect(bonded.json().bondedAt).toBe(new Date(clockNow).toISOString());
    });

    it('a challenge for a device never provisioned is 404 not-found', async () => {
      const { owner } = await setup();
      const res = await api.app.inject({ method: 'POST', url: '/v2/devices/999999999/bond-challenge', headers: bearer(owner.accessToken) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not-found', field: 'deviceId', detail: 'No device 999999999 is provisioned.' });
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

  describe('races: one statement decides, a changed device takes the slow path', () => {
    const usedAt = (challenge: string) =>
      withClient(api.db.url, async (c) => (await c.query<{ used_at: Date | null }>('SELECT used_at FROM bond_challenges WHERE challenge = $1', [Buffer.from(challenge, 'base64url')])).rows[0]?.used_at);

    /**
     * Hold the device's row lock from another connection while `change` runs in it, let a bond
     * request read the device and reach its write (which then waits for the lock), commit, and
     * return the bond's answer: the write finds the device changed under it.
     */
    async function bondAcrossChange(account: TestAccount, device: TestDevice, proof: object, change: Array<[string, unknown[]]>) {
      return withClient(api.db.url, async (c) => {
        await c.query('BEGIN');
        for (const [text, values] of change) await c.query(text, values);
        const answer = postBond(api.app, account.accessToken, device.deviceId, proof);
        for (let i = 0; ; i++) {
          const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted AND a.datname = current_database()');
          if (rows[0]!.n > 0) break;
          if (i > 500) throw new Error('the bond never waited for the device row lock');
          await new Promise((r) => setTimeout(r, 10));
        }
        await c.query('COMMIT');
        return answer;
      });
    }

    it('two concurrent bonds of one device on two valid challenges with the same press: exactly one wins', async () => {
      for (let round = 0; round < 4; round++) {
        const { device } = await setup();
        const [a, b] = [await signUpAndSignIn(api.app), await signUpAndSignIn(api.app)];
        const proofs = await Promise.all(
          [a, b].map(async (acct) => bondProof(device, { accountId: acct.accountId, challenge: await bondChallenge(api.app, acct.accessToken, device.deviceId), pressCounter: 1 })),
        );
        const [ra, rb] = await Promise.all([postBond(api.app, a.accessToken, device.deviceId, proofs[0]!), postBond(api.app, b.accessToken, device.deviceId, proofs[1]!)]);
        expect([ra.statusCode, rb.statusCode].sort()).toEqual([200, 409]);
        const [winner, loser, loserRes, loserProof] = ra.statusCode === 200 ? [a, b, rb, proofs[1]!] : [b, a, ra, proofs[0]!];
        expect(loserRes.json()).toMatchObject({ code: 'press-counter-stale', field: 'pressCounter' });
        expect(await ownerOf(device.deviceId)).toBe(winner.accountId);
        const events = await eventsOf(device.deviceId);
        expect(events.map((e) => [e.kind, e.account_id])).toEqual([['device.provisioned', null], ['device.bonded', winner.accountId]]);
        // The loser's challenge was not spent: the device pressed again bonds it.
        expect(await usedAt(loserProof.challenge)).toBeNull();
        const again = await postBond(api.app, loser.accessToken, device.deviceId, bondProof(device, { accountId: loser.accountId, challenge: loserProof.challenge, pressCounter: 2 }));
        expect(again.statusCode).toBe(200);
        expect((await eventsOf(device.deviceId)).at(-1)).toMatchObject({ kind: 'device.rebonded', account_id: loser.accountId, data: { pressCounter: 2, from: winner.accountId } });
      }
    });

    it('the same proof sent twice at once bonds once; the replay is 409 challenge-invalid', async () => {
      for (let round = 0; round < 4; round++) {
        const { owner, device } = await setup();
        const proof = bondProof(device, { accountId: owner.accountId, challenge: await bondChallenge(api.app, owner.accessToken, device.deviceId), pressCounter: 1 });
        const answers = await Promise.all([1, 2, 3].map(() => postBond(api.app, owner.accessToken, device.deviceId, proof)));
        expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
        for (const r of answers.filter((r) => r.statusCode === 409)) expect(r.json()).toMatchObject({ code: 'challenge-invalid', field: 'challenge' });
        expect((await eventsOf(device.deviceId)).map((e) => e.kind)).toEqual(['device.provisioned', 'device.bonded']);
      }
    });

    it('a replayed bond request (same body, after it succeeded) is 409 challenge-invalid and changes nothing', async () => {
      const { owner, device } = await setup();
      const proof = bondProof(device, { accountId: owner.accountId, challenge: await bondChallenge(api.app, owner.accessToken, device.deviceId), pressCounter: 1 });
      expect((await postBond(api.app, owner.accessToken, device.deviceId, proof)).statusCode).toBe(200);
      await expectRefused(owner, device, proof, 409, 'challenge-invalid', 'challenge');
    });

    it('racing bonds with rising press counters: every success is recorded, each event names the owner it replaced', async () => {
      const { owner, device } = await setup(true);
      const rivals = [await signUpAndSignIn(api.app), await signUpAndSignIn(api.app), await signUpAndSignIn(api.app)];
      const proofs = await Promise.all(
        rivals.map(async (acct, i) => bondProof(device, { accountId: acct.accountId, challenge: await bondChallenge(api.app, acct.accessToken, device.deviceId), pressCounter: 10 + i })),
      );
      const answers = await Promise.all(rivals.map((acct, i) => postBond(api.app, acct.accessToken, device.deviceId, proofs[i]!)));
      for (const r of answers) if (r.statusCode !== 200) expect(r.json()).toMatchObject({ code: 'press-counter-stale' });
      // The highest press always ends up owning the device.
      expect(answers[2]!.statusCode).toBe(200);
      expect(await ownerOf(device.deviceId)).toBe(rivals[2]!.accountId);
      const bonds = (await eventsOf(device.deviceId)).slice(2); // after provisioned and the first bond
      expect(bonds).toHaveLength(answers.filter((r) => r.statusCode === 200).length);
      let previous = owner.accountId;
      for (const e of bonds) {
        expect(e).toMatchObject({ kind: 'device.rebonded', data: { from: previous } });
        previous = e.account_id!;
      }
      expect(previous).toBe(rivals[2]!.accountId);
    });

    it('a device that changed owner after the read is judged again: a good proof still moves it, from the new owner', async () => {
      const { device } = await setup();
      const [buyer, meanwhile] = [await signUpAndSignIn(api.app), await signUpAndSignIn(api.app)];
      const challenge = await bondChallenge(api.app, buyer.accessToken, device.deviceId);
      const res = await bondAcrossChange(buyer, device, bondProof(device, { accountId: buyer.accountId, challenge, pressCounter: 3 }),
        [['UPDATE devices SET owner_account_id = $2, last_press_counter = 2 WHERE device_id = $1', [device.deviceId, meanwhile.accountId]]]);
      expect(res.statusCode).toBe(200);
      expect(await ownerOf(device.deviceId)).toBe(buyer.accountId);
      expect((await eventsOf(device.deviceId)).at(-1)).toMatchObject({ kind: 'device.rebonded', account_id: buyer.accountId, data: { pressCounter: 3, from: meanwhile.accountId } });
      expect(await usedAt(challenge)).not.toBeNull();
    });

    it('a press counter overtaken after the read is 409 press-counter-stale, and the challenge stays unused', async () => {
      const { owner, device } = await setup();
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      const before = await rowCounts(api.db.url, ['events']);
      const res = await bondAcrossChange(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 3 }),
        [['UPDATE devices SET last_press_counter = 5 WHERE device_id = $1', [device.deviceId]]]);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'press-counter-stale', field: 'pressCounter', detail: 'The press counter must exceed 5; got 3. This proof was already used or is old.' });
      expect(await ownerOf(device.deviceId)).toBeNull();
      expect(await rowCounts(api.db.url, ['events'])).toEqual(before);
      expect(await usedAt(challenge)).toBeNull();
    });

    it('a challenge spent after the read is 409 challenge-invalid', async () => {
      const { owner, device } = await setup();
      const challenge = await bondChallenge(api.app, owner.accessToken, device.deviceId);
      // The bond waits for the device row lock; the challenge is spent in the same transaction.
      const res = await bondAcrossChange(owner, device, bondProof(device, { accountId: owner.accountId, challenge, pressCounter: 1 }), [
        ['SELECT 1 FROM devices WHERE device_id = $1 FOR UPDATE', [device.deviceId]],
        ['UPDATE bond_challenges SET used_at = now() WHERE challenge = $1', [Buffer.from(challenge, 'base64url')]],
      ]);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'challenge-invalid', field: 'challenge' });
      expect(await ownerOf(device.deviceId)).toBeNull();
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

  describe('outside test mode (system clock)', () => {
    let plain: TestApi;
    beforeAll(async () => {
      plain = await startTestApi(serverUrl, { testMode: false, otaMonitorIntervalSeconds: 0 });
    });
    afterAll(async () => plain?.close());

    it('a challenge expires a TTL after the system clock, and the bond is stamped with it', async () => {
      const owner = await signUpAndSignIn(plain.app);
      const [device] = await provisionDevices(plain.app, 1);
      const before = Date.now();
      const res = await plain.app.inject({ method: 'POST', url: `/v2/devices/${device!.deviceId}/bond-challenge`, headers: bearer(owner.accessToken) });
      const after = Date.now();
      expect(res.statusCode).toBe(201);
      const { challenge, expiresAt } = res.json() as { challenge: string; expiresAt: string };
      expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 120_000);
      expect(Date.parse(expiresAt)).toBeLessThanOrEqual(after + 120_000);
      const stored = await withClient(plain.db.url, async (c) =>
        (await c.query<{ expires_at: Date }>('SELECT expires_at FROM bond_challenges WHERE challenge = $1', [Buffer.from(challenge, 'base64url')])).rows[0]!.expires_at);
      expect(stored.toISOString()).toBe(expiresAt);

      const proof = bondProof(device!, { accountId: owner.accountId, challenge, pressCounter: 1 });
      const bondFrom = Date.now();
      const bonded = await postBond(plain.app, owner.accessToken, device!.deviceId, proof);
      const bondTo = Date.now();
      expect(bonded.statusCode).toBe(200);
      expect(Date.parse(bonded.json().bondedAt)).toBeGreaterThanOrEqual(bondFrom);
      expect(Date.parse(bonded.json().bondedAt)).toBeLessThanOrEqual(bondTo);
      expect(await ownedDeviceIds(plain.app, owner.accessToken)).toEqual([device!.deviceId]);
      const replay = await postBond(plain.app, owner.accessToken, device!.deviceId, proof);
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toMatchObject({ code: 'challenge-invalid' });
    });
  });
});
