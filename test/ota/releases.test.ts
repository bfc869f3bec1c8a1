import { createHash, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFirmwareManifest, encodeFirmwareManifest, TEST_RELEASE_PUBLIC_KEY } from '../../contract/ota.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { configFromEnv, ConfigError } from '../../reference-api/src/config.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachTarget, signUp } from '../support/world.ts';
import { OPERATOR, releaseBody, ROGUE_RELEASE_KEY, TEST_RELEASE_KEY } from './support.ts';

const digest = async (api: TestApi) => (await api.app.inject({ method: 'GET', url: '/testbed/digest' })).json().digest as string;
const post = (api: TestApi, payload: unknown, headers: Record<string, string> = OPERATOR) => api.app.inject({ method: 'POST', url: '/v2/ota/releases', headers, payload: payload as object });

describeEachTarget('OTA firmware releases', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  it('accepts a release signed by the trusted TEST release key, storing the canonical manifest', async () => {
    const body = releaseBody({ productLine: 'adult-brush', version: '2.0.0', antiRollbackCounter: 3 });
    const res = await post(api, body);
    expect(res.statusCode, res.body).toBe(201);
    const rel = res.json();
    expect(rel).toMatchObject({ productLine: 'adult-brush', version: '2.0.0', antiRollbackCounter: 3, signature: body.signature, signedBy: TEST_RELEASE_PUBLIC_KEY });
    const manifest = decodeFirmwareManifest(Buffer.from(rel.manifest, 'base64url'));
    expect(manifest).toMatchObject({ productLine: 'adult-brush', firmwareVersion: packFirmwareVersion('2.0.0'), antiRollbackCounter: 3, sizeBytes: body.sizeBytes });
    expect(Buffer.from(manifest.sha256).toString('base64url')).toBe(body.sha256);
    expect((await api.app.inject({ method: 'GET', url: `/v2/ota/releases/${rel.releaseId}`, headers: OPERATOR })).json()).toEqual(rel);
  });

  const refusals: Array<[string, () => object, number, string]> = [
    ['unsigned (no signature)', () => {
      const { signature: _s, ...rest } = releaseBody({ productLine: 'adult-brush', version: '3.0.0' });
      return rest;
    }, 400, 'validation-failed'],
    ['signed with zeros', () => ({ ...releaseBody({ productLine: 'adult-brush', version: '3.0.1' }), signature: Buffer.alloc(64).toString('base64url') }), 422, 'release-signature-invalid'],
    ['signed by an untrusted key', () => releaseBody({ productLine: 'adult-brush', version: '3.0.2' }, ROGUE_RELEASE_KEY), 422, 'release-signature-invalid'],
    ['relabelled for another product line', () => ({ ...releaseBody({ productLine: 'adult-brush', version: '3.0.3' }), productLine: 'kids-brush' }), 422, 'release-signature-invalid'],
    ['with a tampered SHA-256', () => ({ ...releaseBody({ productLine: 'adult-brush', version: '3.0.4' }), sha256: createHash('sha256').update('evil').digest().toString('base64url') }), 422, 'release-signature-invalid'],
    ['with a lowered anti-rollback counter', () => ({ ...releaseBody({ productLine: 'adult-brush', version: '3.0.5', antiRollbackCounter: 9 }), antiRollbackCounter: 0 }), 422, 'release-signature-invalid'],
    ['with another version', () => ({ ...releaseBody({ productLine: 'adult-brush', version: '3.0.6' }), version: '9.0.0' }), 422, 'release-signature-invalid'],
    ['with a version out of range', () => ({ ...releaseBody({ productLine: 'adult-brush', version: '3.0.7' }), version: '300.0.0' }), 400, 'validation-failed'],
  ];
  it.each(refusals)('refuses a release %s, writing nothing', async (_what, body, status, code) => {
    const before = await digest(api);
    const res = await post(api, body());
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect(await digest(api)).toBe(before);
  });

  it('refuses the same version twice for a line (409), but not for another line', async () => {
    const body = releaseBody({ productLine: 'kids-brush', version: '2.0.0' });
    expect((await post(api, body)).statusCode).toBe(201);
    const again = await post(api, body);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('release-exists');
    expect((await post(api, releaseBody({ productLine: 'interdental', version: '2.0.0' }))).statusCode).toBe(201);
  });

  it('is operator-only: a phone token gets 403, no credential 401, and nothing is written', async () => {
    const phone = await signUp(api.app, 'ota-phone');
    const body = releaseBody({ productLine: 'adult-brush', version: '4.0.0' });
    const before = await digest(api);
    const asPhone = await post(api, body, { authorization: `Bearer ${phone.token}` });
    expect(asPhone.statusCode).toBe(403);
    expect(asPhone.json().code).toBe('forbidden');
    expect((await post(api, body, {})).statusCode).toBe(401);
    expect(await digest(api)).toBe(before);
    const get = await api.app.inject({ method: 'GET', url: '/v2/ota/releases/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${phone.token}` } });
    expect(get.statusCode).toBe(403);
  });

  describe('outside test mode', () => {
    let plain: TestApi;
    beforeAll(async () => {
      plain = await startTestApi(serverUrl, { testMode: false, otaMonitorIntervalSeconds: 0 });
    });
    afterAll(async () => plain?.close());

    it('trusts no release key by default, so even the TEST key is refused, naming the setting', async () => {
      const res = await post(plain, releaseBody({ productLine: 'adult-brush', version: '2.0.0' }));
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'release-signature-invalid', field: 'signature' });
      expect(res.json().detail).toMatch(/FLEETBED_RELEASE_PUBLIC_KEYS/);
    });
  });

  describe('with production keys configured', () => {
    let prod: TestApi;
    const rogueKey = Buffer.from(createPublicKey(ROGUE_RELEASE_KEY).export({ format: 'jwk' }).x!, 'base64url').toString('base64url');
    beforeAll(async () => {
      prod = await startTestApi(serverUrl, { releasePublicKeys: [rogueKey] });
    });
    afterAll(async () => prod?.close());

    it('trusts exactly the configured keys: the TEST key no longer signs releases', async () => {
      expect((await post(prod, releaseBody({ productLine: 'adult-brush', version: '2.0.0' }, TEST_RELEASE_KEY))).statusCode).toBe(422);
      const ok = await post(prod, releaseBody({ productLine: 'adult-brush', version: '2.0.0' }, ROGUE_RELEASE_KEY));
      expect(ok.statusCode).toBe(201);
      expect(ok.json().signedBy).toBe(rogueKey);
    });
  });
});

