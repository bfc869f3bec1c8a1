import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachTarget, freshDeviceIds, provision, withDb } from '../support/world.ts';
import { foldHeartbeats } from '../../reference-api/src/ota/heartbeat.ts';

/** The queued OTA heartbeat (reference-api/src/ota/heartbeat.ts): folding is min/max per device, however split. */
describeEachTarget('OTA heartbeat queue: folding', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  it('folds queued rows into one row per device (earliest first, latest last), never moves a heartbeat backwards, and empties the queue; concurrent folds agree with one fold', async () => {
    const [a, b] = (await provision(api.app, freshDeviceIds(2))).map((d) => d.deviceId) as [number, number];
    const t = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();
    const queue = (rows: [number, number, number][]) =>
      withDb(api.db.url, (c) => c.query('INSERT INTO ota_heartbeat_queue (device_id, first_at, last_at) SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[])', [rows.map((r) => r[0]), rows.map((r) => t(r[1])), rows.map((r) => t(r[2]))]));
    const beat = () =>
      withDb(api.db.url, async (c) =>
        (await c.query<{ device_id: number; first_at: Date; last_at: Date }>('SELECT device_id, first_session_at AS first_at, last_session_at AS last_at FROM ota_devices WHERE device_id = ANY($1::bigint[]) ORDER BY device_id', [[a, b]])).rows.map((r) => [Number(r.device_id), r.first_at.toISOString(), r.last_at.toISOString()]),
      );
    const queued = () => withDb(api.db.url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM ota_heartbeat_queue WHERE device_id = ANY($1::bigint[])', [[a, b]])).rows[0]!.n);

    await queue([[a, 5, 6], [a, 3, 4], [b, 10, 10], [a, 7, 9]]);
    await withDb(api.db.url, (c) => foldHeartbeats(c));
    expect(await beat()).toEqual([[a, t(3), t(9)], [b, t(10), t(10)]]);
    expect(await queued()).toBe(0);

    // Older rows change nothing; newer ones widen. Split over several concurrent folds, the result is that of one.
    await queue([[a, 4, 8], [b, 11, 12], [b, 9, 9], [a, 2, 2], [b, 1, 13]]);
    const pool = [0, 1, 2].map(() => withDb(api.db.url, (c) => foldHeartbeats(c)));
    await Promise.all(pool);
    expect(await beat()).toEqual([[a, t(2), t(9)], [b, t(1), t(13)]]);
    expect(await queued()).toBe(0);
    expect(await withDb(api.db.url, (c) => foldHeartbeats(c))).toBe(0);
  });
});
