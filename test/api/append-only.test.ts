import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachDatabase, provisionDevices, signUpAndSignIn, withClient } from '../support/fixtures.ts';

/** ING-2: stored events are never updated or deleted, and it is the database that refuses. */
describeEachDatabase('events are append-only in the database (ING-2)', (serverUrl) => {
  let api: TestApi;
  let snapshot: string;
  const eventsSnapshot = () =>
    withClient(api.db.url, async (c) => (await c.query<{ d: string }>("SELECT count(*) || ':' || md5(string_agg(e::text, '|' ORDER BY event_id)) AS d FROM events e")).rows[0]!.d);

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    await signUpAndSignIn(api.app);
    await provisionDevices(api.app, 3);
    snapshot = await eventsSnapshot();
  });
  afterAll(async () => api?.close());

  it.each([
    ['UPDATE', "UPDATE events SET kind = 'forged'"],
    ['UPDATE of one row', "UPDATE events SET data = '{\"x\":1}' WHERE event_id = (SELECT min(event_id) FROM events)"],
    ['DELETE', 'DELETE FROM events'],
    ['DELETE of one row', 'DELETE FROM events WHERE event_id = (SELECT max(event_id) FROM events)'],
    ['TRUNCATE', 'TRUNCATE events'],
    ['TRUNCATE … CASCADE', 'TRUNCATE events CASCADE'],
  ])('%s is refused with insufficient_privilege and changes nothing', async (op, sql) => {
    const error = await withClient(api.db.url, (c) => c.query(sql).then(() => null, (err: unknown) => err as { code?: string; message: string }));
    expect(error, `${op} was accepted`).not.toBeNull();
    expect(error!.code).toBe('42501');
    expect(error!.message).toMatch(/append-only/);
    expect(await eventsSnapshot()).toBe(snapshot);
  });

  it('still accepts new events (INSERT)', async () => {
    const inserted = await withClient(api.db.url, (c) => c.query("INSERT INTO events (kind, occurred_at) VALUES ('test.appended', now())"));
    expect(inserted.rowCount).toBe(1);
    snapshot = await eventsSnapshot();
  });
});
