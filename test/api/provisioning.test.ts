import { createPrivateKey, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  FACTORY_HEADERS,
  bearer,
  describeEachDatabase,
  provision,
  registration as registrationWithKey,
  rowCounts,
  seedFor,
  signUpAndSignIn,
  withClient,
} from '../support/fixtures.ts';

/** A real Ed25519 public key for device `id` (provisioning refuses keys that are not points of large order). */
const realKey = (id: number) =>
  Buffer.from(
    createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: seedFor(`pk-${id}`).toString('base64url'), x: Buffer.alloc(32).toString('base64url') }, format: 'jwk' })).export({ format: 'jwk' }).x!,
    'base64url',
  );
const registration = (id: number, key: Buffer = realKey(id)) => registrationWithKey(id, key);

/** 32 little-endian bytes of y, with the sign bit of x. */
const point = (y: bigint, sign = 0n) => Buffer.from((y | (sign << 255n)).toString(16).padStart(64, '0'), 'hex').reverse();
const P = 2n ** 255n - 19n;
/**
 * Public keys that are not canonical Ed25519 points of large order, and the words the problem uses.
 * Under the first two, a forged signature (R small order, S = 0) verifies in OpenSSL for many messages.
 */
const WEAK_KEYS: Array<[string, Buffer, RegExp]> = [
  ['the identity point', point(1n), /small order/],
  ['a point of order 8', Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'), /small order/],
  ['a point of order 4 (y = 0)', point(0n), /small order/],
  ['a non-canonical encoding (y = p + 1, i.e. the identity again)', point(P + 1n), /non-canonical encoding/],
  ['a non-canonical encoding (x = 0 with the sign bit set)', point(1n, 1n), /non-canonical encoding/],
  ['a y with no point on the curve (y = 2)', point(2n), /not on the curve/],
];

/** Ids unique within this file: each test takes its own block. */
let nextBlock = 0;
const ids = (count: number) => {
  const start = ++nextBlock * 100_000;
  return Array.from({ length: count }, (_, i) => start + i);
};

const ndjson = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

const bulk = (api: TestApi, payload: string, headers: Record<string, string> = { ...FACTORY_HEADERS, 'content-type': 'application/x-ndjson' }) =>
  api.app.inject({ method: 'POST', url: '/v2/factory/devices/bulk', headers, payload });

describeEachDatabase('factory provisioning', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  const devicesIn = (deviceIds: number[]) =>
    withClient(api.db.url, async (c) => {
      const { rows } = await c.query<{ device_id: number; serial: string; product_line: string; public_key: Buffer; firmware_version: string; owner_account_id: string | null }>(
        'SELECT device_id, serial, product_line, public_key, firmware_version, owner_account_id FROM devices WHERE device_id = ANY($1) ORDER BY device_id',
        [deviceIds],
      );
      return rows;
    });

  describe('JSON batch', () => {
    it('registers every device of the batch (201) with its key, unowned', async () => {
      const regs = ids(3).map((id) => registration(id));
      const res = await provision(api.app, regs);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ provisioned: 3 });
      const rows = await devicesIn(regs.map((r) => r.deviceId));
      expect(rows.map((r) => ({ id: r.device_id, serial: r.serial, line: r.product_line, key: r.public_key.toString('base64url'), fw: r.firmware_version, owner: r.owner_account_id }))).toEqual(
        regs.map((r) => ({ id: r.deviceId, serial: r.serial, line: r.productLine, key: r.publicKey, fw: r.firmwareVersion, owner: null })),
      );
    });

    it('refuses the whole batch when a serial is already provisioned (409 naming serial), writing nothing', async () => {
      const [taken, ...rest] = ids(3);
      expect((await provision(api.app, [registration(taken!)])).statusCode).toBe(201);
      const before = await rowCounts(api.db.url);
      const res = await provision(api.app, [...rest.map((id) => registration(id)), { ...registration(taken! + 50_000), serial: registration(taken!).serial }]);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'device-already-provisioned', field: 'serial' });
      expect(await rowCounts(api.db.url)).toEqual(before);
      expect(await devicesIn(rest)).toEqual([]);
    });

    it('refuses the whole batch when a device id is already provisioned (409 naming deviceId)', async () => {
      const [taken, fresh] = ids(2);
      expect((await provision(api.app, [registration(taken!)])).statusCode).toBe(201);
      const before = await rowCounts(api.db.url);
      const res = await provision(api.app, [registration(fresh!), { ...registration(taken!), serial: 'TB-OTHER-SERIAL' }]);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'device-already-provisioned', field: 'deviceId' });
      expect(await rowCounts(api.db.url)).toEqual(before);
    });

    it('refuses a batch that repeats a device within itself (409), writing nothing', async () => {
      const [a, b] = ids(2);
      const before = await rowCounts(api.db.url);
      const res = await provision(api.app, [registration(a!), registration(b!), registration(a!)]);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'device-already-provisioned' });
      expect(await rowCounts(api.db.url)).toEqual(before);
    });

    it('refuses a public key that is not 32 bytes (400 naming publicKey)', async () => {
      const [id] = ids(1);
      const res = await provision(api.app, [registration(id!, Buffer.alloc(31, 1))]);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation-failed');
      expect(res.json().field).toMatch(/(^|\.)publicKey$/);
      expect(await devicesIn([id!])).toEqual([]);
    });

    it.each(WEAK_KEYS)('refuses %s as a device key (422 device-key-invalid naming the device and why), writing nothing of the batch', async (_what, key, why) => {
      const [good, weak] = ids(2);
      const before = await rowCounts(api.db.url);
      const res = await provision(api.app, [registration(good!), registration(weak!, key)]);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'device-key-invalid', field: 'devices.1.publicKey', status: 422 });
      expect(res.json().detail).toContain(`device ${weak}`);
      expect(res.json().detail).toContain(key.toString('base64url'));
      expect(res.json().detail).toMatch(why);
      expect(await rowCounts(api.db.url)).toEqual(before);
      expect(await devicesIn([good!, weak!])).toEqual([]);
    });

    it.each([
      ['no credential', {}],
      ['a wrong credential', { 'x-factory-credential': 'not-the-factory-secret' }],
    ])('%s is 401 factory-credential-required', async (_what, headers) => {
      const [id] = ids(1);
      const res = await provision(api.app, [registration(id!)], headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'factory-credential-required', field: 'X-Factory-Credential' });
      expect(await devicesIn([id!])).toEqual([]);
    });

    it("a phone's bearer token is 403 forbidden", async () => {
      const phone = await signUpAndSignIn(api.app);
      const [id] = ids(1);
      const res = await provision(api.app, [registration(id!)], bearer(phone.accessToken));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'forbidden' });
      expect(await devicesIn([id!])).toEqual([]);
    });
  });

  describe('NDJSON bulk', () => {
    it('registers 10,000 devices (201) with one device.provisioned event each', async () => {
      const deviceIds = ids(10_000);
      const res = await bulk(api, ndjson(deviceIds.map((id) => registration(id))));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ provisioned: 10_000 });
      const counts = await withClient(api.db.url, async (c) => {
        const { rows } = await c.query<{ devices: number; events: number; devices_with_one_event: number }>(
          `SELECT (SELECT count(*)::int FROM devices WHERE device_id = ANY($1)) AS devices,
                  (SELECT count(*)::int FROM events WHERE kind = 'device.provisioned' AND device_id = ANY($1)) AS events,
                  (SELECT count(DISTINCT device_id)::int FROM events WHERE kind = 'device.provisioned' AND device_id = ANY($1)) AS devices_with_one_event`,
          [deviceIds],
        );
        return rows[0];
      });
      expect(counts).toEqual({ devices: 10_000, events: 10_000, devices_with_one_event: 10_000 });
    });

    it('refuses the whole body when a line in the middle is not JSON (400 naming the line), writing nothing', async () => {
      const lines: unknown[] = ids(2_000).map((id) => registration(id));
      lines[500] = ''; // blank lines are skipped, but still counted
      lines[1_000] = '{"deviceId": 1, "serial": ';
      const before = await rowCounts(api.db.url);
      const res = await bulk(api, ndjson(lines));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'malformed-ndjson', field: 'line 1001' });
      expect(await rowCounts(api.db.url)).toEqual(before);
    });

    it('refuses the whole body when line N has a bad field (400 naming line N and the field)', async () => {
      const lines = ids(50).map((id) => registration(id));
      lines[41] = { ...lines[41]!, firmwareVersion: 'v1' };
      const before = await rowCounts(api.db.url);
      const res = await bulk(api, ndjson(lines));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'line 42.firmwareVersion' });
      expect(res.json().detail).toMatch(/^line 42:/);
      expect(await rowCounts(api.db.url)).toEqual(before);
    });

    it('refuses a duplicate of an existing device anywhere in the body (409), writing nothing', async () => {
      const [taken, ...rest] = ids(20);
      expect((await provision(api.app, [registration(taken!)])).statusCode).toBe(201);
      const before = await rowCounts(api.db.url);
      const res = await bulk(api, ndjson([...rest.map((id) => registration(id)), registration(taken!)]));
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'device-already-provisioned' });
      expect(await rowCounts(api.db.url)).toEqual(before);
    });

    it.each(WEAK_KEYS)('refuses %s on line N (422 device-key-invalid naming line N), writing nothing of the stream', async (_what, key, why) => {
      const lines = ids(50).map((id) => registration(id));
      lines[41] = registration(lines[41]!.deviceId, key);
      const before = await rowCounts(api.db.url);
      const res = await bulk(api, ndjson(lines));
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json()).toMatchObject({ code: 'device-key-invalid', field: 'line 42.publicKey' });
      expect(res.json().detail).toMatch(/^line 42: /);
      expect(res.json().detail).toContain(`device ${lines[41]!.deviceId}`);
      expect(res.json().detail).toMatch(why);
      expect(await rowCounts(api.db.url)).toEqual(before);
      expect(await devicesIn(lines.map((l) => l.deviceId))).toEqual([]);
    });

    it('refuses another content type (415)', async () => {
      const [id] = ids(1);
      const res = await bulk(api, ndjson([registration(id!)]), { ...FACTORY_HEADERS, 'content-type': 'application/json' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ code: 'unsupported-media-type', field: 'Content-Type' });
      expect(await devicesIn([id!])).toEqual([]);
    });

    it('wants the factory credential too (401)', async () => {
      const [id] = ids(1);
      const res = await bulk(api, ndjson([registration(id!)]), { 'content-type': 'application/x-ndjson' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'factory-credential-required' });
    });
  });
});
