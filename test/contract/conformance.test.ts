import { createHash, createPrivateKey, sign } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openapi, operations, type DocumentedOperation, type PathItemObject, type ResponseObject } from '../../contract/openapi.ts';
import { bondProofSigningBytes } from '../../contract/bond-proof.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../contract/record.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { encodeOtaReport, otaReportSigningBytes, packSignedOtaReport } from '../../contract/ota-report.ts';
import { encodeBody, type Dialect } from '../../contract/legacy/dialect.ts';
import { legacyRowKey } from '../../contract/legacy/wire.ts';
import { DIALECTS } from '../../contract/legacy/dialects.ts';
import { releaseBody, ROGUE_RELEASE_KEY } from '../ota/support.ts';
import { credentials, records, truth, userIdFor, type LegacyUser } from '../api/legacy-client.ts';
import { databaseTargets } from '../support/databases.ts';
import { startTestApi, TEST_FACTORY_SECRET, type TestApi } from '../support/api.ts';

/**
 * The reference API against its OpenAPI document (contract/openapi.ts):
 * (a) it serves exactly the documented routes, (b) every answer of a realistic
 * flow, and of at least one refusal per route, has a documented status, media
 * type and body, and every documented status is seen at least once, (c)
 * outside test mode the testbed hooks are 404.
 */

// ---------------------------------------------------------------- route capture
// buildApp() creates its Fastify instance itself; wrap the factory so that an
// onRoute hook sees every route as it is registered.
type SeenRoute = { method: string; url: string };
const routesOf = vi.hoisted(() => new WeakMap<object, SeenRoute[]>());
vi.mock('fastify', async (importOriginal) => {
  const real = await importOriginal<typeof import('fastify')>();
  const make = real.default as unknown as (opts?: unknown) => FastifyInstance;
  const wrapped = Object.assign((opts?: unknown) => {
    const app = make(opts);
    const seen: SeenRoute[] = [];
    routesOf.set(app, seen);
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) seen.push({ method, url: r.url });
    });
    return app;
  }, make);
  return { ...real, default: wrapped };
});

const fastifyPath = (openapiPath: string) => openapiPath.replace(/\{([^}]+)\}/g, ':$1');
const key = (method: string, path: string) => `${method} ${path}`;

function servedRoutes(app: FastifyInstance): string[] {
  const seen = routesOf.get(app);
  if (!seen) throw new Error('the Fastify factory wrapper did not see this app; is vi.mock("fastify") still in effect?');
  return [...new Set(seen.filter((r) => r.method !== 'HEAD').map((r) => key(r.method, r.url)))].sort();
}

// ---------------------------------------------------------------- checking answers against the document

const OPS = new Map(operations().map((o) => [o.operationId, o]));
const PATHS = openapi.paths as Record<string, PathItemObject>;

const ajv = new Ajv2020({ strict: false, allErrors: true });
formats.default(ajv);
ajv.addSchema({ $id: 'openapi', components: openapi.components });
const validators = new Map<string, ValidateFunction>();
function validatorFor(schema: unknown): ValidateFunction {
  const text = JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/');
  let v = validators.get(text);
  if (!v) validators.set(text, (v = ajv.compile(JSON.parse(text) as object)));
  return v;
}

function documentedResponse(op: DocumentedOperation, status: number): ResponseObject | undefined {
  return PATHS[op.path]![op.method.toLowerCase() as 'get']!.responses[status];
}

/** Every (operationId, status) the suite saw, for the coverage check at the end. */
const observed = new Set<string>();

interface Call {
  /** Documented operationId. */
  op: string;
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  token?: string;
  /** Send X-Factory-Credential (true: the right secret). */
  factory?: boolean | string;
  headers?: Record<string, string>;
  /** JSON body. */
  json?: unknown;
  /** Raw body, sent with `contentType`. */
  raw?: string;
  contentType?: string;
  /** The status this step expects. */
  status: number;
}

interface Answer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/**
 * Send one request to a documented operation and check the answer against
 * the document: status documented, media type documented for that status,
 * body valid against its schema (problems narrowed to the documented codes),
 * documented constant headers present, no body where none is documented.
 */
async function call(app: FastifyInstance, c: Call): Promise<Answer> {
  const op = OPS.get(c.op);
  if (!op) throw new Error(`no documented operation ${c.op}`);
  const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = c.params?.[name];
    if (v === undefined) throw new Error(`${c.op}: path parameter ${name} not given`);
    return encodeURIComponent(String(v));
  }) + (c.query ? `?${new URLSearchParams(c.query)}` : '');
  const headers: Record<string, string> = { ...c.headers };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  if (c.factory) headers['x-factory-credential'] = c.factory === true ? TEST_FACTORY_SECRET : c.factory;
  const req: InjectOptions = { method: op.method, url, headers };
  if (c.json !== undefined) {
    req.payload = JSON.stringify(c.json);
    headers['content-type'] = 'application/json';
  } else if (c.raw !== undefined) {
    req.payload = c.raw;
  }
  if (c.contentType) headers['content-type'] = c.contentType;
  const res = await app.inject(req);
  const where = `${op.method} ${url} → ${res.statusCode} ${res.body.slice(0, 600)}`;

  expect(res.statusCode, where).toBe(c.status);
  const documented = documentedResponse(op, res.statusCode);
  expect(documented, `${where}: status ${res.statusCode} is not documented for ${c.op}`).toBeDefined();
  observed.add(`${c.op} ${res.statusCode}`);

  for (const [name, h] of Object.entries(documented!.headers ?? {})) {
    const value = res.headers[name.toLowerCase()];
    if (h.required) expect(value, `${where}: header ${name} is documented as always present`).toBeDefined();
    const constant = (h.schema as { const?: unknown }).const;
    if (value !== undefined && constant !== undefined) expect(value, `${where}: header ${name}`).toBe(constant);
  }
  const content = documented!.content;
  if (!content) {
    expect(res.body, `${where}: documented without a body`).toBe('');
    return { status: res.statusCode, body: undefined, headers: res.headers };
  }
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  expect(Object.keys(content), `${where}: Content-Type ${type}`).toContain(type);
  const body = res.json();
  const validate = validatorFor(content[type]!.schema);
  expect(validate(body), `${where}: body does not match the documented schema: ${ajv.errorsText(validate.errors)}`).toBe(true);
  return { status: res.statusCode, body, headers: res.headers };
}

// ---------------------------------------------------------------- devices and people

interface Device {
  deviceId: number;
  publicKey: Buffer;
  sign(bytes: Uint8Array): string;
  registration: Record<string, unknown>;
}

async function makeDevice(deviceId: number): Promise<Device> {
  const seed = createHash('sha256').update(`fleetbed-conformance/${deviceId}`).digest();
  const publicKey = Buffer.from(await ed.getPublicKeyAsync(seed));
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: publicKey.toString('base64url') }, format: 'jwk' });
  return {
    deviceId,
    publicKey,
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64url'),
    registration: { deviceId, serial: `CF-${deviceId}`, productLine: 'adult-brush', publicKey: publicKey.toString('base64url'), firmwareVersion: '1.2.3' },
  };
}

function proof(device: Device, accountId: string, challenge: string, pressCounter: number, opts: { buttonPressed?: boolean; signer?: Device } = {}) {
  const buttonPressed = opts.buttonPressed ?? true;
  const bytes = bondProofSigningBytes({ deviceId: device.deviceId, accountId, challenge: Buffer.from(challenge, 'base64url'), pressCounter, buttonPressed });
  return { challenge, pressCounter, buttonPressed, signature: (opts.signer ?? device).sign(bytes) };
}

/** A session record of `device`, signed by `signer` (default: the device), base64url as a phone relays it. */
function signedRecord(device: Device, seq: number, startedAt: number, signer: Device = device): string {
  const record: SessionRecord = {
    formatVersion: 1,
    clockReset: false,
    headChanged: false,
    deviceId: device.deviceId,
    seq,
    startedAt,
    durationS: 120,
    zones: 0xff,
    pressureAlerts: 0,
    headId: 0x1000_0000_0001,
    firmwareVersion: packFirmwareVersion('1.2.3'),
    batteryPct: 80,
  };
  const bytes = encodeSessionRecord(record);
  const signature = Buffer.from(signer.sign(sessionRecordSigningBytes(bytes)), 'base64url');
  return Buffer.from(packSignedRecord(bytes, signature)).toString('base64url');
}

// ---------------------------------------------------------------- legacy v1 lines (contract/legacy/dialects.ts)

/** The line whose v1 routes `o` is (its path is `<basePath>/sessions`), or undefined. */
const lineOfOp = (o: DocumentedOperation): Dialect | undefined => DIALECTS.find((d) => o.path === `${d.basePath}/sessions`);
/** A line's two v1 operations, found in the document by path (the contract generates them from the dialect). */
function v1Ops(d: Dialect): { upload: string; read: string } {
  const of = (method: string) => operations().find((o) => o.method === method && o.path === `${d.basePath}/sessions`)?.operationId;
  const upload = of('POST');
  const read = of('GET');
  if (!upload || !read) throw new Error(`contract/openapi.ts documents no POST and GET ${d.basePath}/sessions for line ${d.line}`);
  return { upload, read };
}
/** The old app's User-Agent: its name and the build of revision 0. */
const userAgentOf = (d: Dialect) => ({ 'user-agent': `${d.appName}/${d.revisions[0]!.appBuild}` });
/** A valid body of a line's upload: `n` records of device `serial`, in the line's encoding, under revision 0. */
function legacyUpload(d: Dialect, serial: string, n: number): Pick<Call, 'raw' | 'contentType'> {
  const { body, contentType } = encodeBody(d, records(d, d.revisions[0]!, serial, 0, n));
  return { raw: body, contentType };
}
/** The next dialect revision of a line whose deployed revision is `current` (same fields, a later build). */
const nextRevision = (d: Dialect, current: number) => ({ ...d.revisions[0]!, revision: current + 1, appBuild: d.revisions[0]!.appBuild + current + 1 });
/** A valid body of each legacy operator and testbed route of one line. */
const LINE_BODIES: Record<string, (d: Dialect) => unknown> = {
  setLegacyLineState: () => ({ state: 'dual-write' }),
  setLegacyLineGate: () => ({ requiredCleanNights: 1 }),
  setLegacyLineMapping: (d) => ({ revisions: d.revisions }),
  deployLegacyRevision: (d) => nextRevision(d, 0),
};

