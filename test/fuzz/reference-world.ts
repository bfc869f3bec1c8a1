import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { bondProofSigningBytes } from '../../contract/bond-proof.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { encodeFirmwareManifest, firmwareManifestSigningBytes, testReleaseSeed } from '../../contract/ota.ts';
import { encodeOtaReport, OTA_REPORT_STATES, otaReportSigningBytes, packSignedOtaReport } from '../../contract/ota-report.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes } from '../../contract/record.ts';
import type { FuzzWorld } from './fuzz-routes.ts';
import type { Transport } from './_internals/transport.ts';

/**
 * The world the reference API is fuzzed in, built over the transport the way a
 * phone and the factory would (no database access): two consumers (alice
 * owns devices 1 and 2 and has uploaded sessions, bob owns device 3), a care
 * provider alice consented to, a provisioned device nobody owns, a signed
 * firmware release with an active rollout. The fuzzer draws real ids, tokens,
 * emails and correctly signed records from it, so requests get past the
 * checks in front of the handlers.
 */

const CLIENT_ID = 'fleetbed-phone';
/** The virtual clock's start (2026-01-01T00:00:00Z), in seconds. */
const T0 = 1_767_225_600;

interface Person {
  label: string;
  email: string;
  password: string;
  accountId: string;
  access: string;
  refresh: string;
}

interface WorldDevice {
  deviceId: number;
  key: KeyObject;
  publicKey: Buffer;
}

