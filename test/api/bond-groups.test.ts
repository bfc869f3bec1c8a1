import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { testPool } from '../support/databases.ts';
import { bearer, bondChallenge, bondProof, describeEachDatabase, postBond, provisionDevices, signUpAndSignIn, withClient, type TestAccount, type TestDevice } from '../support/fixtures.ts';
import { BondStore } from '../../reference-api/src/bonding/store.ts';
import { virtualClock } from '../../reference-api/src/clock.ts';

/**
 * Group commit of bonding (reference-api/src/bonding/store.ts): challenges,
 * reads and writes of concurrent bond requests share statements, and each
 * request still gets exactly its own answer. Rows written by one statement
 * share one transaction id (xmin): that is how these tests see the grouping.
 */
describeEachDatabase('bonding: concurrent pairings share statements (group commit) and keep their own answers', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  const statementsThatWrote = (table: 'bond_challenges' | 'devices', deviceIds: number[]) =>
    withClient(api.db.url, async (c) => (await c.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM ${table} WHERE device_id = ANY($1::bigint[])`, [deviceIds])).rows[0]!.n);

  it('16 homes pairing at the same instant: fewer statements than requests, each device bonded to its own home with its own event', async () => {
    const homes: Array<{ account: TestAccount; device: TestDevice }> = [];
    for (let h = 0; h < 16; h++) homes.push({ account: await signUpAndSignIn(api.app, `bond-group-${h}`), device: (await provisionDevices(api.app, 1))[0]! });
    const ids = homes.map((h) => h.device.deviceId);

    const challenges = await Promise.all(homes.map(({ account, device }) => bondChallenge(api.app, account.accessToken, device.deviceId)));
    const challengeStatements = await statementsThatWrote('bond_challenges', ids);
    const answers = await Promise.all(
      homes.map(({ account, device }, h) => postBond(api.app, account.accessToken, device.deviceId, bondProof(device, { accountId: account.accountId, challenge: challenges[h]!, pressCounter: 1 }))),
    );

    answers.forEach((r, h) => {
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ deviceId: ids[h], accountId: homes[h]!.account.accountId });
    });
    const rows = await withClient(api.db.url, async (c) => ({
      owners: (await c.query<{ device_id: string; owner: string }>('SELECT device_id, owner_account_id AS owner FROM devices WHERE device_id = ANY($1::bigint[])', [ids])).rows,
      events: (await c.query<{ device_id: string; kind: string; account_id: string; data: unknown }>(
        "SELECT device_id, kind, account_id, data FROM events WHERE device_id = ANY($1::bigint[]) AND kind <> 'device.provisioned' ORDER BY event_id", [ids])).rows,
      used: (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM bond_challenges WHERE device_id = ANY($1::bigint[]) AND used_at IS NOT NULL', [ids])).rows[0]!.n,
    }));
    expect(new Map(rows.owners.map((r) => [Number(r.device_id), r.owner]))).toEqual(new Map(homes.map((h) => [h.device.deviceId, h.account.accountId])));
    expect(rows.events).toHaveLength(16);
    for (const e of rows.events) {
      const home = homes.find((h) => h.device.deviceId === Number(e.device_id))!;
      expect(e).toMatchObject({ kind: 'device.bonded', account_id: home.account.accountId, data: { pressCounter: 1, from: null } });
    }
    expect(rows.used).toBe(16);

    const bondStatements = await statementsThatWrote('devices', ids);
    console.log(`[fleetbed tests] bond group commit: 16 concurrent challenges were issued by ${challengeStatements} statement(s), the 16 bonds written by ${bondStatements}`);
    expect(challengeStatements).toBeLessThan(16);
    expect(bondStatements).toBeLessThan(16);
  });

  it('refused pairings in the same instant as good ones: each refusal is its own, nothing written for it, the good ones bond', async () => {
    const good = await Promise.all(Array.from({ length: 6 }, async (_, i) => ({ account: await signUpAndSignIn(api.app, `bond-mix-${i}`), device: (await provisionDevices(api.app, 1))[0]! })));
    const [forged, stale, wrongAccount] = await Promise.all([0, 1, 2].map(async (i) => ({ account: await signUpAndSignIn(api.app, `bond-bad-${i}`), device: (await provisionDevices(api.app, 1))[0]! })));
    const stranger = await signUpAndSignIn(api.app, 'bond-stranger');
    await withClient(api.db.url, (c) => c.query('UPDATE devices SET last_press_counter = 7 WHERE device_id = $1', [stale!.device.deviceId]));

    const all = [...good, forged!, stale!, wrongAccount!];
    const challenges = await Promise.all(all.map(({ account, device }) => bondChallenge(api.app, account.accessToken, device.deviceId)));
    const missing = api.app.inject({ method: 'POST', url: `/v2/devices/${9_007_199_254_740_000}/bond-challenge`, headers: bearer(stranger.accessToken) });
    const proofs = all.map(({ account, device }, i) => bondProof(device, { accountId: account.accountId, challenge: challenges[i]!, pressCounter: 1 }));
    const forgedProof = { ...proofs[6]!, signature: Buffer.alloc(64, 1).toString('base64url') };
    const [answers, missingAnswer] = await Promise.all([
      Promise.all([
        ...good.map(({ account, device }, i) => postBond(api.app, account.accessToken, device.deviceId, proofs[i]!)),
        postBond(api.app, forged!.account.accessToken, forged!.device.deviceId, forgedProof),
        postBond(api.app, stale!.account.accessToken, stale!.device.deviceId, proofs[7]!),
        // The proof of wrongAccount's own pairing, presented by a stranger: not the stranger's challenge.
        postBond(api.app, stranger.accessToken, wrongAccount!.device.deviceId, proofs[8]!),
      ]),
      missing,
    ]);

    answers.slice(0, 6).forEach((r) => expect(r.statusCode, r.body).toBe(200));
    expect([answers[6]!.statusCode, answers[6]!.json().code]).toEqual([403, 'bond-proof-invalid']);
    expect([answers[7]!.statusCode, answers[7]!.json().code]).toEqual([409, 'press-counter-stale']);
    expect([answers[8]!.statusCode, answers[8]!.json().code]).toEqual([409, 'challenge-invalid']);
    expect([missingAnswer.statusCode, missingAnswer.json().code]).toEqual([404, 'not-found']);
    const refused = [forged!, stale!, wrongAccount!].map((x) => x.device.deviceId);
    const state = await withClient(api.db.url, async (c) => ({
      owned: (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM devices WHERE device_id = ANY($1::bigint[]) AND owner_account_id IS NOT NULL', [refused])).rows[0]!.n,
      events: (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE device_id = ANY($1::bigint[]) AND kind <> 'device.provisioned'", [refused])).rows[0]!.n,
      used: (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM bond_challenges WHERE device_id = ANY($1::bigint[]) AND used_at IS NOT NULL', [refused])).rows[0]!.n,
    }));
    expect(state).toEqual({ owned: 0, events: 0, used: 0 });
  });

  it('a group statement that fails is retried item by item: only the bad item fails', async () => {
    const pool = testPool(api.db.url, 2);
    try {
      const store = new BondStore(pool, virtualClock(pool), { challengeTtlMs: 60_000, maxInFlight: 1 });
      const account = await signUpAndSignIn(api.app, 'bond-store');
      const devices = await provisionDevices(api.app, 4);
      // bond_challenges checks length(challenge) = 32: a 31-byte challenge fails the statement it is in.
      const items = devices.map((d, i) => ({ deviceId: d.deviceId, challenge: randomBytes(i === 2 ? 31 : 32), accountId: account.accountId }));
      const settled = await Promise.allSettled(items.map((i) => store.issueChallenge(i)));
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: '23514' });
      for (const s of [0, 1, 3]) expect((settled[s] as PromiseFulfilledResult<Date | null>).value).toBeInstanceOf(Date);
      // The four went to the database together first (one batch), then one by one.
      expect(store.stats.issue.largestBatch).toBe(4);
      const stored = await withClient(api.db.url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM bond_challenges WHERE device_id = ANY($1::bigint[])', [devices.map((d) => d.deviceId)])).rows[0]!.n);
      expect(stored).toBe(3);
      // An unknown device is null, not an error, for the items beside it too.
      const [unknown, known] = await Promise.all([
        store.issueChallenge({ deviceId: 9_007_199_254_740_001, challenge: randomBytes(32), accountId: account.accountId }),
        store.issueChallenge({ deviceId: devices[0]!.deviceId, challenge: randomBytes(32), accountId: account.accountId }),
      ]);
      expect(unknown).toBeNull();
      expect(known).toBeInstanceOf(Date);
    } finally {
      await pool.end();
    }
  });
});
