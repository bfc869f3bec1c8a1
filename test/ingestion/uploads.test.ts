import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownHeadIdExample } from '../../contract/head-id.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { foldHeartbeats } from '../../reference-api/src/ota/heartbeat.ts';
import {
  advanceClock,
  bond,
  home,
  clockSeconds,
  countRows,
  describeEachTarget,
  flipByte,
  freshDeviceIds,
  listSessions,
  provision,
  sessionRecord,
  signedRecord,
  signIn,
  signUp,
  uploadBatch,
  withDb,
  type TestAccount,
  type TestDevice,
} from '../support/world.ts';

type Verdict = { deviceId: number; seq: number; verdict: 'stored' | 'duplicate' | 'rejected'; code?: string; detail?: string };
type UploadBody = { results: Verdict[]; counts: { stored: number; duplicate: number; rejected: number } };

const DAY_S = 86_400;
const PROBLEM_JSON = /^application\/problem\+json/;

let headCounter = 0;
/** A known (adult-clean) head id no other test uses, so consumables rows can be counted per test. */
const freshKnownHead = () => 0x1000_0000_0000 + 0x10_0000 + ++headCounter;

/** Stored sessions of one device (optionally one seq). */
async function storedFor(url: string, deviceId: number, seq?: number) {
  return withDb(url, async (c) => {
    const where = seq === undefined ? 'device_id = $1' : 'device_id = $1 AND seq = $2';
    const params = seq === undefined ? [deviceId] : [deviceId, seq];
    const sessions = (await c.query<{ seq: number; record: Buffer; signature: Buffer; account_id: string }>(`SELECT seq, record, signature, account_id FROM sessions WHERE ${where} ORDER BY seq`, params)).rows;
    return { sessions };
  });
}

/**
 * The append-only ledger of an account's uploads: one `upload.stored` event per
 * upload that stored anything (reference-api/src/ingestion/store.ts), counting
 * what it stored. Every stored session is counted by exactly one event: the
 * events' counts add up to the account's sessions, and no event counts zero.
 */
