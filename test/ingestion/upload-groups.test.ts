import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApi, type TestApi } from '../support/api.ts';
import { testPool } from '../support/databases.ts';
import { describeEachTarget, home, newIdempotencyKey, sessionRecord, signedRecord, signIn, signUp, uploadBatch, withDb, type TestAccount, type TestDevice } from '../support/world.ts';
import { prepareRecords, uploadHash } from '../../reference-api/src/ingestion/prepare.ts';
import { UploadStore, type StoreArgs } from '../../reference-api/src/ingestion/store.ts';

/**
 * Group commit of uploads (reference-api/src/ingestion/store.ts): concurrent
 * uploads share one statement, and still each gets exactly its own verdicts,
 * its own event and its own Idempotency-Key row. Rows written by one statement
 * share one transaction id (xmin): that is how these tests see the grouping.
 */
describeEachTarget('uploads: concurrent uploads share statements (group commit) and keep their own verdicts', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  it('12 homes uploading at the same instant: fewer statements than uploads, and each upload stores its own records, rejects the other home\'s, counts its duplicates, and replays identically', async () => {
    const homes = await Promise.all(Array.from({ length: 12 }, (_, h) => home(api.app, 2, `group-${h}`)));
    // A record of each home already stored, so that the concurrent batch carries a duplicate.
    for (const { account, devices } of homes) {
      const r = await uploadBatch(api.app, account, [signedRecord(devices[0]!, sessionRecord(devices[0]!.deviceId, 1))]);
      expect(r.statusCode, r.body).toBe(200);
    }
    const batches = homes.map(({ devices }, h) => {
      const neighbour = homes[(h + 1) % homes.length]!.devices[0]!;
      return [
        signedRecord(devices[0]!, sessionRecord(devices[0]!.deviceId, 1)), // duplicate
        signedRecord(devices[0]!, sessionRecord(devices[0]!.deviceId, 2)),
        signedRecord(devices[1]!, sessionRecord(devices[1]!.deviceId, 1)),
        signedRecord(neighbour, sessionRecord(neighbour.deviceId, 99)), // another home's device
      ];
    });
    const keys = homes.map(() => newIdempotencyKey('group'));
    const responses = await Promise.all(homes.map(({ account }, h) => uploadBatch(api.app, account, batches[h]!, keys[h])));

    responses.forEach((r, h) => {
      expect(r.statusCode, r.body).toBe(200);
      const { devices } = homes[h]!;
      const neighbour = homes[(h + 1) % homes.length]!.devices[0]!;
      expect(r.json().results).toEqual([
        { deviceId: devices[0]!.deviceId, seq: 1, verdict: 'duplicate' },
        { deviceId: devices[0]!.deviceId, seq: 2, verdict: 'stored' },
        { deviceId: devices[1]!.deviceId, seq: 1, verdict: 'stored' },
        expect.objectContaining({ deviceId: neighbour.deviceId, seq: 99, verdict: 'rejected', code: 'device-not-bonded' }),
      ]);
    });

    const accounts = homes.map((h) => h.account.accountId);
    const seen = await withDb(api.db.url, async (c) => ({
      statements: (await c.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM idempotency_keys WHERE key = ANY($1)`, [keys])).rows[0]!.n,
      events: (await c.query<{ account_id: string; stored: number; key: string }>(
        `SELECT account_id, (data->>'stored')::int AS stored, data->>'idempotencyKey' AS key FROM events WHERE kind = 'upload.stored' AND data->>'idempotencyKey' = ANY($1)`, [keys])).rows,
      sessions: (await c.query<{ account_id: string; n: number }>(`SELECT account_id, count(*)::int AS n FROM sessions WHERE account_id = ANY($1::uuid[]) GROUP BY account_id`, [accounts])).rows,
    }));
    console.log(`[fleetbed tests] group commit: 12 concurrent uploads were stored by ${seen.statements} statement(s)`);
    expect(seen.statements).toBeLessThan(12);
    // One event per upload, on its own account, counting its own two stored records.
    expect(seen.events.map((e) => [e.account_id, e.key, e.stored]).sort()).toEqual(homes.map((h, i) => [h.account.accountId, keys[i], 2]).sort());
    expect(seen.sessions.map((s) => s.n)).toEqual(homes.map(() => 3)); // seq 1 (earlier) + the two stored now
    expect(seen.sessions).toHaveLength(12);

    // Each key replays its own upload's response, not a neighbour's.
    const replays = await Promise.all(homes.map(({ account }, h) => uploadBatch(api.app, account, batches[h]!, keys[h])));
    replays.forEach((r, h) => {
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.body).toBe(responses[h]!.body);
    });
  });

  it('two phones of one account uploading at the same instant never share a statement, and both are stored', async () => {
    const { account, devices } = await home(api.app, 2, 'two-phones');
    const phoneB = await signIn(api.app, account);
    const keys = [newIdempotencyKey('phone-a'), newIdempotencyKey('phone-b')];
    const [a, b] = await Promise.all([
      uploadBatch(api.app, account, [signedRecord(devices[0]!, sessionRecord(devices[0]!.deviceId, 1))], keys[0]),
      uploadBatch(api.app, phoneB, [signedRecord(devices[1]!, sessionRecord(devices[1]!.deviceId, 1))], keys[1]),
    ]);
    expect(a!.json().counts.stored).toBe(1);
    expect(b!.json().counts.stored).toBe(1);
    const statements = await withDb(api.db.url, async (c) => (await c.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM idempotency_keys WHERE key = ANY($1)`, [keys])).rows[0]!.n);
    expect(statements).toBe(2);
  });

  it('a group whose statement fails (an Idempotency-Key taken by a concurrent transaction) is stored again upload by upload: only the upload that lost the race writes nothing', async () => {
    const a = await home(api.app, 1, 'race-a');
    const b = await home(api.app, 1, 'race-b');
    const pool = testPool(api.db.url, 4);
    const store = new UploadStore(pool, { maxInFlight: 1, maxRecords: 512 });
    const blocker = new pg.Client({ connectionString: api.db.url });
    await blocker.connect();
    try {
      const nowMs = await withDb(api.db.url, async (c) => Number((await c.query<{ now_ms: string }>('SELECT now_ms FROM testbed_clock')).rows[0]!.now_ms));
      const args = (who: { account: TestAccount; devices: TestDevice[] }, key: string): StoreArgs => {
        const records = [signedRecord(who.devices[0]!, sessionRecord(who.devices[0]!.deviceId, 7))];
        return { accountId: who.account.accountId, key, requestHash: uploadHash(records), now: nowMs, candidates: prepareRecords(records), judged: {} };
      };
      // Another transaction is taking A's key and has not committed yet.
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO idempotency_keys (account_id, key, request_hash, outcome, created_at) VALUES ($1, 'race-key-0001', '\\x00', '{}', now())`, [a.account.accountId]);

      const pending = [store.store(args(a, 'race-key-0001')), store.store(args(b, 'race-key-0002'))];
      // Both uploads went out in one statement, which now waits on the uncommitted key.
      await expect.poll(() => store.stats.batches, { timeout: 5000 }).toBe(1);
      expect(store.stats.largestBatch).toBe(2);
      await blocker.query('COMMIT');

      const [ra, rb] = await Promise.all(pending);
      expect(ra).toEqual({ fresh: false });
      expect(rb!.fresh).toBe(true);
      if (rb!.fresh) expect(rb!.outcome.stored).toEqual([[b.devices[0]!.deviceId, 7]]);
      const stored = await withDb(api.db.url, async (c) =>
        (await c.query<{ device_id: number }>('SELECT device_id FROM sessions WHERE device_id = ANY($1::bigint[]) AND seq = 7', [[a.devices[0]!.deviceId, b.devices[0]!.deviceId]])).rows.map((r) => Number(r.device_id)),
      );
      expect(stored).toEqual([b.devices[0]!.deviceId]);
      expect(store.stats.batches).toBe(1); // the retries ran on their own, outside the coalescer
    } finally {
      await blocker.end();
      await pool.end();
    }
  });
});

describeEachTarget('phone requests: concurrent token lookups share queries and each request keeps its own answer', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  it('valid tokens of five accounts, a revoked one and an unknown one at the same instant: each valid request sees its own devices, the other two are 401', async () => {
    const homes = await Promise.all(Array.from({ length: 5 }, (_, h) => home(api.app, 1, `lookup-${h}`)));
    const revoked = await signUp(api.app, 'lookup-revoked');
    const rv = await api.app.inject({
      method: 'POST',
      url: '/v2/oauth/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: revoked.token, client_id: 'fleetbed-phone' }).toString(),
    });
    expect(rv.statusCode, rv.body).toBe(200);
    const tokens = [...homes.map((h) => h.account.token), revoked.token, `at_${'x'.repeat(43)}`];
    const responses = await Promise.all(tokens.map((t) => api.app.inject({ method: 'GET', url: '/v2/devices', headers: { authorization: `Bearer ${t}` } })));
    responses.slice(0, 5).forEach((r, h) => {
      expect(r.statusCode, r.body).toBe(200);
      expect(JSON.stringify(r.json())).toContain(String(homes[h]!.devices[0]!.deviceId));
      for (const other of homes) if (other !== homes[h]) expect(JSON.stringify(r.json())).not.toContain(`"deviceId":${other.devices[0]!.deviceId}`);
    });
    expect(responses.slice(5).map((r) => r.statusCode)).toEqual([401, 401]);
  });
});