function keyOf(label: string): { key: KeyObject; publicKey: Buffer } {
  const seed = createHash('sha256').update(`fleetbed-fuzz/${label}`).digest();
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  return { key, publicKey: Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url') };
}

async function expectStatus(t: Transport, what: string, req: Parameters<Transport['send']>[0], status: number): Promise<Record<string, any>> {
  const res = await t.send(req);
  if (res.status !== status) throw new Error(`fuzz world setup: ${what} answered ${res.status}, expected ${status}: ${res.body.slice(0, 300)}`);
  return res.body ? JSON.parse(res.body) : {};
}

const jsonReq = (method: string, url: string, body: unknown, headers: Record<string, string> = {}) => ({ method, url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Build the world on an empty platform reached through `t`. `factorySecret` is the platform's. */
export async function referenceWorld(t: Transport, factorySecret: string): Promise<FuzzWorld> {
  const factory = { 'x-factory-credential': factorySecret };
  const people: Person[] = [];
  const signIn = async (p: Person) => {
    const tok = await expectStatus(t, `sign-in of ${p.label}`, jsonReq('POST', '/v2/oauth/token', { grant_type: 'password', client_id: CLIENT_ID, username: p.email, password: p.password }), 200);
    p.access = tok.access_token;
    p.refresh = tok.refresh_token;
  };
  for (const [label, url, headers] of [
    ['alice', '/v2/accounts', {}],
    ['bob', '/v2/accounts', {}],
    ['dentist', '/v2/care-providers', factory],
  ] as const) {
    const p: Person = { label, email: `${label}@fuzz.example.test`, password: `a good password of ${label}`, accountId: '', access: '', refresh: '' };
    p.accountId = (await expectStatus(t, `sign-up of ${label}`, jsonReq('POST', url, { email: p.email, password: p.password, displayName: label }, headers), 201)).accountId;
    await signIn(p);
    people.push(p);
  }
  const [alice, bob, dentist] = people as [Person, Person, Person];

  const devices: WorldDevice[] = [9_000_001, 9_000_002, 9_000_003, 9_000_004].map((deviceId) => ({ deviceId, ...keyOf(`device-${deviceId}`) }));
  const registration = (d: WorldDevice) => ({ deviceId: d.deviceId, serial: `FZ-${d.deviceId}`, productLine: 'adult-brush', publicKey: d.publicKey.toString('base64url'), firmwareVersion: '1.0.0' });
  await expectStatus(t, 'provisioning', jsonReq('POST', '/v2/factory/devices', { devices: devices.map(registration) }, factory), 201);

  const auth = (p: Person) => ({ authorization: `Bearer ${p.access}` });
  let press = 0;
  for (const [d, p] of [
    [devices[0]!, alice],
    [devices[1]!, alice],
    [devices[2]!, bob],
  ] as const) {
    const { challenge } = await expectStatus(t, 'bond challenge', { method: 'POST', url: `/v2/devices/${d.deviceId}/bond-challenge`, headers: auth(p) }, 201);
    const pressCounter = ++press;
    const bytes = bondProofSigningBytes({ deviceId: d.deviceId, accountId: p.accountId, challenge: Buffer.from(challenge, 'base64url'), pressCounter, buttonPressed: true });
    const proof = { challenge, pressCounter, buttonPressed: true, signature: sign(null, bytes, d.key).toString('base64url') };
    await expectStatus(t, 'bond', jsonReq('POST', `/v2/devices/${d.deviceId}/bond`, proof, auth(p)), 200);
  }
  await expectStatus(t, 'consent', { method: 'PUT', url: `/v2/care/consents/${dentist.accountId}`, headers: auth(alice) }, 200);

  const record = (d: WorldDevice, seq: number, startedAt: number) => {
    const bytes = encodeSessionRecord({ formatVersion: 1, clockReset: false, headChanged: false, deviceId: d.deviceId, seq, startedAt, durationS: 120, zones: 0xff, pressureAlerts: 0, headId: 0x1000_0000_0001, firmwareVersion: packFirmwareVersion('1.0.0'), batteryPct: 80 });
    return Buffer.from(packSignedRecord(bytes, sign(null, sessionRecordSigningBytes(bytes), d.key))).toString('base64url');
  };
  await expectStatus(t, 'upload', jsonReq('POST', '/v2/uploads', { records: [1, 2, 3].map((s) => record(devices[0]!, s, T0 - 7200 + s * 60)) }, { ...auth(alice), 'idempotency-key': 'fuzz-world-upload-1' }), 200);

  const releaseKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(testReleaseSeed())]), format: 'der', type: 'pkcs8' });
  /** A release signed by the TEST release key the API trusts in test mode. */
  const releaseFor = (productLine: string, version: string) => {
    const sha256 = createHash('sha256').update(`fuzz image ${productLine} ${version}`).digest();
    const manifest = encodeFirmwareManifest({ formatVersion: 1, productLine: productLine as 'adult-brush', firmwareVersion: packFirmwareVersion(version), sizeBytes: 262_144, antiRollbackCounter: 1, sha256 });
    return { productLine, version, sizeBytes: 262_144, sha256: sha256.toString('base64url'), antiRollbackCounter: 1, signature: sign(null, firmwareManifestSigningBytes(manifest), releaseKey).toString('base64url') };
  };
  const { releaseId } = await expectStatus(t, 'release', jsonReq('POST', '/v2/ota/releases', releaseFor('adult-brush', '2.0.0'), factory), 201);
  const { rolloutId } = await expectStatus(t, 'rollout', jsonReq('POST', '/v2/ota/rollouts', { releaseId, policy: 'health-gate', stages: [{ percent: 50, soakSeconds: 3600 }, { percent: 100, soakSeconds: 3600 }] }, factory), 201);

  // ---------------------------------------------------------------- what the fuzzer draws from the world
  const person = fc.constantFrom(0, 1, 2).map((i) => people[i]!);
  const device = fc.constantFrom(...devices);
  const unknownUuid = fc.constantFrom('00000000-0000-4000-8000-000000000000');
  const signedRecord = fc
    .record({ d: device, seq: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(1, 2 ** 32 - 1)), offset: fc.integer({ min: -40 * 86_400, max: 2 * 86_400 }), tamper: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(97) }) })
    .map(({ d, seq, offset, tamper }) => {
      const b = Buffer.from(record(d, seq, Math.max(0, T0 + offset)), 'base64url');
      if (tamper !== null) b[tamper]! ^= 0x01;
      return b.toString('base64url');
    });
  const signedReport = fc.record({ d: device, seq: fc.integer({ min: 1, max: 20 }), state: fc.constantFrom(...OTA_REPORT_STATES) }).map(({ d, seq, state }) => {
    const bytes = encodeOtaReport({ formatVersion: 1, state, deviceId: d.deviceId, seq, rolloutId, targetVersion: packFirmwareVersion('2.0.0'), runningVersion: packFirmwareVersion('1.0.0'), bootCount: 0, deviceTime: T0, detail: 'none' });
    return Buffer.from(packSignedOtaReport(bytes, sign(null, otaReportSigningBytes(bytes), d.key))).toString('base64url');
  });
  const weakKeys = [Buffer.alloc(32), Buffer.from([1, ...Array(31).fill(0)]), Buffer.from([2, ...Array(31).fill(0)]), Buffer.alloc(32, 0xff)].map((b) => b.toString('base64url'));
  const hints: Record<string, fc.Arbitrary<unknown>> = {
    deviceId: fc.oneof(device.map((d) => d.deviceId), fc.constant(9_999_999)),
    providerAccountId: fc.oneof(fc.constant(dentist.accountId), person.map((p) => p.accountId), unknownUuid),
    patientAccountId: fc.oneof(fc.constant(alice.accountId), person.map((p) => p.accountId), unknownUuid),
    releaseId: fc.oneof(fc.constant(releaseId), unknownUuid),
    rolloutId: fc.oneof(fc.constant(rolloutId), unknownUuid),
    name: fc.constantFrom('ota-health-monitor', 'OTA-health-monitor', 'unknown-job'),
    email: fc.oneof(person.map((p) => p.email), person.map((p) => p.email.toUpperCase()), fc.nat().map((n) => `fuzz-${n}@fuzz.example.test`)),
    username: fc.oneof(person.map((p) => p.email), fc.constant('nobody@fuzz.example.test')),
    password: fc.oneof(person.map((p) => p.password), fc.constant('a wrong password')),
    client_id: fc.constantFrom(CLIENT_ID, 'nobody', ''),
    grant_type: fc.constantFrom('password', 'refresh_token', 'client_credentials', 'authorization_code', 'PASSWORD'),
    refresh_token: fc.oneof(person.map((p) => p.refresh), person.map((p) => p.access), person.map((p) => `${p.refresh}x`)),
    token: fc.oneof(person.map((p) => p.refresh), person.map((p) => p.access), fc.constant('rt_unknown')),
    token_type_hint: fc.constantFrom('refresh_token', 'access_token', 'bogus'),
    records: fc.array(signedRecord, { minLength: 1, maxLength: 4 }),
    reports: fc.array(signedReport, { minLength: 1, maxLength: 3 }),
    publicKey: fc.oneof(fc.nat().map((n) => keyOf(`fresh-${n}`).publicKey.toString('base64url')), fc.constantFrom(...weakKeys), device.map((d) => d.publicKey.toString('base64url'))),
    version: fc.constantFrom('2.0.0', '2.0.1', '0.0.0', '255.255.65535'),
    'Idempotency-Key': fc.oneof(fc.nat().map((n) => `fuzz-key-${n}`), fc.constant('fuzz-world-upload-1')),
    '#/components/schemas/UploadRequest': fc.array(signedRecord, { minLength: 1, maxLength: 4 }).map((records) => ({ records })),
    '#/components/schemas/TokenRequest': fc.oneof(
      person.map((p) => ({ grant_type: 'password', client_id: CLIENT_ID, username: p.email, password: p.password })),
      person.map((p) => ({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: p.refresh })),
    ),
    '#/components/schemas/RevokeRequest': person.chain((p) => fc.constantFrom({ token: p.refresh }, { token: p.access, token_type_hint: 'access_token' })),
    '#/components/schemas/SignUpRequest': fc.record({ email: fc.nat().map((n) => `fuzz-${n}@fuzz.example.test`), password: fc.constant('a long enough password'), displayName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) }),
    '#/components/schemas/CareProviderRegistration': fc.record({ email: fc.nat().map((n) => `dr-${n}@fuzz.example.test`), password: fc.constant('a long enough password'), displayName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) }),
    '#/components/schemas/ProvisionRequest': fc.array(fc.integer({ min: 1, max: 2 ** 53 - 1 }), { minLength: 1, maxLength: 3 }).map((ids) => ({ devices: ids.map((deviceId) => registration({ deviceId, ...keyOf(`fresh-device-${deviceId}`) })) })),
    '#/components/schemas/FirmwareReleaseRequest': fc.tuple(fc.constantFrom('adult-brush', 'kids-brush', 'interdental'), fc.integer({ min: 3, max: 255 }), fc.nat(65_535)).map(([line, minor, patch]) => releaseFor(line, `3.${minor}.${patch}`)),
    from: fc.constantFrom('2025-12-01T00:00:00Z', '2025-12-31T00:00:00Z'),
    to: fc.constantFrom('2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z', '2025-12-01T00:00:00Z'),
  };

  const bearerOf = (p: Person) => ({ authorization: `Bearer ${p.access}` });
  const phone = fc.oneof(
    { weight: 6, arbitrary: fc.constant(alice).map(bearerOf) },
    { weight: 2, arbitrary: fc.constant(bob).map(bearerOf) },
    { weight: 2, arbitrary: fc.constant(dentist).map(bearerOf) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: person.map((p) => ({ authorization: `Bearer ${p.refresh}` })) },
    { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'bearer at_x', 'Basic YTpi', 'Bearer at_\u00ff', `Bearer ${'a'.repeat(10_000)}`, 'Bearer at_0 at_1').map((authorization) => ({ authorization })) },
    { weight: 1, arbitrary: person.map((p) => ({ authorization: `bearer ${p.access}` })) },
    { weight: 1, arbitrary: fc.constant(factory) },
  );
  const operator = fc.oneof(
    { weight: 8, arbitrary: fc.constant(factory) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constantFrom(`${factorySecret}x`, factorySecret.slice(0, -1), factorySecret.toUpperCase(), ` ${factorySecret}`, '').map((v) => ({ 'x-factory-credential': v })) },
    { weight: 1, arbitrary: fc.constant(alice).map(bearerOf) },
    { weight: 1, arbitrary: fc.constant(alice).map((p) => ({ ...bearerOf(p), ...factory })) },
  );
  const publicRoute = fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: phone }, { weight: 1, arbitrary: operator });

  return {
    hint: (name) => hints[name],
    auth: {
      headers: (schemes) => (schemes.includes('factoryCredential') ? operator : schemes.includes('phoneBearer') ? phone : publicRoute),
    },
    // The fuzzer revokes, rotates and reuses the world's tokens: every route starts with fresh ones.
    async beforeRoute() {
      for (const p of people) await signIn(p);
    },
    // Their 2xx take the world away from the routes after them for good: an unbond, a revoked consent,
    // and the virtual clock, which never goes back (and expires every token and challenge). Fuzz them last.
    last: ['unbondDevice', 'revokeCareConsent', 'setTestbedClock'],
  };
}