async function expectLedgerBalanced(url: string, accountId: string) {
  const { events, sessions } = await withDb(url, async (c) => ({
    events: (await c.query<{ kind: string; stored: number }>(`SELECT kind, (data->>'stored')::int AS stored FROM events WHERE account_id = $1 AND kind = 'upload.stored'`, [accountId])).rows,
    sessions: (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE account_id = $1', [accountId])).rows[0]!.n,
  }));
  expect(events.every((e) => e.stored > 0), 'an upload.stored event counting zero').toBe(true);
  expect(events.reduce((n, e) => n + e.stored, 0)).toBe(sessions);
  return { uploads: events.length, sessions };
}

/** The upload.stored event an upload with `key` wrote, if any. */
async function uploadEvent(url: string, accountId: string, key: string) {
  return withDb(url, async (c) => (await c.query<{ account_id: string; device_id: number | null; data: { idempotencyKey: string; stored: number } }>(
    `SELECT account_id, device_id, data FROM events WHERE kind = 'upload.stored' AND account_id = $1 AND data->>'idempotencyKey' = $2`, [accountId, key])).rows);
}

describeEachTarget('uploads: per-record verdicts, exactly once, idempotency keys', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  describe('a good batch', () => {
    it('from two bonded devices: every record stored, one session per record, one upload.stored event counting them, the consumables recorded', async () => {
      const { account, devices } = await home(api.app, 2);
      const [a, b] = devices as [TestDevice, TestDevice];
      const headA = freshKnownHead();
      const headB = unknownHeadIdExample(1000 + headCounter);
      const plan: Array<[TestDevice, number, number]> = [[a, 1, headA], [b, 1, headB], [a, 2, headA], [b, 2, headB], [a, 3, headA]];
      const records = plan.map(([d, seq, headId]) => signedRecord(d, sessionRecord(d.deviceId, seq, { headId })));
      const before = await countRows(api.db.url);

      const res = await uploadBatch(api.app, account, records, 'good-batch-0001');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      const body = res.json() as UploadBody;
      expect(body.counts).toEqual({ stored: 5, duplicate: 0, rejected: 0 });
      expect(body.results).toEqual(plan.map(([d, seq]) => ({ deviceId: d.deviceId, seq, verdict: 'stored' })));

      expect(await countRows(api.db.url)).toEqual({ ...before, sessions: before.sessions! + 5, events: before.events! + 1, consumables: before.consumables! + 2, idempotency_keys: before.idempotency_keys! + 1 });
      expect(await uploadEvent(api.db.url, account.accountId, 'good-batch-0001')).toEqual([{ account_id: account.accountId, device_id: null, data: { idempotencyKey: 'good-batch-0001', stored: 5 } }]);
      expect(await expectLedgerBalanced(api.db.url, account.accountId)).toEqual({ uploads: 1, sessions: 5 });
      for (const d of [a, b]) {
        const { sessions } = await storedFor(api.db.url, d.deviceId);
        const seqs = plan.filter(([x]) => x === d).map(([, seq]) => seq);
        expect(sessions.map((s) => s.seq)).toEqual(seqs);
        expect(new Set(sessions.map((r) => r.account_id))).toEqual(new Set([account.accountId]));
        // What is stored is exactly what the device signed: anyone can re-verify it.
        for (const s of sessions) {
          const sent = Buffer.from(records[plan.findIndex(([x, seq]) => x === d && seq === s.seq)]!, 'base64url');
          expect(Buffer.concat([s.record, s.signature]).equals(sent)).toBe(true);
        }
      }
      const heads = await withDb(api.db.url, async (c) => (await c.query<{ head_id: number; first_device_id: number }>('SELECT head_id, first_device_id FROM consumables WHERE head_id = ANY($1::bigint[]) ORDER BY head_id', [[headA, headB]])).rows);
      expect(heads).toEqual([{ head_id: headA, first_device_id: a.deviceId }, { head_id: headB, first_device_id: b.deviceId }].sort((x, y) => x.head_id - y.head_id));

      const listed = await listSessions(api.app, account, a.deviceId);
      expect(listed.statusCode).toBe(200);
      expect(listed.json().sessions.map((s: { seq: number }) => s.seq)).toEqual([1, 2, 3]);
    });
  });

  describe('Idempotency-Key (ING-3)', () => {
    it('a retry with the same key and body gets the identical response, marked Idempotent-Replayed, and writes nothing', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const records = [1, 2].map((seq) => signedRecord(d, sessionRecord(d.deviceId, seq)));
      const first = await uploadBatch(api.app, account, records, 'retry-key-0001');
      expect(first.statusCode).toBe(200);
      const after = await countRows(api.db.url);

      for (let i = 0; i < 3; i++) {
        const again = await uploadBatch(api.app, account, records, 'retry-key-0001');
        expect(again.statusCode).toBe(200);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toBe(first.body);
        expect((again.json() as UploadBody).counts).toEqual({ stored: 2, duplicate: 0, rejected: 0 });
      }
      expect(await countRows(api.db.url)).toEqual(after);
    });

    it('the same key with a different body is 409 idempotency-key-reused, and nothing is written', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      expect((await uploadBatch(api.app, account, [signedRecord(d, sessionRecord(d.deviceId, 1))], 'reused-key-0001')).statusCode).toBe(200);
      const before = await countRows(api.db.url);

      const res = await uploadBatch(api.app, account, [signedRecord(d, sessionRecord(d.deviceId, 2))], 'reused-key-0001');
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.json()).toMatchObject({ status: 409, code: 'idempotency-key-reused', field: 'Idempotency-Key' });
      expect(res.json().detail).toMatch(/different body/);
      expect(await countRows(api.db.url)).toEqual(before);
      expect((await storedFor(api.db.url, d.deviceId, 2)).sessions).toEqual([]);
    });

    it('keys are per account: another account may use the same key for its own batch', async () => {
      const one = await home(api.app, 1, 'one');
      const two = await home(api.app, 1, 'two');
      const r1 = await uploadBatch(api.app, one.account, [signedRecord(one.devices[0]!, sessionRecord(one.devices[0]!.deviceId, 1))], 'shared-key-0001');
      const r2 = await uploadBatch(api.app, two.account, [signedRecord(two.devices[0]!, sessionRecord(two.devices[0]!.deviceId, 1))], 'shared-key-0001');
      expect([r1.statusCode, r2.statusCode]).toEqual([200, 200]);
      expect(r2.headers['idempotent-replayed']).toBeUndefined();
      expect((r2.json() as UploadBody).counts.stored).toBe(1);
    });

    it('a missing Idempotency-Key is 400 idempotency-key-required, and nothing is written', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const before = await countRows(api.db.url);
      const res = await api.app.inject({ method: 'POST', url: '/v2/uploads', headers: { authorization: `Bearer ${account.token}` }, payload: { records: [signedRecord(d, sessionRecord(d.deviceId, 1))] } });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.json()).toMatchObject({ code: 'idempotency-key-required', field: 'Idempotency-Key' });
      expect(await countRows(api.db.url)).toEqual(before);
    });

    it.each([
      ['too short', 'short'],
      ['too long', 'k'.repeat(65)],
      ['a character outside A-Z a-z 0-9 - _', 'key with spaces'],
      ['a dot', 'retry.key.0001'],
    ])('a malformed Idempotency-Key (%s) is 400 naming Idempotency-Key, and nothing is written', async (_why, key) => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const before = await countRows(api.db.url);
      const res = await uploadBatch(api.app, account, [signedRecord(d, sessionRecord(d.deviceId, 1))], key);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.json()).toMatchObject({ status: 400, code: 'validation-failed', field: 'Idempotency-Key' });
      expect(await countRows(api.db.url)).toEqual(before);
    });
  });

  describe('exactly once (ING-1)', () => {
    it('the same record under a new key is a duplicate, not stored twice', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const rec = signedRecord(d, sessionRecord(d.deviceId, 1));
      expect((await uploadBatch(api.app, account, [rec])).json().results[0].verdict).toBe('stored');
      const before = await countRows(api.db.url);

      const res = await uploadBatch(api.app, account, [rec, signedRecord(d, sessionRecord(d.deviceId, 2))]);
      expect(res.statusCode).toBe(200);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(res.json()).toEqual({
        results: [{ deviceId: d.deviceId, seq: 1, verdict: 'duplicate' }, { deviceId: d.deviceId, seq: 2, verdict: 'stored' }],
        counts: { stored: 1, duplicate: 1, rejected: 0 },
      });
      expect(await countRows(api.db.url)).toEqual({ ...before, sessions: before.sessions! + 1, events: before.events! + 1, idempotency_keys: before.idempotency_keys! + 1 });
      expect((await storedFor(api.db.url, d.deviceId)).sessions.map((s) => s.seq)).toEqual([1, 2]);
      expect(await expectLedgerBalanced(api.db.url, account.accountId)).toEqual({ uploads: 2, sessions: 2 });

      // Only copies of stored records: nothing is stored, so no event either.
      const again = await countRows(api.db.url);
      expect((await uploadBatch(api.app, account, [rec])).json().results[0].verdict).toBe('duplicate');
      expect(await countRows(api.db.url)).toEqual({ ...again, idempotency_keys: again.idempotency_keys! + 1 });
    });

    it('a batch holding the same record twice stores it once', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const rec = signedRecord(d, sessionRecord(d.deviceId, 1));
      const res = await uploadBatch(api.app, account, [rec, rec]);
      expect(res.statusCode).toBe(200);
      expect(res.json().results.map((r: Verdict) => r.verdict)).toEqual(['stored', 'duplicate']);
      expect((await storedFor(api.db.url, d.deviceId)).sessions).toHaveLength(1);
    });

    it('two phones in one home (two tokens of the same account) relaying the same device: one copy of each record', async () => {
      const { account: phoneA, devices } = await home(api.app, 1);
      const phoneB = await signIn(api.app, phoneA);
      expect(phoneB.token).not.toBe(phoneA.token);
      const d = devices[0]!;
      const rec = (seq: number) => signedRecord(d, sessionRecord(d.deviceId, seq));

      const a = await uploadBatch(api.app, phoneA, [1, 2, 3].map(rec));
      const b = await uploadBatch(api.app, phoneB, [2, 3, 4].map(rec));
      expect(a.json().results.map((r: Verdict) => r.verdict)).toEqual(['stored', 'stored', 'stored']);
      expect(b.json().results.map((r: Verdict) => r.verdict)).toEqual(['duplicate', 'duplicate', 'stored']);
      expect((await storedFor(api.db.url, d.deviceId)).sessions.map((s) => s.seq)).toEqual([1, 2, 3, 4]);
      expect(await expectLedgerBalanced(api.db.url, phoneA.accountId)).toEqual({ uploads: 2, sessions: 4 });
    });

    it('reordered records (seq 3, 1, 2, then a clock-reset seq 4 from earlier) are all stored and listed in device-time order (ING-4)', async () => {
      const { account, devices } = await home(api.app, 2);
      const [x, y] = devices as [TestDevice, TestDevice];
      // One batch out of order.
      const batch = await uploadBatch(api.app, account, [3, 1, 2].map((seq) => signedRecord(x, sessionRecord(x.deviceId, seq))));
      expect(batch.json().results).toEqual([3, 1, 2].map((seq) => ({ deviceId: x.deviceId, seq, verdict: 'stored' })));
      // Separate uploads out of order, and a record whose device clock was reset (it started before seq 1).
      for (const seq of [3, 1, 2]) expect((await uploadBatch(api.app, account, [signedRecord(y, sessionRecord(y.deviceId, seq))])).json().counts.stored).toBe(1);
      const reset = sessionRecord(y.deviceId, 4, { clockReset: true, startedAt: sessionRecord(y.deviceId, 1).startedAt - 600 });
      expect((await uploadBatch(api.app, account, [signedRecord(y, reset)])).json().counts.stored).toBe(1);

      const lx = (await listSessions(api.app, account, x.deviceId)).json().sessions as Array<{ seq: number; startedAt: string }>;
      expect(lx.map((s) => s.seq)).toEqual([1, 2, 3]);
      const ly = (await listSessions(api.app, account, y.deviceId)).json().sessions as Array<{ seq: number; startedAt: string; clockReset: boolean }>;
      expect(ly.map((s) => s.seq)).toEqual([4, 1, 2, 3]);
      expect(ly.map((s) => s.startedAt)).toEqual([...ly.map((s) => s.startedAt)].sort());
      expect(ly[0]).toMatchObject({ clockReset: true, startedAt: new Date(reset.startedAt * 1000).toISOString() });
    });

    it('CONCURRENT: the same record sent at the same instant by two phones under different keys is stored exactly once (20 rounds)', async () => {
      const { account: phoneA, devices } = await home(api.app, 1);
      const phoneB = await signIn(api.app, phoneA);
      const d = devices[0]!;
      for (let round = 0; round < 20; round++) {
        const seq = 100 + round;
        const rec = signedRecord(d, sessionRecord(d.deviceId, seq));
        const [r1, r2] = await Promise.all([uploadBatch(api.app, phoneA, [rec], `race-a-${round}-${d.deviceId}`), uploadBatch(api.app, phoneB, [rec], `race-b-${round}-${d.deviceId}`)]);
        expect([r1.statusCode, r2.statusCode], `${r1.body} ${r2.body}`).toEqual([200, 200]);
        const verdicts = [r1.json().results[0].verdict, r2.json().results[0].verdict].sort();
        expect(verdicts, `round ${round}`).toEqual(['duplicate', 'stored']);
        expect((await storedFor(api.db.url, d.deviceId, seq)).sessions, `round ${round}`).toHaveLength(1);
        expect(await expectLedgerBalanced(api.db.url, phoneA.accountId), `round ${round}`).toEqual({ uploads: round + 1, sessions: round + 1 });
      }
    });

    it('CONCURRENT: overlapping batches in opposite orders from two phones store each record once, no deadlock (10 rounds)', async () => {
      const { account: phoneA, devices } = await home(api.app, 2);
      const phoneB = await signIn(api.app, phoneA);
      for (let round = 0; round < 10; round++) {
        const recs = devices.flatMap((d) => [1, 2, 3, 4].map((k) => signedRecord(d, sessionRecord(d.deviceId, 200 + round * 4 + k))));
        const [r1, r2] = await Promise.all([uploadBatch(api.app, phoneA, recs), uploadBatch(api.app, phoneB, [...recs].reverse())]);
        expect([r1.statusCode, r2.statusCode], `${r1.body} ${r2.body}`).toEqual([200, 200]);
        const stored = [...r1.json().results, ...r2.json().results].filter((r: Verdict) => r.verdict === 'stored');
        expect(stored).toHaveLength(recs.length);
        expect(new Set(stored.map((r: Verdict) => `${r.deviceId}:${r.seq}`)).size).toBe(recs.length);
        expect(r1.json().counts.rejected + r2.json().counts.rejected).toBe(0);
      }
      for (const d of devices) expect((await storedFor(api.db.url, d.deviceId)).sessions).toHaveLength(40);
      expect((await expectLedgerBalanced(api.db.url, phoneA.accountId)).sessions).toBe(80);
    });

    it('CONCURRENT: the same key and body twice at the same instant — the second waits for the first and gets its response replayed; never a double write (20 rounds)', async () => {
      // Documented in reference-api/src/routes/uploads.ts: the key row is written in the same statement as the records,
      // so a concurrent request with the key blocks on it, then replays the committed outcome (no "in flight" 409).
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      let replayed = 0;
      for (let round = 0; round < 20; round++) {
        const key = `same-key-${round}-${d.deviceId}`;
        const records = [1, 2].map((k) => signedRecord(d, sessionRecord(d.deviceId, 300 + round * 2 + k)));
        const before = await countRows(api.db.url);
        const pair = await Promise.all([uploadBatch(api.app, account, records, key), uploadBatch(api.app, account, records, key)]);
        const summary = pair.map((r) => `${r.statusCode} replayed=${r.headers['idempotent-replayed']} ${r.body}`).join(' | ');
        const fresh = pair.filter((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === undefined);
        expect(fresh, summary).toHaveLength(1);
        const other = pair.find((r) => r !== fresh[0])!;
        expect(other.statusCode, summary).toBe(200);
        expect(other.headers['idempotent-replayed']).toBe('true');
        expect(other.body).toBe(fresh[0]!.body);
        replayed++;
        expect(fresh[0]!.json().counts).toEqual({ stored: 2, duplicate: 0, rejected: 0 });
        expect(await countRows(api.db.url)).toEqual({ ...before, sessions: before.sessions! + 2, events: before.events! + 1, idempotency_keys: before.idempotency_keys! + 1 });
      }
      console.log(`[fleetbed tests] concurrent same-key uploads: in ${replayed} of 20 rounds the second request waited and replayed the first response`);
    });

    it('CONCURRENT: two different, validly signed records with one (device, seq) at the same instant — one stored, the other seq-conflict (never a silent "duplicate"), and its retry agrees (20 rounds)', async () => {
      const { account: phoneA, devices } = await home(api.app, 1);
      const phoneB = await signIn(api.app, phoneA);
      const d = devices[0]!;
      for (let round = 0; round < 20; round++) {
        const seq = 400 + round;
        const copies = [signedRecord(d, sessionRecord(d.deviceId, seq, { durationS: 100 })), signedRecord(d, sessionRecord(d.deviceId, seq, { durationS: 101 }))];
        const keys = [`conflict-a-${round}-${d.deviceId}`, `conflict-b-${round}-${d.deviceId}`];
        const pair = await Promise.all([uploadBatch(api.app, phoneA, [copies[0]!], keys[0]), uploadBatch(api.app, phoneB, [copies[1]!], keys[1])]);
        const verdicts = pair.map((r) => r.json().results[0].code ?? r.json().results[0].verdict);
        expect([...verdicts].sort(), `round ${round}`).toEqual(['seq-conflict', 'stored']);
        const winner = verdicts.indexOf('stored');
        const kept = (await storedFor(api.db.url, d.deviceId, seq)).sessions;
        expect(kept.map((s) => Buffer.concat([s.record, s.signature]).toString('base64url'))).toEqual([copies[winner]]);
        const loser = 1 - winner;
        const retry = await uploadBatch(api.app, loser === 0 ? phoneA : phoneB, [copies[loser]!], keys[loser]);
        expect(retry.headers['idempotent-replayed']).toBe('true');
        expect(retry.statusCode).toBe(pair[loser]!.statusCode);
        expect(retry.body).toBe(pair[loser]!.body);
      }
    });
  });

  describe('per-record verdicts (ING-5, AUTH-1, AUTH-2)', () => {
    it('a record with a tampered field but the original signature is rejected signature-invalid; the good record beside it is stored', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const tampered = flipByte(signedRecord(d, sessionRecord(d.deviceId, 1, { durationS: 120 })), 19, 0x0f); // durationS 120 → 119
      const res = await uploadBatch(api.app, account, [tampered, signedRecord(d, sessionRecord(d.deviceId, 2))]);
      expect(res.statusCode).toBe(200);
      expect(res.json().results).toEqual([
        { deviceId: d.deviceId, seq: 1, verdict: 'rejected', code: 'signature-invalid', detail: expect.any(String) },
        { deviceId: d.deviceId, seq: 2, verdict: 'stored' },
      ]);
      expect((await storedFor(api.db.url, d.deviceId)).sessions.map((s) => s.seq)).toEqual([2]);
    });

    it('seq-conflict: a different, validly signed record with a stored (device, seq) is rejected and the stored copy is kept', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const original = signedRecord(d, sessionRecord(d.deviceId, 7, { durationS: 120 }));
      expect((await uploadBatch(api.app, account, [original])).json().counts.stored).toBe(1);
      const before = await countRows(api.db.url);

      const conflicting = signedRecord(d, sessionRecord(d.deviceId, 7, { durationS: 95 }));
      const alone = await uploadBatch(api.app, account, [conflicting]);
      expect(alone.statusCode).toBe(422);
      expect(alone.json()).toMatchObject({ code: 'upload-rejected', counts: { stored: 0, duplicate: 0, rejected: 1 } });
      expect(alone.json().results[0]).toMatchObject({ deviceId: d.deviceId, seq: 7, verdict: 'rejected', code: 'seq-conflict' });

      const mixed = await uploadBatch(api.app, account, [conflicting, signedRecord(d, sessionRecord(d.deviceId, 8))]);
      expect(mixed.statusCode).toBe(200);
      expect(mixed.json().results.map((r: Verdict) => r.code ?? r.verdict)).toEqual(['seq-conflict', 'stored']);

      expect(await countRows(api.db.url, ['sessions', 'events'])).toEqual({ sessions: before.sessions! + 1, events: before.events! + 1 });
      const kept = (await storedFor(api.db.url, d.deviceId, 7)).sessions[0]!;
      expect(Buffer.concat([kept.record, kept.signature]).toString('base64url')).toBe(original);
    });

    it('seq-conflict inside one batch: a second, different record with the same (device, seq) is not reported as a duplicate', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const first = signedRecord(d, sessionRecord(d.deviceId, 1, { durationS: 120 }));
      const second = signedRecord(d, sessionRecord(d.deviceId, 1, { durationS: 60 }));
      const res = await uploadBatch(api.app, account, [first, second, first]);
      expect(res.statusCode).toBe(200);
      expect(res.json().results.map((r: Verdict) => r.code ?? r.verdict)).toEqual(['stored', 'seq-conflict', 'duplicate']);
      const kept = (await storedFor(api.db.url, d.deviceId, 1)).sessions;
      expect(kept.map((s) => Buffer.concat([s.record, s.signature]).toString('base64url'))).toEqual([first]);
    });

    it("a copy of a record from another account's device, repeated inside the batch, is rejected every time (never 'duplicate')", async () => {
      const mine = await home(api.app, 1, 'mine');
      const theirs = await home(api.app, 1, 'theirs');
      const t = theirs.devices[0]!;
      const rec = signedRecord(t, sessionRecord(t.deviceId, 1));
      const before = await countRows(api.db.url);
      const res = await uploadBatch(api.app, mine.account, [rec, rec]);
      expect(res.statusCode).toBe(422);
      expect(res.json().results.map((r: Verdict) => r.code ?? r.verdict)).toEqual(['device-not-bonded', 'device-not-bonded']);
      expect(await countRows(api.db.url, ['sessions', 'events', 'consumables'])).toEqual({ sessions: before.sessions, events: before.events, consumables: before.consumables });
    });

    it('an unknown head id is stored as an unresolved consumable (head_type NULL), listed with headType null; a known head gets its inferred type', async () => {
      const { account, devices } = await home(api.app, 1);
      const d = devices[0]!;
      const unknown = unknownHeadIdExample(42);
      const kids = 0x4000_0000_0000 + 4242;
      const res = await uploadBatch(api.app, account, [signedRecord(d, sessionRecord(d.deviceId, 1, { headId: unknown })), signedRecord(d, sessionRecord(d.deviceId, 2, { headId: kids }))]);
      expect(res.json().counts).toEqual({ stored: 2, duplicate: 0, rejected: 0 });

      const rows = await withDb(api.db.url, async (c) => (await c.query('SELECT head_id, head_type, resolved, first_device_id FROM consumables WHERE head_id = ANY($1::bigint[]) ORDER BY head_id', [[unknown, kids]])).rows);
      expect(rows).toEqual(
        [
          { head_id: unknown, head_type: null, resolved: false, first_device_id: d.deviceId },
          { head_id: kids, head_type: 'kids', resolved: true, first_device_id: d.deviceId },
        ].sort((x, y) => x.head_id - y.head_id),
      );
      const listed = (await listSessions(api.app, account, d.deviceId)).json().sessions;
      expect(listed.map((s: { headId: number; headType: string | null }) => [s.headId, s.headType])).toEqual([
        [unknown, null],
        [kids, 'kids'],
      ]);
    });

    it("the OTA heartbeat (ota_devices first/last session, device time capped at receipt) follows what each upload stored: created with the device's line and firmware, widened by reordered and clock-reset records, never by duplicates", async () => {
      const { account, devices } = await home(api.app, 2);
      const [a, b] = devices as [TestDevice, TestDevice];
      // Uploads queue the heartbeat; its readers fold the queue first (reference-api/src/ota/heartbeat.ts).
      const beat = async () =>
        withDb(api.db.url, async (c) => {
          await foldHeartbeats(c);
          const { rows } = await c.query<{ device_id: number; product_line: string; running: boolean; first_s: number; last_s: number }>(
            `SELECT o.device_id, o.product_line, o.running_version = ota_pack_version(d.firmware_version) AS running,
                    extract(epoch FROM o.first_session_at)::bigint AS first_s, extract(epoch FROM o.last_session_at)::bigint AS last_s
               FROM ota_devices o JOIN devices d USING (device_id) WHERE o.device_id = ANY($1::bigint[]) ORDER BY o.device_id`,
            [[a.deviceId, b.deviceId]],
          );
          return rows;
        });
      expect(await beat()).toEqual([]);
      const rec = (d: TestDevice, seq: number, startedAt?: number) => signedRecord(d, sessionRecord(d.deviceId, seq, startedAt === undefined ? {} : { startedAt }));
      const started = (seq: number) => sessionRecord(0, seq).startedAt;
      const line = (await withDb(api.db.url, async (c) => (await c.query<{ product_line: string }>('SELECT product_line FROM devices WHERE device_id = $1', [a.deviceId])).rows[0]!.product_line));

      expect((await uploadBatch(api.app, account, [rec(a, 2), rec(a, 1), rec(b, 1)])).json().counts.stored).toBe(3);
      const queued = await withDb(api.db.url, async (c) => (await c.query<{ device_id: number }>('SELECT device_id FROM ota_heartbeat_queue WHERE device_id = ANY($1::bigint[]) ORDER BY device_id', [[a.deviceId, b.deviceId]])).rows);
      expect(queued.map((r) => Number(r.device_id))).toEqual([a.deviceId, b.deviceId]); // one queued row per device of the upload
      const row = (d: TestDevice, first: number, last: number) => ({ device_id: d.deviceId, product_line: line, running: true, first_s: first, last_s: last });
      expect(await beat()).toEqual([row(a, started(1), started(2)), row(b, started(1), started(1))]);

      // A clock-reset record from earlier widens the start; a record from the future counts as received, not as its device time.
      const now = await clockSeconds(api.app);
      expect((await uploadBatch(api.app, account, [rec(a, 3, started(1) - 7200), rec(b, 2, now + 600)])).json().counts.stored).toBe(2);
      expect(await beat()).toEqual([row(a, started(1) - 7200, started(2)), row(b, started(1), now)]);

      // A duplicate changes nothing; an older record than the latest does not move `last` back.
      const dup = await uploadBatch(api.app, account, [rec(a, 2), rec(b, 3, started(1) + 1)]);
      expect(dup.json().counts).toEqual({ stored: 1, duplicate: 1, rejected: 0 });
      expect(await beat()).toEqual([row(a, started(1) - 7200, started(2)), row(b, started(1), now)]);
    });
  });
});

