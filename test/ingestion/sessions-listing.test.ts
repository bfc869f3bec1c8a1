import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  bond,
  describeEachTarget,
  freshDeviceIds,
  listSessions,
  provision,
  sessionRecord,
  signedRecord,
  signUp,
  T0,
  uploadBatch,
  type TestAccount,
  type TestDevice,
} from '../support/world.ts';

interface ListedSession {
  deviceId: number;
  seq: number;
  startedAt: string;
}

const COUNT = 250;
/** Device time of record `seq`: three records share each start second, and device time does not follow seq. */
const startedAtOf = (seq: number) => T0 - 86_400 + ((seq * 37) % 97) * 60;

/** Every page from the first, following nextCursor. */
async function allPages(api: TestApi, account: TestAccount, deviceId: number, limit?: number) {
  const pages: ListedSession[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const res = await listSessions(api.app, account, deviceId, { ...(limit === undefined ? {} : { limit }), ...(cursor === undefined ? {} : { cursor }) });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { sessions: ListedSession[]; nextCursor: string | null };
    pages.push(page.sessions);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
    if (pages.length > 2 * COUNT + 1) throw new Error('pagination does not end');
  }
}

describeEachTarget('sessions listing: cursor pages in device-time order, owner only', (serverUrl) => {
  let api: TestApi;
  let owner: TestAccount;
  let device: TestDevice;

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    owner = await signUp(api.app, 'lister');
    [device] = (await provision(api.app, freshDeviceIds(1))) as [TestDevice];
    await bond(api.app, owner, device);
    // Uploaded in a scrambled order, in three batches.
    const seqs = Array.from({ length: COUNT }, (_, i) => ((i * 101) % COUNT) + 1);
    expect(new Set(seqs).size).toBe(COUNT);
    for (let i = 0; i < COUNT; i += 100) {
      const batch = seqs.slice(i, i + 100).map((seq) => signedRecord(device, sessionRecord(device.deviceId, seq, { startedAt: startedAtOf(seq) })));
      const res = await uploadBatch(api.app, owner, batch);
      expect(res.json().counts.stored).toBe(batch.length);
    }
  });
  afterAll(async () => api?.close());

  const expectedOrder = () =>
    Array.from({ length: COUNT }, (_, i) => i + 1).sort((a, b) => startedAtOf(a) - startedAtOf(b) || a - b);

  it(`${COUNT} sessions in pages of 100 via nextCursor: every session exactly once, in (startedAt, seq) order`, async () => {
    const pages = await allPages(api, owner, device.deviceId, 100);
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    const all = pages.flat();
    expect(all.map((s) => s.seq)).toEqual(expectedOrder());
    expect(new Set(all.map((s) => s.seq)).size).toBe(COUNT);
    expect(all.every((s) => s.deviceId === device.deviceId)).toBe(true);
    expect(all.map((s) => s.startedAt)).toEqual(all.map((s) => new Date(startedAtOf(s.seq) * 1000).toISOString()));
  });

  it('the default page is 100, and other page sizes cover the same sessions in the same order', async () => {
    expect((await allPages(api, owner, device.deviceId)).map((p) => p.length)).toEqual([100, 100, 50]);
    for (const limit of [1, 7, 249, 250, 1000]) {
      const pages = await allPages(api, owner, device.deviceId, limit);
      expect(pages.flat().map((s) => s.seq), `limit ${limit}`).toEqual(expectedOrder());
      expect(pages.length, `limit ${limit}`).toBe(Math.max(1, Math.ceil(COUNT / limit)));
    }
  });

  it.each([
    ['not base64url of a cursor', 'garbage'],
    ['base64url of something else', Buffer.from('abc.def').toString('base64url')],
    ['punctuation', '!!!!'],
    ['a negative position', Buffer.from('-5.1').toString('base64url')],
  ])('a garbage cursor (%s) is 400 validation-failed naming cursor', async (_what, cursor) => {
    const res = await listSessions(api.app, owner, device.deviceId, { cursor });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'cursor' });
  });

  it('an over-long cursor and a bad limit are 400', async () => {
    for (const query of [{ cursor: 'A'.repeat(65) }, { limit: 0 }, { limit: 1001 }]) {
      const res = await listSessions(api.app, owner, device.deviceId, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(res.json().code).toBe('validation-failed');
    }
  });

  it("another account's device is 404, like a device that does not exist (AUTH-2)", async () => {
    const stranger = await signUp(api.app, 'stranger');
    const theirs = await listSessions(api.app, stranger, device.deviceId);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(theirs.json()).toMatchObject({ code: 'not-found', field: 'deviceId' });
    const [nobodys] = freshDeviceIds(1);
    const missing = await listSessions(api.app, stranger, nobodys!);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe(theirs.json().code);
  });

  it('no token is 401', async () => {
    const res = await api.app.inject({ method: 'GET', url: `/v2/devices/${device.deviceId}/sessions` });
    expect(res.statusCode).toBe(401);
  });

  it("after the device is re-bonded to a new owner, the new owner does not see the old owner's sessions", async () => {
    const oldOwner = await signUp(api.app, 'old-owner');
    const [sold] = (await provision(api.app, freshDeviceIds(1))) as [TestDevice];
    await bond(api.app, oldOwner, sold);
    const old = [1, 2, 3].map((seq) => signedRecord(sold, sessionRecord(sold.deviceId, seq)));
    expect((await uploadBatch(api.app, oldOwner, old)).json().counts.stored).toBe(3);

    const newOwner = await signUp(api.app, 'new-owner');
    await bond(api.app, newOwner, sold); // a fresh button press moves the device
    const fresh = await listSessions(api.app, newOwner, sold.deviceId);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json()).toEqual({ sessions: [], nextCursor: null });
    expect((await listSessions(api.app, oldOwner, sold.deviceId)).statusCode).toBe(404);

    // The old owner's phone can no longer relay the device; the new owner's records are theirs alone.
    const later = signedRecord(sold, sessionRecord(sold.deviceId, 4));
    expect((await uploadBatch(api.app, oldOwner, [later])).json().results[0]).toMatchObject({ verdict: 'rejected', code: 'device-not-bonded' });
    expect((await uploadBatch(api.app, newOwner, [later, old[0]!])).json().results.map((r: { verdict: string }) => r.verdict)).toEqual(['stored', 'duplicate']);
    const listed = (await listSessions(api.app, newOwner, sold.deviceId)).json().sessions as ListedSession[];
    expect(listed.map((s) => s.seq)).toEqual([4]);
  });
});