const form = (fields: Record<string, string>) => ({ raw: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' });
const CLIENT = 'fleetbed-phone';

// ---------------------------------------------------------------- the suite

const target = databaseTargets().find((t) => t.name === 'embedded')!;

describe('the reference API conforms to contract/openapi.ts [embedded]', () => {
  let api: TestApi;
  let app: FastifyInstance;
  const devices: Device[] = [];
  let stranger: Device;
  const alice = { email: 'alice@example.test', password: 'correct horse battery', accountId: '', access: '', refresh: '' };
  const bob = { email: 'bob@example.test', password: 'another good password', accountId: '', access: '' };
  const dentist = { email: 'dentist@example.test', password: 'a dentist password', accountId: '', access: '' };
  let uploaded: string[] = [];
  /** A care-query period around the uploaded sessions (set when they are uploaded). */
  let period = { from: '', to: '' };
  /** Path parameters, queries and headers that reach every route's handler, for the sweeps over all operations. */
  /** The OTA release and rollout of the OTA step (for the sweeps over all operations). */
  const ota = { releaseId: '', rolloutId: '' };
  /** The old system's user of each line (created by the legacy step), and the line and night of its reconciliation report. */
  const legacyUsers = new Map<string, LegacyUser>();
  const legacy = { line: DIALECTS[0]!.line, night: '' };
  const reaching = (o: DocumentedOperation): Pick<Call, 'params' | 'query' | 'headers'> => ({
    params: { deviceId: devices[1]!.deviceId, providerAccountId: dentist.accountId, patientAccountId: alice.accountId, ...ota, name: 'ota-health-monitor', ...legacy },
    ...(o.operationId === 'getPatientSessions' ? { query: period } : {}),
    ...(o.operationId === 'uploadRecords' ? { headers: { 'idempotency-key': `sweep-${o.operationId}-${observed.size}` } } : {}),
  });

  /** A line's credential (its user's, or the one given) in the line's own scheme, and on uploads the old app's User-Agent. */
  const legacyCredentials = (d: Dialect, opts: { userAgent?: boolean; secret?: string } = {}): Pick<Call, 'headers' | 'query'> => {
    const u = legacyUsers.get(d.line);
    if (!u) throw new Error(`no legacy user of ${d.line} yet: the legacy step creates them`);
    const c = credentials(d, { userId: u.userId, secret: opts.secret ?? u.secret });
    return { headers: { ...c.headers, ...(opts.userAgent ? userAgentOf(d) : {}) }, query: c.query };
  };
  /** Credentials that reach every route's handler: Bob's token, the factory credential, or the line's user. */
  const auth = (o: DocumentedOperation): Partial<Call> => {
    const d = lineOfOp(o);
    if (d) return legacyCredentials(d, { userAgent: o.method === 'POST' });
    return o.security.includes('phoneBearer') ? { token: bob.access } : o.security.includes('factoryCredential') ? { factory: true } : {};
  };

  beforeAll(async () => {
    api = await startTestApi(target.serverUrl!);
    app = api.app;
    for (const id of [7001, 7002, 7003, 7101, 7102]) devices.push(await makeDevice(id));
    stranger = await makeDevice(7999);
  });
  afterAll(async () => api?.close());

  it('(a) serves exactly the documented routes, testbed included in test mode', () => {
    const documented = operations().map((o) => key(o.method, fastifyPath(o.path))).sort();
    expect(servedRoutes(app)).toEqual(documented);
    for (const o of operations()) expect(app.hasRoute({ method: o.method, url: fastifyPath(o.path) }), key(o.method, o.path)).toBe(true);
  });

  it('answers the health probes', async () => {
    await call(app, { op: 'getHealth', status: 200 });
    expect((await call(app, { op: 'getReadiness', status: 200 })).body).toEqual({ status: 'ok' });
  });

  it('signs up, and refuses a taken email and a bad body', async () => {
    const a = await call(app, { op: 'signUp', json: { email: alice.email, password: alice.password, displayName: 'Alice' }, status: 201 });
    alice.accountId = a.body.accountId;
    const b = await call(app, { op: 'signUp', json: { email: bob.email, password: bob.password, displayName: 'Bob' }, status: 201 });
    bob.accountId = b.body.accountId;
    await call(app, { op: 'signUp', json: { email: alice.email.toUpperCase(), password: alice.password, displayName: 'Alice again' }, status: 409 });
    await call(app, { op: 'signUp', json: { email: 'carol@example.test', password: 'long enough password' }, status: 400 });
    await call(app, { op: 'signUp', json: { email: 'carol@example.test', password: 'long enough password', displayName: 'C', accountId: 'x' }, status: 400 });
  });

  it('issues tokens from form and JSON bodies, and answers RFC 6749 errors', async () => {
    const t = await call(app, { op: 'issueToken', ...form({ grant_type: 'password', client_id: CLIENT, username: alice.email, password: alice.password }), status: 200 });
    alice.access = t.body.access_token;
    alice.refresh = t.body.refresh_token;
    const tb = await call(app, { op: 'issueToken', json: { grant_type: 'password', client_id: CLIENT, username: bob.email, password: bob.password }, status: 200 });
    bob.access = tb.body.access_token;

    const wrong = await call(app, { op: 'issueToken', ...form({ grant_type: 'password', client_id: CLIENT, username: alice.email, password: 'not the password' }), status: 400 });
    expect(wrong.body.error).toBe('invalid_grant');
    const client = await call(app, { op: 'issueToken', ...form({ grant_type: 'password', client_id: 'nobody', username: alice.email, password: alice.password }), status: 401 });
    expect(client.body.error).toBe('invalid_client');
    expect((await call(app, { op: 'issueToken', json: { client_id: CLIENT }, status: 400 })).body.error).toBe('invalid_request');
    expect((await call(app, { op: 'issueToken', ...form({ grant_type: 'client_credentials', client_id: CLIENT }), status: 400 })).body.error).toBe('unsupported_grant_type');
  });

  it('rotates a refresh token, and a replayed one revokes the sign-in', async () => {
    const signIn = await call(app, { op: 'issueToken', ...form({ grant_type: 'password', client_id: CLIENT, username: alice.email, password: alice.password }), status: 200 });
    const rotated = await call(app, { op: 'issueToken', ...form({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: signIn.body.refresh_token }), status: 200 });
    expect(rotated.body.refresh_token).not.toBe(signIn.body.refresh_token);
    const replay = await call(app, { op: 'issueToken', ...form({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: signIn.body.refresh_token }), status: 400 });
    expect(replay.body.error).toBe('invalid_grant');
    await call(app, { op: 'listDevices', token: rotated.body.access_token, status: 401 });
    // The other sign-in of the same account is untouched.
    await call(app, { op: 'listDevices', token: alice.access, status: 200 });
  });

  it('provisions devices from JSON, refusing duplicates, bad bodies and the wrong credential', async () => {
    const batch = devices.slice(0, 3).map((d) => d.registration);
    expect((await call(app, { op: 'provisionDevices', factory: true, json: { devices: batch }, status: 201 })).body).toEqual({ provisioned: 3 });
    const dup = await call(app, { op: 'provisionDevices', factory: true, json: { devices: [batch[0]] }, status: 409 });
    expect(dup.body.field).toBe('deviceId');
    await call(app, { op: 'provisionDevices', factory: true, json: { devices: [{ ...batch[0], serial: 'lower-case' }] }, status: 400 });
    await call(app, { op: 'provisionDevices', factory: true, json: { devices: [] }, status: 400 });
    // A key that is not a point of large order (here the identity, under which S = 0 "signatures" verify in OpenSSL).
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const weak = { ...stranger.registration, deviceId: 7201, serial: 'CF-7201', publicKey: identity.toString('base64url') };
    expect((await call(app, { op: 'provisionDevices', factory: true, json: { devices: [weak] }, status: 422 })).body).toMatchObject({ code: 'device-key-invalid', field: 'devices.0.publicKey' });
    await call(app, { op: 'provisionDevices', json: { devices: batch }, status: 401 });
    await call(app, { op: 'provisionDevices', factory: 'wrong-secret-wrong-secret', json: { devices: batch }, status: 401 });
    await call(app, { op: 'provisionDevices', token: alice.access, json: { devices: batch }, status: 403 });
  });

  it('provisions devices from an NDJSON stream, atomically', async () => {
    const ndjson = (ds: Array<Record<string, unknown>>) => ds.map((d) => JSON.stringify(d)).join('\n') + '\n';
    const bulk = devices.slice(3).map((d) => d.registration);
    const body = { raw: ndjson(bulk), contentType: 'application/x-ndjson' };
    expect((await call(app, { op: 'provisionDevicesBulk', factory: true, ...body, status: 201 })).body).toEqual({ provisioned: 2 });
    await call(app, { op: 'provisionDevicesBulk', factory: true, ...body, status: 409 });
    const fresh = { ...stranger.registration, deviceId: 7200, serial: 'CF-7200' };
    const bad = await call(app, { op: 'provisionDevicesBulk', factory: true, raw: `${JSON.stringify(fresh)}\n{not json\n`, contentType: 'application/x-ndjson', status: 400 });
    expect(bad.body.code).toBe('malformed-ndjson');
    await call(app, { op: 'provisionDevicesBulk', factory: true, raw: ndjson([{ ...fresh, productLine: 'toaster' }]), contentType: 'application/x-ndjson', status: 400 });
    expect((await call(app, { op: 'provisionDevicesBulk', factory: true, raw: '\n', contentType: 'application/x-ndjson', status: 400 })).body.code).toBe('validation-failed');
    await call(app, { op: 'provisionDevicesBulk', factory: true, json: { devices: [fresh] }, status: 415 });
    const offCurve = Buffer.alloc(32);
    offCurve[0] = 2; // y = 2: no x on the curve
    const weak = await call(app, { op: 'provisionDevicesBulk', factory: true, raw: ndjson([fresh, { ...fresh, deviceId: 7202, serial: 'CF-7202', publicKey: offCurve.toString('base64url') }]), contentType: 'application/x-ndjson', status: 422 });
    expect(weak.body).toMatchObject({ code: 'device-key-invalid', field: 'line 2.publicKey' });
    expect(weak.body.detail).toMatch(/not on the curve/);
    await call(app, { op: 'provisionDevicesBulk', ...body, status: 401 });
    await call(app, { op: 'provisionDevicesBulk', token: alice.access, ...body, status: 403 });
    // Nothing of the refused streams was written.
    await call(app, { op: 'provisionDevices', factory: true, json: { devices: [fresh] }, status: 201 });
  });

  it('bonds a device with a real button-press signature, and refuses every bad proof', async () => {
    const [d1] = devices as [Device];
    const params = { deviceId: d1.deviceId };
    const challenge = async () => (await call(app, { op: 'createBondChallenge', params, token: alice.access, status: 201 })).body.challenge as string;

    const c1 = await challenge();
    const bonded = await call(app, { op: 'bondDevice', params, token: alice.access, json: proof(d1, alice.accountId, c1, 1), status: 200 });
    expect(bonded.body).toMatchObject({ deviceId: d1.deviceId, accountId: alice.accountId });
    // The same proof again: its challenge is spent.
    expect((await call(app, { op: 'bondDevice', params, token: alice.access, json: proof(d1, alice.accountId, c1, 1), status: 409 })).body.code).toBe('challenge-invalid');
    // A fresh challenge with an old press counter.
    expect((await call(app, { op: 'bondDevice', params, token: alice.access, json: proof(d1, alice.accountId, await challenge(), 1), status: 409 })).body.code).toBe('press-counter-stale');
    // Signed by another key.
    expect((await call(app, { op: 'bondDevice', params, token: alice.access, json: proof(d1, alice.accountId, await challenge(), 2, { signer: stranger }), status: 403 })).body.code).toBe('bond-proof-invalid');
    // A valid signature over "button not pressed".
    expect((await call(app, { op: 'bondDevice', params, token: alice.access, json: proof(d1, alice.accountId, await challenge(), 2, { buttonPressed: false }), status: 403 })).body.code).toBe('button-not-pressed');
    const { signature: _omitted, ...unsigned } = proof(d1, alice.accountId, await challenge(), 2);
    await call(app, { op: 'bondDevice', params, token: alice.access, json: unsigned, status: 400 });
    await call(app, { op: 'bondDevice', params: { deviceId: 424242 }, token: alice.access, json: proof(d1, alice.accountId, c1, 3), status: 404 });
    await call(app, { op: 'bondDevice', params: { deviceId: 'abc' }, token: alice.access, json: proof(d1, alice.accountId, c1, 3), status: 400 });
    await call(app, { op: 'bondDevice', params, json: proof(d1, alice.accountId, c1, 3), status: 401 });

    await call(app, { op: 'createBondChallenge', params: { deviceId: 424242 }, token: alice.access, status: 404 });
    await call(app, { op: 'createBondChallenge', params: { deviceId: '0' }, token: alice.access, status: 400 });
    await call(app, { op: 'createBondChallenge', params, status: 401 });
  });

  it("lists and reads the owner's devices, and hides everyone else's", async () => {
    const [d1, d2] = devices as [Device, Device];
    const list = await call(app, { op: 'listDevices', token: alice.access, status: 200 });
    expect(list.body.devices.map((d: { deviceId: number }) => d.deviceId)).toEqual([d1.deviceId]);
    const one = await call(app, { op: 'getDevice', params: { deviceId: d1.deviceId }, token: alice.access, status: 200 });
    expect(one.body).toMatchObject({ deviceId: d1.deviceId, serial: `CF-${d1.deviceId}`, firmwareVersion: '1.2.3' });
    await call(app, { op: 'getDevice', params: { deviceId: d2.deviceId }, token: alice.access, status: 404 });
    await call(app, { op: 'getDevice', params: { deviceId: d1.deviceId }, token: bob.access, status: 404 });
    await call(app, { op: 'getDevice', params: { deviceId: 'x1' }, token: alice.access, status: 400 });
    await call(app, { op: 'getDevice', params: { deviceId: d1.deviceId }, status: 401 });
    expect((await call(app, { op: 'listDevices', token: bob.access, status: 200 })).body).toEqual({ devices: [] });
    await call(app, { op: 'listDevices', status: 401 });
    await call(app, { op: 'listDevices', token: 'at_not-a-real-token', status: 401 });
    await call(app, { op: 'listDevices', token: alice.refresh, status: 401 });
  });

  it('unbonds only for the owner', async () => {
    const params = { deviceId: devices[0]!.deviceId };
    await call(app, { op: 'unbondDevice', params, token: bob.access, status: 404 });
    await call(app, { op: 'unbondDevice', params, status: 401 });
    await call(app, { op: 'unbondDevice', params: { deviceId: '-1' }, token: alice.access, status: 400 });
    await call(app, { op: 'unbondDevice', params, token: alice.access, status: 204 });
    await call(app, { op: 'unbondDevice', params, token: alice.access, status: 404 });
    expect((await call(app, { op: 'listDevices', token: alice.access, status: 200 })).body).toEqual({ devices: [] });
  });

  it('ingests signed uploads with per-record verdicts and idempotency keys', async () => {
    const d2 = devices[1]!;
    const c = (await call(app, { op: 'createBondChallenge', params: { deviceId: d2.deviceId }, token: alice.access, status: 201 })).body.challenge;
    await call(app, { op: 'bondDevice', params: { deviceId: d2.deviceId }, token: alice.access, json: proof(d2, alice.accountId, c, 1), status: 200 });
    const nowS = Math.floor((await call(app, { op: 'getTestbedClock', status: 200 })).body.epochMs / 1000);
    uploaded = [signedRecord(d2, 1, nowS - 7200), signedRecord(d2, 2, nowS - 3600)];
    period = { from: new Date((nowS - 10 * 86400) * 1000).toISOString(), to: new Date((nowS + 86400) * 1000).toISOString() };
    const upload = (key: string | undefined, records: string[], status: number, token: string | undefined = alice.access) =>
      call(app, { op: 'uploadRecords', token, headers: key === undefined ? {} : { 'idempotency-key': key }, json: { records }, status });

    const first = await upload('batch-0001', uploaded, 200);
    expect(first.body.counts).toEqual({ stored: 2, duplicate: 0, rejected: 0 });
    const replay = await upload('batch-0001', uploaded, 200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect((await upload('batch-0001', uploaded.slice(0, 1), 409)).body.code).toBe('idempotency-key-reused');

    const forged = signedRecord(d2, 4, nowS - 60, stranger);
    const third = signedRecord(d2, 3, nowS - 120);
    const mixed = await upload('batch-0002', [third, third, forged], 200);
    expect(mixed.body.results.map((r: { verdict: string; code?: string }) => r.code ?? r.verdict)).toEqual(['stored', 'duplicate', 'signature-invalid']);
    const refused = await upload('batch-0003', [forged], 422);
    expect(refused.body.code).toBe('upload-rejected');
    expect(refused.body.counts).toEqual({ stored: 0, duplicate: 0, rejected: 1 });

    expect((await upload(undefined, uploaded, 400)).body.code).toBe('idempotency-key-required');
    expect((await upload('short', uploaded, 400)).body.field).toBe('Idempotency-Key');
    expect((await upload('batch-0004', ['not-a-record'], 400)).body.field).toBe('records[0]');
    expect((await upload('batch-0005', Array.from({ length: 257 }, () => uploaded[0]!), 413)).body.field).toBe('records');
    await upload('batch-0006', uploaded, 401, 'at_not-a-real-token');
  });

  it('answers duplicate for a record already stored by an earlier upload (a second phone relaying it)', async () => {
    const again = await call(app, { op: 'uploadRecords', token: alice.access, headers: { 'idempotency-key': 'second-phone-0001' }, json: { records: uploaded }, status: 200 });
    expect(again.body.counts).toEqual({ stored: 0, duplicate: 2, rejected: 0 });
  });

  it("lists a device's sessions a page at a time, to its owner only", async () => {
    const params = { deviceId: devices[1]!.deviceId };
    const all = await call(app, { op: 'listDeviceSessions', params, token: alice.access, status: 200 });
    expect(all.body.sessions.map((x: { seq: number }) => x.seq)).toEqual([1, 2, 3]);
    expect(all.body.nextCursor).toBeNull();
    const page1 = await call(app, { op: 'listDeviceSessions', params, query: { limit: '2' }, token: alice.access, status: 200 });
    expect(page1.body.sessions).toHaveLength(2);
    const page2 = await call(app, { op: 'listDeviceSessions', params, query: { limit: '2', cursor: page1.body.nextCursor }, token: alice.access, status: 200 });
    expect(page2.body).toMatchObject({ sessions: [{ seq: 3 }], nextCursor: null });
    expect((await call(app, { op: 'listDeviceSessions', params, query: { cursor: 'bm9wZQ' }, token: alice.access, status: 400 })).body.field).toBe('cursor');
    await call(app, { op: 'listDeviceSessions', params, query: { limit: '0' }, token: alice.access, status: 400 });
    await call(app, { op: 'listDeviceSessions', params, query: { page: '2' }, token: alice.access, status: 400 });
    await call(app, { op: 'listDeviceSessions', params, token: bob.access, status: 404 });
    await call(app, { op: 'listDeviceSessions', params, status: 401 });
  });

  it("shows a consenting patient's sessions to a care provider, and to no one else", async () => {
    const reg = { email: dentist.email, password: dentist.password, displayName: 'Dr Dentist' };
    dentist.accountId = (await call(app, { op: 'registerCareProvider', factory: true, json: reg, status: 201 })).body.accountId;
    await call(app, { op: 'registerCareProvider', factory: true, json: reg, status: 409 });
    await call(app, { op: 'registerCareProvider', factory: true, json: { email: 'x@example.test' }, status: 400 });
    await call(app, { op: 'registerCareProvider', json: reg, status: 401 });
    await call(app, { op: 'registerCareProvider', token: alice.access, json: reg, status: 403 });
    dentist.access = (await call(app, { op: 'issueToken', json: { grant_type: 'password', client_id: CLIENT, username: dentist.email, password: dentist.password }, status: 200 })).body.access_token;

    const consent = { providerAccountId: dentist.accountId };
    const grant = await call(app, { op: 'grantCareConsent', params: consent, token: alice.access, status: 200 });
    expect(grant.body).toMatchObject({ patientAccountId: alice.accountId, providerAccountId: dentist.accountId });
    await call(app, { op: 'grantCareConsent', params: { providerAccountId: bob.accountId }, token: alice.access, status: 404 });
    await call(app, { op: 'grantCareConsent', params: { providerAccountId: 'not-a-uuid' }, token: alice.access, status: 400 });
    await call(app, { op: 'grantCareConsent', params: consent, status: 401 });

    const read = (patientAccountId: string, token: string | undefined, status: number, query: Record<string, string> = period) =>
      call(app, { op: 'getPatientSessions', params: { patientAccountId }, query, token, status });
    const seen = await read(alice.accountId, dentist.access, 200);
    expect(seen.body.patient).toEqual({ accountId: alice.accountId, displayName: 'Alice' });
    expect(seen.body.sessions.map((x: { seq: number }) => x.seq)).toEqual([1, 2, 3]);
    expect((await read(alice.accountId, alice.access, 403)).body.code).toBe('forbidden');
    expect((await read(bob.accountId, dentist.access, 403)).body.code).toBe('consent-required');
    await read(alice.accountId, dentist.access, 400, { from: period.to, to: period.from });
    await read(alice.accountId, dentist.access, 400, { from: period.from });
    await read(alice.accountId, undefined, 401);

    await call(app, { op: 'revokeCareConsent', params: consent, status: 401 });
    await call(app, { op: 'revokeCareConsent', params: { providerAccountId: '1234' }, token: alice.access, status: 400 });
    await call(app, { op: 'revokeCareConsent', params: consent, token: alice.access, status: 204 });
    await call(app, { op: 'revokeCareConsent', params: consent, token: alice.access, status: 404 });
    expect((await read(alice.accountId, dentist.access, 403)).body.code).toBe('consent-required');
  });

  it('moves and reads the virtual clock, never backwards, and digests the state', async () => {
    const before = await call(app, { op: 'getTestbedClock', status: 200 });
    const after = await call(app, { op: 'setTestbedClock', json: { advanceMs: 60_000 }, status: 200 });
    expect(after.body.epochMs).toBe(before.body.epochMs + 60_000);
    await call(app, { op: 'setTestbedClock', json: { epochMs: after.body.epochMs + 1000 }, status: 200 });
    expect((await call(app, { op: 'setTestbedClock', json: { epochMs: before.body.epochMs }, status: 409 })).body.code).toBe('clock-backwards');
    await call(app, { op: 'setTestbedClock', json: {}, status: 400 });
    await call(app, { op: 'setTestbedClock', json: { epochMs: 1, advanceMs: 1 }, status: 400 });
    const d1 = await call(app, { op: 'getTestbedDigest', status: 200 });
    await call(app, { op: 'signUp', json: { email: alice.email, password: alice.password, displayName: 'dup' }, status: 409 });
    expect((await call(app, { op: 'getTestbedDigest', status: 200 })).body.digest).toBe(d1.body.digest);
  });

  it('releases firmware, rolls it out, offers it, takes signed reports, and runs the health monitor (OTA)', async () => {
    const d2 = devices[1]!; // adult-brush, 1.2.3, bonded to alice
    const body = releaseBody({ productLine: 'adult-brush', version: '1.3.0', antiRollbackCounter: 2 });
    const rel = await call(app, { op: 'createFirmwareRelease', factory: true, json: body, status: 201 });
    ota.releaseId = rel.body.releaseId;
    expect((await call(app, { op: 'createFirmwareRelease', factory: true, json: body, status: 409 })).body.code).toBe('release-exists');
    const rogue = releaseBody({ productLine: 'adult-brush', version: '1.4.0' }, ROGUE_RELEASE_KEY);
    expect((await call(app, { op: 'createFirmwareRelease', factory: true, json: rogue, status: 422 })).body.code).toBe('release-signature-invalid');
    await call(app, { op: 'createFirmwareRelease', factory: true, json: { ...body, signature: undefined }, status: 400 });
    await call(app, { op: 'createFirmwareRelease', json: body, status: 401 });
    await call(app, { op: 'createFirmwareRelease', token: alice.access, json: body, status: 403 });

    const relParams = { releaseId: ota.releaseId };
    expect((await call(app, { op: 'getFirmwareRelease', params: relParams, factory: true, status: 200 })).body).toMatchObject({ version: '1.3.0', antiRollbackCounter: 2 });
    await call(app, { op: 'getFirmwareRelease', params: { releaseId: '00000000-0000-4000-8000-000000000000' }, factory: true, status: 404 });
    await call(app, { op: 'getFirmwareRelease', params: { releaseId: 'not-a-uuid' }, factory: true, status: 400 });
    await call(app, { op: 'getFirmwareRelease', params: relParams, status: 401 });
    await call(app, { op: 'getFirmwareRelease', params: relParams, token: alice.access, status: 403 });

    const spec = { releaseId: ota.releaseId, policy: 'health-gate', stages: [{ percent: 100, soakSeconds: 3600 }], gate: { minSample: 1 } };
    const rollout = await call(app, { op: 'createRollout', factory: true, json: spec, status: 201 });
    ota.rolloutId = rollout.body.rolloutId;
    expect(rollout.body).toMatchObject({ state: 'active', stageIndex: 0, policy: 'health-gate', halt: null });
    expect((await call(app, { op: 'createRollout', factory: true, json: spec, status: 409 })).body.code).toBe('rollout-active');
    await call(app, { op: 'createRollout', factory: true, json: { ...spec, releaseId: '00000000-0000-4000-8000-000000000000' }, status: 404 });
    await call(app, { op: 'createRollout', factory: true, json: { ...spec, policy: 'yolo' }, status: 400 });
    await call(app, { op: 'createRollout', json: spec, status: 401 });
    await call(app, { op: 'createRollout', token: alice.access, json: spec, status: 403 });

    const rParams = { rolloutId: ota.rolloutId };
    await call(app, { op: 'getRollout', params: rParams, factory: true, status: 200 });
    await call(app, { op: 'getRollout', params: { rolloutId: '00000000-0000-4000-8000-000000000000' }, factory: true, status: 404 });
    await call(app, { op: 'getRollout', params: { rolloutId: 'x' }, factory: true, status: 400 });
    await call(app, { op: 'getRollout', params: rParams, status: 401 });
    await call(app, { op: 'getRollout', params: rParams, token: alice.access, status: 403 });

    const offer = await call(app, { op: 'checkOtaOffer', params: { deviceId: d2.deviceId }, token: alice.access, status: 200 });
    expect(offer.body).toMatchObject({ deviceId: d2.deviceId, reason: null, offer: { rolloutId: ota.rolloutId, version: '1.3.0', signature: body.signature } });
    await call(app, { op: 'checkOtaOffer', params: { deviceId: d2.deviceId }, token: bob.access, status: 404 });
    await call(app, { op: 'checkOtaOffer', params: { deviceId: 'x' }, token: alice.access, status: 400 });

    const nowS = Math.floor((await call(app, { op: 'getTestbedClock', status: 200 })).body.epochMs / 1000);
    const report = (seq: number, signer: Device) => {
      const bytes = encodeOtaReport({
        formatVersion: 1, state: 'downloaded', deviceId: d2.deviceId, seq, rolloutId: ota.rolloutId,
        targetVersion: packFirmwareVersion('1.3.0'), runningVersion: packFirmwareVersion('1.2.3'), bootCount: 0, deviceTime: nowS, detail: 'none',
      });
      return Buffer.from(packSignedOtaReport(bytes, Buffer.from(signer.sign(otaReportSigningBytes(bytes)), 'base64url'))).toString('base64url');
    };
    const relay = (reports: string[], status: number) => call(app, { op: 'relayOtaReports', token: alice.access, json: { reports }, status });
    expect((await relay([report(1, d2)], 200)).body.counts).toEqual({ stored: 1, duplicate: 0, rejected: 0 });
    const forged = await relay([report(2, stranger)], 422);
    expect(forged.body).toMatchObject({ code: 'ota-report-rejected', counts: { stored: 0, duplicate: 0, rejected: 1 } });
    expect((await relay(['not-a-report'], 400)).body.field).toBe('reports[0]');

    const job = await call(app, { op: 'runTestbedJob', params: { name: 'ota-health-monitor' }, status: 200 });
    expect(job.body.result.rollouts).toEqual([expect.objectContaining({ rolloutId: ota.rolloutId, evaluation: expect.objectContaining({ decision: 'hold' }) })]);
    await call(app, { op: 'runTestbedJob', params: { name: 'no-such-job' }, status: 404 });
    await call(app, { op: 'runTestbedJob', params: { name: 'Not_A_Name' }, status: 400 });

    const halted = await call(app, { op: 'actOnRollout', params: rParams, factory: true, json: { action: 'halt', reason: 'conformance' }, status: 200 });
    expect(halted.body).toMatchObject({ state: 'halted', halt: { reason: 'manual', by: 'operator', detail: 'conformance' } });
    expect((await call(app, { op: 'actOnRollout', params: rParams, factory: true, json: { action: 'halt' }, status: 409 })).body.code).toBe('rollout-state-conflict');
    expect((await call(app, { op: 'checkOtaOffer', params: { deviceId: d2.deviceId }, token: alice.access, status: 200 })).body).toEqual({ deviceId: d2.deviceId, offer: null, reason: 'rollout-halted' });
    await call(app, { op: 'actOnRollout', params: { rolloutId: '00000000-0000-4000-8000-000000000000' }, factory: true, json: { action: 'cancel' }, status: 404 });
    await call(app, { op: 'actOnRollout', params: rParams, factory: true, json: { action: 'explode' }, status: 400 });
    await call(app, { op: 'actOnRollout', params: rParams, json: { action: 'cancel' }, status: 401 });
    await call(app, { op: 'actOnRollout', params: rParams, token: alice.access, json: { action: 'cancel' }, status: 403 });
    expect((await call(app, { op: 'actOnRollout', params: rParams, factory: true, json: { action: 'cancel' }, status: 200 })).body.state).toBe('cancelled');
  });

  it('revokes tokens (RFC 7009), with an empty 200 even for an unknown token', async () => {
    const signIn = await call(app, { op: 'issueToken', json: { grant_type: 'password', client_id: CLIENT, username: bob.email, password: bob.password }, status: 200 });
    await call(app, { op: 'revokeToken', ...form({ token: signIn.body.access_token }), status: 200 });
    await call(app, { op: 'listDevices', token: signIn.body.access_token, status: 401 });
    await call(app, { op: 'revokeToken', json: { token: signIn.body.refresh_token, token_type_hint: 'refresh_token' }, status: 200 });
    await call(app, { op: 'issueToken', ...form({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: signIn.body.refresh_token }), status: 400 });
    await call(app, { op: 'revokeToken', json: { token: 'rt_unknown' }, status: 200 });
    expect((await call(app, { op: 'revokeToken', json: {}, status: 400 })).body.error).toBe('invalid_request');
    await call(app, { op: 'listDevices', token: bob.access, status: 200 });
  });

  // ---------------------------------------------------------------- legacy v1 lines and their migration

  it('legacy v1: every line takes an upload in its own encoding and auth and reads it back; refuses a missing User-Agent, an unreadable, oversized or mistyped body, a bad since and a wrong credential, writing nothing', async () => {
    const digest = async () => (await call(app, { op: 'getTestbedDigest', status: 200 })).body.digest as string;
    // The old system's users, one a line; a refused request creates none.
    const users: LegacyUser[] = DIALECTS.map((d) => ({ line: d.line, userId: userIdFor(d, 1), secret: `conformance-${d.line}` }));
    const before = await digest();
    for (const bad of [
      { users: [{ line: 'no-such-line', userId: 'x', secret: 'y' }] }, // not a line of the catalogue
      { users: [users[0], users[0]] }, // the same user twice
      { users: [] },
      { users: [{ ...users[0], secret: '' }] },
      { users: [{ ...users[0], role: 'admin' }] },
    ]) {
      expect((await call(app, { op: 'addLegacyUsers', json: bad, status: 400 })).body.code).toBe('validation-failed');
    }
    expect(await digest(), 'a refused addLegacyUsers changed the state').toBe(before);
    await call(app, { op: 'addLegacyUsers', json: { users: users.map((u) => ({ ...u, secret: 'an-older-secret' })) }, status: 204 });
    // A user id the line already has gets the new secret.
    await call(app, { op: 'addLegacyUsers', json: { users }, status: 204 });
    for (const u of users) legacyUsers.set(u.line, u);

    for (const [i, d] of DIALECTS.entries()) {
      const { upload, read } = v1Ops(d);
      const u = legacyUsers.get(d.line)!;
      const serial = `LG-${i}`;
      const ids = [0, 1, 2].map((n) => `r-${serial}-${n}`);
      const body = legacyUpload(d, serial, 3);
      const stored = await call(app, { op: upload, ...legacyCredentials(d, { userAgent: true }), ...body, status: 200 });
      expect(stored.body, d.line).toEqual({ results: ids.map((id) => ({ recordId: id, rowKey: legacyRowKey(d.line, u.userId, id), status: 'stored' })), v2: 'not-applicable' });
      const again = await call(app, { op: upload, ...legacyCredentials(d, { userAgent: true }), ...body, status: 200 });
      expect(again.body.results.map((r: { status: string }) => r.status), d.line).toEqual(['duplicate', 'duplicate', 'duplicate']);
      const mine = async (query: Record<string, string> = {}) => {
        const c = legacyCredentials(d);
        return (await call(app, { op: read, ...c, query: { ...c.query, ...query }, status: 200 })).body;
      };
      const back = await mine();
      expect(back.source, d.line).toBe('legacy');
      expect(back.sessions.map((s: { recordId: string }) => s.recordId), d.line).toEqual(ids);
      expect(back.sessions.every((s: { deviceSerial: string }) => s.deviceSerial === serial), d.line).toBe(true);
      const since = truth(d.revisions[0]!, 1, serial).startedAt;
      expect((await mine({ since: String(since) })).sessions.map((s: { recordId: string }) => s.recordId), d.line).toEqual(ids.slice(1));

      const nothing = await digest();
      const refuse = async (c: Omit<Call, 'op'>, code: string) => {
        const r = await call(app, { op: c.raw === undefined && c.json === undefined ? read : upload, ...c });
        expect(r.body.code, `${d.line} ${c.status}`).toBe(code);
        return r.body;
      };
      const fresh = legacyUpload(d, `${serial}-refused`, 2);
      // 400: no User-Agent, another app's, an unreadable body, more than 1000 records; a bad since.
      expect((await refuse({ ...legacyCredentials(d), ...fresh, status: 400 }, 'validation-failed')).field).toBe('User-Agent');
      const other = legacyCredentials(d);
      expect((await refuse({ ...other, headers: { ...other.headers, 'user-agent': `Other/${d.revisions[0]!.appBuild}` }, ...fresh, status: 400 }, 'validation-failed')).field).toBe('User-Agent');
      const unreadable = d.encoding === 'json' ? JSON.stringify({ wrongKey: [] }) : d.encoding === 'form' ? 'notindexed=1' : 'no-equals-sign';
      expect((await refuse({ ...legacyCredentials(d, { userAgent: true }), raw: unreadable, contentType: fresh.contentType, status: 400 }, 'validation-failed')).field).toBe('body');
      const many = encodeBody(d, records(d, d.revisions[0]!, `${serial}-many`, 0, 1001));
      expect((await refuse({ ...legacyCredentials(d, { userAgent: true }), raw: many.body, contentType: many.contentType, status: 400 }, 'validation-failed')).detail).toMatch(/at most 1000 records/i);
      if (d.encoding === 'json') {
        // A lone UTF-16 surrogate (an escape JSON can spell, no character PostgreSQL can store).
        const lone = { [d.batchKey]: [{ ...records(d, d.revisions[0]!, `${serial}-lone`, 0, 1)[0]!, note: '\ud800' }] };
        expect((await refuse({ ...legacyCredentials(d, { userAgent: true }), raw: JSON.stringify(lone), contentType: fresh.contentType, status: 400 }, 'validation-failed')).field).toBe('body');
      }
      for (const bad of ['soon', '-1', '1.5']) {
        const c = legacyCredentials(d);
        await refuse({ ...c, query: { ...c.query, since: bad }, status: 400 }, 'validation-failed');
      }
      // 401: no credential, a wrong secret, an unknown user (on both routes; Basic lines with the challenge, which call() checks).
      const stranger = credentials(d, { userId: userIdFor(d, 999), secret: u.secret });
      for (const creds of [{ headers: {}, query: {} }, credentials(d, { userId: u.userId, secret: 'not-the-secret' }), stranger]) {
        await refuse({ ...creds, headers: { ...creds.headers, ...userAgentOf(d) }, ...fresh, status: 401 }, 'legacy-unauthenticated');
        await refuse({ ...creds, status: 401 }, 'legacy-unauthenticated');
      }
      // 413: too large in the line's own media type; 415: the right records in another media type.
      const padding = 'x'.repeat(1024 * 1024 + 1);
      await refuse({ ...legacyCredentials(d, { userAgent: true }), raw: d.encoding === 'form' ? `padding=${padding}` : padding, contentType: fresh.contentType, status: 413 }, 'payload-too-large');
      const otherType = d.encoding === 'json' ? 'text/plain' : 'application/json';
      expect((await refuse({ ...legacyCredentials(d, { userAgent: true }), raw: fresh.raw, contentType: otherType, status: 415 }, 'unsupported-media-type')).field).toBe('Content-Type');
      expect(await digest(), `${d.line}: a refused v1 request changed the state`).toBe(nothing);
      expect((await mine()).sessions.map((s: { recordId: string }) => s.recordId), d.line).toEqual(ids);
    }
  });

  it('legacy migration (operator routes, the factory credential): status, one step forward, the cutover gate, the mapping, a deployed revision, the dual-write fault and its repair, a reconciled night', async () => {
    const digest = async () => (await call(app, { op: 'getTestbedDigest', status: 200 })).body.digest as string;
    const d = DIALECTS[0]!; // legacy.line; DIALECTS[1] is the media-type sweep's, the others the retirement step's
    const line = { line: d.line };
    const op = (name: string, c: Omit<Call, 'op'>) => call(app, { op: name, factory: true, ...c });
    const status = async () => (await op('getLegacyLine', { params: line, status: 200 })).body;
    const { upload, read } = v1Ops(d);
    const uploadNew = async (serial: string, n: number) => (await call(app, { op: upload, ...legacyCredentials(d, { userAgent: true }), ...legacyUpload(d, serial, n), status: 200 })).body;
    const sessions = async () => (await call(app, { op: read, ...legacyCredentials(d), status: 200 })).body;
    const noLine = { line: 'no-such-line' };
    const badLine = { line: 'Not_A_Line' };

    // Every operator route: 401 without the factory credential or with a wrong one, 403 for a phone's token (a credential of the wrong kind).
    let before = await digest();
    const operatorRoutes = operations().filter((o) => o.path.startsWith('/v2/legacy/'));
    expect(operatorRoutes.length).toBe(7);
    for (const o of operatorRoutes) {
      const base = { op: o.operationId, params: { ...line, night: '2026-01-01' }, ...(LINE_BODIES[o.operationId] ? { json: LINE_BODIES[o.operationId]!(d) } : {}) };
      expect((await call(app, { ...base, status: 401 })).body.code, o.operationId).toBe('factory-credential-required');
      expect((await call(app, { ...base, factory: 'wrong-secret-wrong-secret', status: 401 })).body.code, o.operationId).toBe('factory-credential-required');
      expect((await call(app, { ...base, token: bob.access, status: 403 })).body.code, o.operationId).toBe('forbidden');
    }
    expect(await digest(), 'a refused operator request changed the state').toBe(before);

    // Status: every line of the catalogue, legacy-only, with the step before's rows and traffic.
    const all = (await op('listLegacyLines', { status: 200 })).body.lines as Array<{ line: string; state: string; rows: { legacy: number }; traffic: { requests: number; refused: number; deprecatedRequests: number } }>;
    expect(all.map((l) => l.line)).toEqual(DIALECTS.map((x) => x.line));
    for (const [i, l] of all.entries()) {
      expect(l, l.line).toMatchObject({ state: 'legacy-only', rows: { legacy: 3, v2: 0, pendingV2: 0 } });
      expect(l.traffic.refused, l.line).toBeGreaterThan(0);
      expect(l.traffic.deprecatedRequests > 0, l.line).toBe(DIALECTS[i]!.deprecated);
    }
    expect(await status()).toMatchObject({ line: d.line, state: 'legacy-only', requiredCleanNights: 30, cleanNights: 0, lastReconciledNight: null, mappingRevision: null, dialectRevision: 0 });
    expect((await op('getLegacyLine', { params: badLine, status: 400 })).body.code).toBe('validation-failed');
    expect((await op('getLegacyLine', { params: noLine, status: 404 })).body.code).toBe('not-found');

    // One step forward only: refusals first, nothing written.
    before = await digest();
    for (const skip of ['reads-cut-over', 'v2-only', 'legacy-only']) {
      expect((await op('setLegacyLineState', { params: line, json: { state: skip }, status: 409 })).body.code, skip).toBe('migration-state-invalid');
    }
    for (const bad of [{ state: 'retired' }, {}, { state: 'dual-write', force: true }]) await op('setLegacyLineState', { params: line, json: bad, status: 400 });
    await op('setLegacyLineState', { params: badLine, json: { state: 'dual-write' }, status: 400 });
    await op('setLegacyLineState', { params: noLine, json: { state: 'dual-write' }, status: 404 });
    expect(await digest(), 'a refused state change changed the state').toBe(before);
    // legacy-only → dual-write backfills every legacy row into v2.
    expect((await op('setLegacyLineState', { params: line, json: { state: 'dual-write' }, status: 200 })).body).toMatchObject({ state: 'dual-write', mappingRevision: 0, rows: { legacy: 3, v2: 3, pendingV2: 0 } });
    expect((await op('setLegacyLineState', { params: line, json: { state: 'dual-write' }, status: 409 })).body.code).toBe('migration-state-invalid');
    expect(await uploadNew('LG-0-dual', 2)).toMatchObject({ v2: 'written' });
    expect((await status()).rows).toEqual({ legacy: 5, v2: 5, pendingV2: 0 });
    // The default gate (30 clean nights) is closed.
    const closed = await op('setLegacyLineState', { params: line, json: { state: 'reads-cut-over' }, status: 409 });
    expect(closed.body.code).toBe('cutover-gate-closed');
    expect(closed.body.detail).toContain('0 of 30 consecutive clean nights, last reconciled never');

    // The gate's size.
    before = await digest();
    for (const bad of [{ requiredCleanNights: 0 }, { requiredCleanNights: 366 }, { requiredCleanNights: '1' }, {}]) await op('setLegacyLineGate', { params: line, json: bad, status: 400 });
    await op('setLegacyLineGate', { params: badLine, json: { requiredCleanNights: 1 }, status: 400 });
    await op('setLegacyLineGate', { params: noLine, json: { requiredCleanNights: 1 }, status: 404 });
    expect(await digest(), 'a refused gate changed the state').toBe(before);
    expect((await op('setLegacyLineGate', { params: line, json: { requiredCleanNights: 1 }, status: 200 })).body).toMatchObject({ requiredCleanNights: 1, cleanNights: 0 });
    expect((await op('setLegacyLineState', { params: line, json: { state: 'reads-cut-over' }, status: 409 })).body.detail).toContain('0 of 1 consecutive clean nights');

    // The mapping: validated (400 naming the problem), 404 for no line; the same mapping re-derives every v2 row and is not a change.
    const rev0 = d.revisions[0]!;
    before = await digest();
    const problem = await op('setLegacyLineMapping', { params: line, json: { revisions: [{ ...rev0, revision: 1 }] }, status: 400 });
    expect(problem.body).toMatchObject({ code: 'validation-failed', field: 'revisions' });
    expect(problem.body.detail).toMatch(/revisions\[0\]\.revision: must be 0/);
    expect((await op('setLegacyLineMapping', { params: line, json: { revisions: [{ ...rev0, fields: { ...rev0.fields, recordId: { name: 'other' } } }] }, status: 400 })).body.detail).toMatch(/recordId\.name: must be id/);
    await op('setLegacyLineMapping', { params: line, json: { revisions: [] }, status: 400 });
    const lone = { ...rev0.fields, mode: { ...rev0.fields.mode, values: { ...rev0.fields.mode.values, '\ud800': 'daily' } } }; // a lone surrogate as a raw value
    expect((await op('setLegacyLineMapping', { params: line, json: { revisions: [{ ...rev0, fields: lone }] }, status: 400 })).body.field).toBe('revisions');
    await op('setLegacyLineMapping', { params: badLine, json: { revisions: d.revisions }, status: 400 });
    await op('setLegacyLineMapping', { params: noLine, json: { revisions: d.revisions }, status: 404 });
    expect(await digest(), 'a refused mapping changed the state').toBe(before);
    expect((await op('setLegacyLineMapping', { params: line, json: { revisions: d.revisions }, status: 200 })).body).toEqual({ line: d.line, mappingRevision: 0, mappingChanges: 0, remapped: 5 });

    // A customization deployed to the old API (testbed): its next revision only; records of older builds stay under revision 0.
    before = await digest();
    await call(app, { op: 'deployLegacyRevision', params: line, json: nextRevision(d, 1), status: 400 }); // revision 2 while 0 is deployed
    expect((await call(app, { op: 'deployLegacyRevision', params: line, json: { ...nextRevision(d, 0), appBuild: rev0.appBuild }, status: 400 })).body.field).toBe('appBuild');
    await call(app, { op: 'deployLegacyRevision', params: line, json: { revision: 1 }, status: 400 });
    expect((await call(app, { op: 'deployLegacyRevision', params: line, json: { ...nextRevision(d, 0), fields: lone }, status: 400 })).body.field).toBe('fields');
    await call(app, { op: 'deployLegacyRevision', params: badLine, json: nextRevision(d, 0), status: 400 });
    await call(app, { op: 'deployLegacyRevision', params: noLine, json: nextRevision(d, 0), status: 404 });
    expect(await digest(), 'a refused deploy changed the state').toBe(before);
    expect((await call(app, { op: 'deployLegacyRevision', params: line, json: nextRevision(d, 0), status: 200 })).body).toMatchObject({ line: d.line, dialectRevision: 1, mappingRevision: 0 });
    expect((await call(app, { op: 'deployLegacyRevision', params: line, json: nextRevision(d, 0), status: 400 })).body.field).toBe('revision');

    // The dual-write fault: the legacy store commits, the v2 write is owed (pending) until legacy-repair writes it.
    before = await digest();
    for (const bad of [{ v2WriteFailurePerMille: 1001 }, { v2WriteFailurePerMille: -1 }, { v2WriteFailurePerMille: 0.5 }, {}]) await call(app, { op: 'setLegacyFaults', json: bad, status: 400 });
    expect(await digest(), 'a refused fault changed the state').toBe(before);
    expect((await call(app, { op: 'setLegacyFaults', json: { v2WriteFailurePerMille: 1000 }, status: 200 })).body).toEqual({ v2WriteFailurePerMille: 1000 });
    expect(await uploadNew('LG-0-fault', 2)).toMatchObject({ v2: 'pending' });
    expect((await status()).rows).toEqual({ legacy: 7, v2: 5, pendingV2: 2 });
    expect((await sessions()).sessions).toHaveLength(7); // nothing lost: the legacy store serves them
    expect((await call(app, { op: 'runTestbedJob', params: { name: 'legacy-repair' }, status: 200 })).body.result).toEqual({ repaired: 2, pending: 0 });
    expect((await call(app, { op: 'setLegacyFaults', json: { v2WriteFailurePerMille: 0 }, status: 200 })).body).toEqual({ v2WriteFailurePerMille: 0 });
    expect((await status()).rows).toEqual({ legacy: 7, v2: 7, pendingV2: 0 });

    // A reconciled night: clean, one clean night, which opens the gate of 1.
    const job = await call(app, { op: 'runTestbedJob', params: { name: 'legacy-reconcile' }, status: 200 });
    expect(job.body.result.lines).toEqual([expect.objectContaining({ line: d.line, rowsCompared: 7, clean: true, cleanNights: 1, divergences: { 'missing-in-v2': 0, 'missing-in-legacy': 0, 'field-differs': 0, 'unmapped-field': 0 } })]);
    legacy.night = job.body.result.lines[0].night;
    const list = await op('listLegacyReconciliations', { params: line, status: 200 });
    expect(list.body.reports.map((r: { night: string; clean: boolean }) => [r.night, r.clean])).toEqual([[legacy.night, true]]);
    await op('listLegacyReconciliations', { params: badLine, status: 400 });
    await op('listLegacyReconciliations', { params: noLine, status: 404 });
    expect((await op('getLegacyReconciliation', { params: legacy, status: 200 })).body).toMatchObject({ line: d.line, night: legacy.night, clean: true, rows: [] });
    for (const night of ['2026-02-30', '0000-01-01', 'tonight']) expect((await op('getLegacyReconciliation', { params: { ...line, night }, status: 400 })).body.code, night).toBe('validation-failed');
    await op('getLegacyReconciliation', { params: { ...badLine, night: legacy.night }, status: 400 });
    expect((await op('getLegacyReconciliation', { params: { ...line, night: '2000-01-01' }, status: 404 })).body.field).toBe('night');
    await op('getLegacyReconciliation', { params: { ...noLine, night: legacy.night }, status: 404 });
    const legacyView = await sessions();
    expect((await op('setLegacyLineState', { params: line, json: { state: 'reads-cut-over' }, status: 200 })).body).toMatchObject({ state: 'reads-cut-over', cleanNights: 1, lastReconciledNight: legacy.night });
    // Reads now come from v2, the same sessions.
    expect(await sessions()).toEqual({ source: 'v2', sessions: legacyView.sessions });
  });

  it('refuses unreadable bodies on every route that documents it: malformed JSON, too large, unknown type', async () => {
    const codes = (o: DocumentedOperation, status: number) =>
      (documentedResponse(o, status)?.content?.['application/problem+json']?.schema as { properties?: { code?: { enum?: string[] } } } | undefined)?.properties?.code?.enum ?? [];
    let tried = 0;
    for (const o of operations()) {
      const base = { op: o.operationId, ...reaching(o), ...auth(o) };
      if (codes(o, 400).includes('malformed-json')) {
        expect((await call(app, { ...base, raw: '{"truncated": ', contentType: 'application/json', status: 400 })).body.code).toBe('malformed-json');
        tried++;
      }
      if (codes(o, 413).includes('payload-too-large')) {
        // Too large in the route's own media type (any other is a 415 before the body is read).
        const type = Object.keys(PATHS[o.path]![o.method.toLowerCase() as 'post']!.requestBody!.content)[0]!;
        const padding = 'x'.repeat(1024 * 1024 + 1);
        const big = type === 'application/json' ? { json: { padding } } : { raw: type === 'application/x-www-form-urlencoded' ? `padding=${padding}` : padding, contentType: type };
        await call(app, { ...base, ...big, status: 413 });
        tried++;
      }
      if (codes(o, 415).includes('unsupported-media-type')) {
        await call(app, { ...base, raw: '<devices/>', contentType: 'application/xml', status: 415 });
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(20);
  });

  // Issue #18: POST /v2/accounts took an HTML form. Every route takes exactly the request media types its
  // requestBody lists (reference-api/src/media-types.ts reads them from contract/openapi.ts).
  it('takes exactly the documented request media types on every route with a body: any other is refused and writes nothing, the listed ones work', async () => {
    const digest = async () => (await call(app, { op: 'getTestbedDigest', status: 200 })).body.digest as string;
    const nowS = Math.floor((await call(app, { op: 'getTestbedClock', status: 200 })).body.epochMs / 1000);
    const d3 = devices[2]!; // provisioned, never bonded
    const d2 = devices[1]!; // bonded to alice, in the OTA rollout of the OTA step
    const fresh = await makeDevice(7301);
    const freshBulk = await makeDevice(7302);
    let newRelease = '';
    let newRollout = '';
    // A valid request per operation with a body, in its first documented media type (built when its turn comes).
    const valid: Record<string, () => Promise<Omit<Call, 'op'>>> = {
      signUp: async () => ({ json: { email: 'media@example.test', password: 'a long enough password', displayName: 'Media' }, status: 201 }),
      issueToken: async () => ({ ...form({ grant_type: 'password', client_id: CLIENT, username: alice.email, password: alice.password }), status: 200 }),
      revokeToken: async () => ({ ...form({ token: 'rt_unknown' }), status: 200 }),
      provisionDevices: async () => ({ factory: true, json: { devices: [fresh.registration] }, status: 201 }),
      provisionDevicesBulk: async () => ({ factory: true, raw: `${JSON.stringify(freshBulk.registration)}\n`, contentType: 'application/x-ndjson', status: 201 }),
      bondDevice: async () => {
        const c = (await call(app, { op: 'createBondChallenge', params: { deviceId: d3.deviceId }, token: alice.access, status: 201 })).body.challenge;
        return { params: { deviceId: d3.deviceId }, token: alice.access, json: proof(d3, alice.accountId, c, 1), status: 200 };
      },
      uploadRecords: async () => ({ token: alice.access, headers: { 'idempotency-key': 'media-types-0001' }, json: { records: [signedRecord(d2, 40, nowS - 600)] }, status: 200 }),
      registerCareProvider: async () => ({ factory: true, json: { email: 'media-dentist@example.test', password: 'a dentist password', displayName: 'Dr Media' }, status: 201 }),
      createFirmwareRelease: async () => ({ factory: true, json: releaseBody({ productLine: 'kids-brush', version: '2.0.0' }), status: 201 }),
      createRollout: async () => ({ factory: true, json: { releaseId: newRelease, policy: 'health-gate', stages: [{ percent: 100, soakSeconds: 3600 }] }, status: 201 }),
      actOnRollout: async () => ({ params: { rolloutId: newRollout }, factory: true, json: { action: 'halt', reason: 'media types' }, status: 200 }),
      relayOtaReports: async () => {
        const bytes = encodeOtaReport({
          formatVersion: 1, state: 'downloaded', deviceId: d2.deviceId, seq: 3, rolloutId: ota.rolloutId,
          targetVersion: packFirmwareVersion('1.3.0'), runningVersion: packFirmwareVersion('1.2.3'), bootCount: 0, deviceTime: nowS, detail: 'none',
        });
        const report = Buffer.from(packSignedOtaReport(bytes, Buffer.from(d2.sign(otaReportSigningBytes(bytes)), 'base64url'))).toString('base64url');
        return { token: alice.access, json: { reports: [report] }, status: 200 };
      },
      setTestbedClock: async () => ({ json: { advanceMs: 1000 }, status: 200 }),
      // The legacy lines: one upload per line, generated from its dialect; the operator and testbed routes on a line
      // the legacy step left alone (its second), which moves to dual-write here.
      ...Object.fromEntries(
        DIALECTS.map((d) => [v1Ops(d).upload, async (): Promise<Omit<Call, 'op'>> => ({ ...legacyCredentials(d, { userAgent: true }), ...legacyUpload(d, `MT-${d.line}`, 2), status: 200 })]),
      ),
      ...Object.fromEntries(
        Object.entries(LINE_BODIES).map(([op, body]) => [
          op,
          async (): Promise<Omit<Call, 'op'>> => ({ params: { line: DIALECTS[1]!.line }, ...(OPS.get(op)!.testModeOnly ? {} : { factory: true }), json: body(DIALECTS[1]!), status: 200 }),
        ]),
      ),
      addLegacyUsers: async () => ({ json: { users: [{ line: DIALECTS[1]!.line, userId: userIdFor(DIALECTS[1]!, 900), secret: 'media-types' }] }, status: 204 }),
      setLegacyFaults: async () => ({ json: { v2WriteFailurePerMille: 0 }, status: 200 }),
    };
    /** The same request content spelled in another media type (what a confused or hostile client sends). */
    const spelled = (type: string, body: unknown): string => {
      const flat = Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
      if (type === 'application/x-www-form-urlencoded') return new URLSearchParams(flat).toString();
      if (type.startsWith('multipart/form-data')) return flat.map(([k, v]) => `--b\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + '--b--\r\n';
      if (type === 'application/xml') return `<body>${flat.map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</body>`;
      return JSON.stringify(body); // application/json, text/plain, application/x-ndjson, application/problem+json
    };
    const CANDIDATES = ['application/json', 'application/x-www-form-urlencoded', 'application/x-ndjson', 'text/plain', 'multipart/form-data; boundary=b', 'application/xml', 'application/problem+json'];

    const withBody = operations().filter((o) => PATHS[o.path]![o.method.toLowerCase() as 'post']!.requestBody);
    expect(withBody.map((o) => o.operationId).sort()).toEqual(Object.keys(valid).sort());
    let refused = 0;
    for (const o of withBody) {
      const listed = Object.keys(PATHS[o.path]![o.method.toLowerCase() as 'post']!.requestBody!.content);
      const good = await valid[o.operationId]!();
      const content = good.json ?? (good.raw!.startsWith('{') ? JSON.parse(good.raw!) : Object.fromEntries(new URLSearchParams(good.raw!)));
      const oauth = o.path.startsWith('/v2/oauth/');
      for (const type of CANDIDATES.filter((t) => !listed.includes(t.split(';')[0]!))) {
        const before = await digest();
        const { json: _j, raw: _r, contentType: _c, status: _s, ...rest } = good;
        const r = await call(app, { op: o.operationId, ...rest, raw: spelled(type, content), contentType: type, status: oauth ? 400 : 415 });
        if (oauth) expect(r.body.error, `${o.operationId} as ${type}`).toBe('invalid_request');
        else expect(r.body, `${o.operationId} as ${type}`).toMatchObject({ code: 'unsupported-media-type', field: 'Content-Type' });
        if (!oauth) expect(r.body.detail, `${o.operationId} as ${type}`).toContain(listed.join(' or '));
        expect(await digest(), `${o.operationId} as ${type} changed the state`).toBe(before);
        refused++;
      }
      // The listed type(s) still work: the valid request, then (form and JSON routes) the other listed spelling.
      const ok = await call(app, { op: o.operationId, ...good });
      if (o.operationId === 'createFirmwareRelease') newRelease = ok.body.releaseId;
      if (o.operationId === 'createRollout') newRollout = ok.body.rolloutId;
      for (const type of listed.slice(1)) {
        const again = await valid[o.operationId]!();
        const { json: _j, raw: _r, contentType: _c, ...rest } = again;
        await call(app, { op: o.operationId, ...rest, raw: spelled(type, content), contentType: type });
      }
    }
    expect(refused).toBeGreaterThan(withBody.length * 4);

    // Issue #18 itself: the HTML form sign-up creates no account.
    const before = await digest();
    await call(app, { op: 'signUp', ...form({ email: 'form@example.test', password: 'a long enough password', displayName: 'Form' }), status: 415 });
    expect(await digest()).toBe(before);
    await call(app, { op: 'issueToken', ...form({ grant_type: 'password', client_id: CLIENT, username: 'form@example.test', password: 'a long enough password' }), status: 400 });
  });

  it('routes without a request body: a Content-Type header without a body is ignored, any body is refused (415) and writes nothing', async () => {
    const digest = async () => (await call(app, { op: 'getTestbedDigest', status: 200 })).body.digest as string;
    // What each answers Bob (or the factory, or anyone) with the sweep's parameters, as without the header.
    const answer: Record<string, number | number[]> = {
      getHealth: 200, getReadiness: 200, listDevices: 200, getDevice: 404, createBondChallenge: 201, unbondDevice: 404, listDeviceSessions: 404,
      grantCareConsent: 200, revokeCareConsent: [204, 404, 404], getPatientSessions: 403, getFirmwareRelease: 200, getRollout: 200, checkOtaOffer: 404,
      getTestbedClock: 200, getTestbedDigest: 200, runTestbedJob: 200,
      // The legacy lines (the caller is the line's user) and the operator's view of them (the legacy step's line and night).
      ...Object.fromEntries(DIALECTS.map((d) => [v1Ops(d).read, 200])),
      listLegacyLines: 200, getLegacyLine: 200, listLegacyReconciliations: 200, getLegacyReconciliation: 200,
    };
    const bodiless = operations().filter((o) => !PATHS[o.path]![o.method.toLowerCase() as 'get']!.requestBody);
    expect(bodiless.map((o) => o.operationId).sort()).toEqual(Object.keys(answer).sort());
    for (const o of bodiless) {
      const base = { op: o.operationId, ...reaching(o), ...auth(o) };
      for (const [i, type] of ['application/json', 'application/x-www-form-urlencoded', 'text/plain'].entries()) {
        const status = [answer[o.operationId]!].flat();
        await call(app, { ...base, headers: { ...base.headers, 'content-type': type }, status: status[i] ?? status[0]! });
      }
      for (const [type, body] of [['application/json', '{}'], ['application/x-www-form-urlencoded', 'a=1'], [undefined, 'x']] as const) {
        const before = await digest();
        const r = await call(app, { ...base, raw: body, ...(type ? { contentType: type } : {}), status: 415 });
        expect(r.body).toMatchObject({ code: 'unsupported-media-type', field: 'Content-Type' });
        expect(r.body.detail).toMatch(/takes no request body/);
        expect(await digest(), `${o.operationId} with a ${type ?? 'typeless'} body changed the state`).toBe(before);
      }
    }
  });

  it('refuses every phone route without a token', async () => {
    for (const o of operations().filter((x) => x.security.includes('phoneBearer'))) {
      const json = o.operationId === 'bondDevice' ? proof(devices[1]!, alice.accountId, 'A'.repeat(43), 9) : o.operationId === 'uploadRecords' ? { records: uploaded } : undefined;
      const r = await call(app, { op: o.operationId, ...reaching(o), json, status: 401 });
      expect(r.body.code).toBe('unauthenticated');
    }
  });

  describe('outside test mode', () => {
    let plain: TestApi;
    beforeAll(async () => {
      plain = await startTestApi(target.serverUrl!, { testMode: false });
    });
    afterAll(async () => plain?.close());

    it('(a) serves exactly the documented routes that are not test-mode only', () => {
      const documented = operations()
        .filter((o) => !o.testModeOnly)
        .map((o) => key(o.method, fastifyPath(o.path)))
        .sort();
      expect(servedRoutes(plain.app)).toEqual(documented);
    });

    it('(c) answers 404 route-not-found on every testbed hook', async () => {
      const problem = validatorFor({ $ref: '#/components/schemas/Problem' });
      const hooks = operations().filter((o) => o.testModeOnly);
      expect(hooks.length).toBeGreaterThan(0);
      for (const o of hooks) {
        const res = await plain.app.inject({ method: o.method, url: o.path, ...(o.method === 'PUT' ? { payload: { advanceMs: 1 } } : {}) });
        const where = `${o.method} ${o.path} → ${res.statusCode} ${res.body}`;
        expect(res.statusCode, where).toBe(404);
        expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
        expect(problem(res.json()), where).toBe(true);
        expect(res.json().code, where).toBe('route-not-found');
      }
    });

    it('answers readiness 503 when its database is gone', async () => {
      await call(plain.app, { op: 'getReadiness', status: 200 });
      await plain.db.drop();
      expect((await call(plain.app, { op: 'getReadiness', status: 503 })).body).toEqual({ status: 'unavailable' });
    });
  });

  // After the sweeps (which need every line live): retire every line and see both v1 routes answer 410.
  it('legacy lines retire: each walked to v2-only (dual-write, a clean reconciled night, reads-cut-over) answers 410 legacy-retired on both v1 routes, whoever asks, and its mapping no longer changes', async () => {
    const digest = async () => (await call(app, { op: 'getTestbedDigest', status: 200 })).body.digest as string;
    const op = (name: string, d: Dialect, c: Omit<Call, 'op'>) => call(app, { op: name, factory: true, params: { line: d.line }, ...c });
    for (const d of DIALECTS) {
      if ((await op('getLegacyLine', d, { status: 200 })).body.state === 'legacy-only') await op('setLegacyLineState', d, { json: { state: 'dual-write' }, status: 200 });
      await op('setLegacyLineGate', d, { json: { requiredCleanNights: 1 }, status: 200 });
    }
    const night = (await call(app, { op: 'runTestbedJob', params: { name: 'legacy-reconcile' }, status: 200 })).body.result.lines as Array<{ line: string; clean: boolean; cleanNights: number }>;
    expect(night.map((l) => l.line).sort()).toEqual(DIALECTS.map((d) => d.line).sort());
    for (const l of night) expect(l, l.line).toMatchObject({ clean: true, cleanNights: 1 });
    for (const d of DIALECTS) {
      const { upload, read } = v1Ops(d);
      if ((await op('getLegacyLine', d, { status: 200 })).body.state === 'dual-write') await op('setLegacyLineState', d, { json: { state: 'reads-cut-over' }, status: 200 });
      const gone = (await op('setLegacyLineState', d, { json: { state: 'v2-only' }, status: 200 })).body;
      expect(gone, d.line).toMatchObject({ state: 'v2-only', rows: { pendingV2: 0 } });
      expect(gone.rows.v2, d.line).toBe(gone.rows.legacy);
      expect(gone.retiredAt, d.line).not.toBeNull();
      const before = await digest();
      const body = legacyUpload(d, `RT-${d.line}`, 1);
      for (const c of [{ ...legacyCredentials(d, { userAgent: true }), ...body }, { headers: userAgentOf(d), ...body }, legacyCredentials(d), {}]) {
        const r = await call(app, { op: 'raw' in c ? upload : read, ...c, status: 410 });
        expect(r.body.code, d.line).toBe('legacy-retired');
      }
      expect((await op('setLegacyLineState', d, { json: { state: 'v2-only' }, status: 409 })).body.code, d.line).toBe('migration-state-invalid');
      expect((await op('setLegacyLineMapping', d, { json: { revisions: d.revisions }, status: 409 })).body.code, d.line).toBe('migration-state-invalid');
      expect(await digest(), `${d.line}: a request to the retired line changed the state`).toBe(before);
    }
  });

  // Last: every status the document promises was seen at least once above.
  it('(b) exercised every documented status of every operation', () => {
    const documented = operations().flatMap((o) => Object.keys(o.responses).map((s) => `${o.operationId} ${s}`));
    const missing = documented.filter((d) => !observed.has(d));
    expect(missing, 'documented but never answered in this suite: add a step for each to test/contract/conformance.test.ts').toEqual([]);
  });
});