describeEachTarget('uploads: the late window and bad records in a batch (ING-4, ING-5)', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  it('a batch mixing good records with a forged signature, another account\'s device, a too-late and a too-far-in-future record: the good ones stored, each bad one rejected with its code', async () => {
    let owner = await signUp(api.app, 'owner');
    const neighbour = await signUp(api.app, 'neighbour');
    const [a, b, c] = await provision(api.app, freshDeviceIds(3));
    await bond(api.app, owner, a!);
    await bond(api.app, owner, b!);
    await bond(api.app, neighbour, c!);
    // A month passes on the platform clock; the phone signs in again (its access token expired).
    const now = await advanceClock(api.app, 31 * DAY_S * 1000);
    owner = await signIn(api.app, owner);

    const [unprovisioned] = freshDeviceIds(1);
    const batch: Array<[string, number, number, string]> = [
      [signedRecord(a!, sessionRecord(a!.deviceId, 1, { startedAt: now - 3600 })), a!.deviceId, 1, 'stored'],
      [flipByte(signedRecord(a!, sessionRecord(a!.deviceId, 2, { startedAt: now - 3000 })), 34 + 17), a!.deviceId, 2, 'signature-invalid'],
      [signedRecord(c!, sessionRecord(c!.deviceId, 1, { startedAt: now - 3000 })), c!.deviceId, 1, 'device-not-bonded'],
      [signedRecord(a!, sessionRecord(a!.deviceId, 3, { startedAt: now - 31 * DAY_S })), a!.deviceId, 3, 'too-late'],
      [signedRecord(b!, sessionRecord(b!.deviceId, 1, { startedAt: now + 2 * DAY_S })), b!.deviceId, 1, 'too-far-in-future'],
      [signedRecord(b!, sessionRecord(b!.deviceId, 2, { startedAt: now - 29 * DAY_S })), b!.deviceId, 2, 'stored'], // late, inside the window
      [signedRecord({ ...a!, deviceId: unprovisioned! }, sessionRecord(unprovisioned!, 1, { startedAt: now - 60 })), unprovisioned!, 1, 'device-not-bonded'],
      [signedRecord(b!, sessionRecord(b!.deviceId, 3, { startedAt: now + 3600 })), b!.deviceId, 3, 'stored'], // a device clock slightly ahead
    ];
    const before = await countRows(api.db.url);
    const res = await uploadBatch(api.app, owner, batch.map(([r]) => r));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as UploadBody;
    expect(body.counts).toEqual({ stored: 3, duplicate: 0, rejected: 5 });
    expect(body.results.map((r) => [r.deviceId, r.seq, r.code ?? r.verdict])).toEqual(batch.map(([, deviceId, seq, v]) => [deviceId, seq, v]));
    for (const r of body.results.filter((x) => x.verdict === 'rejected')) expect(r.detail).toEqual(expect.any(String));
    expect(body.results[3]!.detail).toMatch(/late window is 30 days/);

    // The only consumable written is the (default) head of the stored records: this database saw no record before.
    expect(await countRows(api.db.url)).toEqual({ sessions: before.sessions! + 3, events: before.events! + 1, consumables: before.consumables! + 1, idempotency_keys: before.idempotency_keys! + 1 });
    expect(await expectLedgerBalanced(api.db.url, owner.accountId)).toEqual({ uploads: 1, sessions: 3 });
    const heads = await withDb(api.db.url, async (cl) => (await cl.query<{ head_id: number; first_device_id: number }>('SELECT head_id, first_device_id FROM consumables')).rows);
    expect(heads).toEqual([{ head_id: sessionRecord(0, 1).headId, first_device_id: a!.deviceId }]);
    const stored = await withDb(api.db.url, async (cl) => (await cl.query<{ device_id: number; seq: number }>('SELECT device_id, seq FROM sessions ORDER BY device_id, seq')).rows);
    expect(stored).toEqual([
      { device_id: a!.deviceId, seq: 1 },
      { device_id: b!.deviceId, seq: 2 },
      { device_id: b!.deviceId, seq: 3 },
    ]);
  });

  it('an all-bad batch is 422 upload-rejected carrying every verdict, nothing written; its retry replays the same 422', async () => {
    let owner = await signUp(api.app, 'allbad');
    const [a] = await provision(api.app, freshDeviceIds(1));
    await bond(api.app, owner, a!);
    owner = await signIn(api.app, owner);
    const now = (await api.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs / 1000;
    const records = [
      flipByte(signedRecord(a!, sessionRecord(a!.deviceId, 1, { startedAt: now - 60 })), 40),
      signedRecord(a!, sessionRecord(a!.deviceId, 2, { startedAt: now - 40 * DAY_S })),
      signedRecord(a!, sessionRecord(a!.deviceId, 3, { startedAt: now + 3 * DAY_S })),
    ];
    const before = await countRows(api.db.url);
    const res = await uploadBatch(api.app, owner, records, 'all-bad-key-0001');
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.json()).toMatchObject({
      type: 'https://fleetbed.dev/problems/upload-rejected',
      status: 422,
      code: 'upload-rejected',
      field: 'records',
      counts: { stored: 0, duplicate: 0, rejected: 3 },
    });
    expect(res.json().results.map((r: Verdict) => r.code)).toEqual(['signature-invalid', 'too-late', 'too-far-in-future']);
    // The key is kept with its 422 (so a retry gets the same answer); no session, event or consumable is written.
    expect(await countRows(api.db.url)).toEqual({ ...before, idempotency_keys: before.idempotency_keys! + 1 });

    const again = await uploadBatch(api.app, owner, records, 'all-bad-key-0001');
    expect(again.statusCode).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(again.body).toBe(res.body);
    expect(await countRows(api.db.url)).toEqual({ ...before, idempotency_keys: before.idempotency_keys! + 1 });
  });

  it('the late window is configurable (lateWindowSeconds: 3600)', async () => {
    await using short = await startTestApi(serverUrl, { lateWindowSeconds: 3600 });
    const owner = await signUp(short.app, 'short-window');
    const [a] = await provision(short.app, freshDeviceIds(1));
    await bond(short.app, owner, a!);
    const now = (await short.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs / 1000;
    const res = await uploadBatch(short.app, owner, [
      signedRecord(a!, sessionRecord(a!.deviceId, 1, { startedAt: now - 3500 })),
      signedRecord(a!, sessionRecord(a!.deviceId, 2, { startedAt: now - 3700 })),
      signedRecord(a!, sessionRecord(a!.deviceId, 3, { startedAt: now - 2 * DAY_S })),
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((r: Verdict) => r.code ?? r.verdict)).toEqual(['stored', 'too-late', 'too-late']);
    expect(await countRows(short.db.url, ['sessions'])).toEqual({ sessions: 1 });
  });
});