describe('release key configuration', () => {
  const env = { DATABASE_URL: 'postgres://x@127.0.0.1/db', FLEETBED_FACTORY_SECRET: 'a-factory-secret-of-length' };
  it('defaults to the TEST key in test mode only', () => {
    expect(configFromEnv({ ...env, FLEETBED_TEST_MODE: '1' }).releasePublicKeys).toEqual([TEST_RELEASE_PUBLIC_KEY]);
    expect(configFromEnv(env).releasePublicKeys).toEqual([]);
  });
  it('reads FLEETBED_RELEASE_PUBLIC_KEYS (comma-separated base64url) and refuses a malformed key', () => {
    const k = Buffer.alloc(32, 7).toString('base64url');
    expect(configFromEnv({ ...env, FLEETBED_TEST_MODE: '1', FLEETBED_RELEASE_PUBLIC_KEYS: ` ${k}, ${TEST_RELEASE_PUBLIC_KEY}` }).releasePublicKeys).toEqual([k, TEST_RELEASE_PUBLIC_KEY]);
    expect(() => configFromEnv({ ...env, FLEETBED_RELEASE_PUBLIC_KEYS: 'not-a-key' })).toThrow(ConfigError);
    expect(() => configFromEnv({ ...env, FLEETBED_RELEASE_PUBLIC_KEYS: 'not-a-key' })).toThrow(/FLEETBED_RELEASE_PUBLIC_KEYS/);
  });
  it('encodes what it signs: the manifest bytes round-trip', () => {
    const m = { formatVersion: 1 as const, productLine: 'interdental' as const, firmwareVersion: packFirmwareVersion('1.2.3'), sizeBytes: 5, antiRollbackCounter: 7, sha256: new Uint8Array(32).fill(9) };
    expect(decodeFirmwareManifest(encodeFirmwareManifest(m))).toEqual(m);
  });
});
