import { sign } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bondProofSigningBytes } from '../../contract/bond-proof.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../contract/record.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { deriveDeviceKey, type DeviceKey } from '../../simulators/device-keys.ts';
import { TEST_FACTORY_SECRET } from './api.ts';
import pg from 'pg';

/**
 * A small, real world for API tests: accounts with tokens, devices with real
 * Ed25519 keys (derived from a seed), bonded through the real button-press flow.
 */
export interface TestAccount {
  accountId: string;
  email: string;
  token: string;
  refreshToken: string;
}

export interface TestDevice {
  deviceId: number;
  key: DeviceKey;
  pressCounter: number;
}

let counter = 0;

export async function signUp(app: FastifyInstance, label = 'user'): Promise<TestAccount> {
  const email = `${label}-${process.pid}-${++counter}@example.test`;
  const password = 'correct horse battery staple';
  const res = await app.inject({ method: 'POST', url: '/v2/accounts', payload: { email, password, displayName: label } });
  if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`);
  const tok = await app.inject({ method: 'POST', url: '/v2/oauth/token', payload: { grant_type: 'password', client_id: 'fleetbed-phone', username: email, password } });
  if (tok.statusCode !== 200) throw new Error(`token failed: ${tok.statusCode} ${tok.body}`);
  return { accountId: res.json().accountId, email, token: tok.json().access_token, refreshToken: tok.json().refresh_token };
}

export async function provision(app: FastifyInstance, ids: number[], seed = 7): Promise<TestDevice[]> {
  const devices = ids.map((deviceId) => ({ deviceId, key: deriveDeviceKey(seed, deviceId), pressCounter: 0 }));
  const res = await app.inject({
    method: 'POST',
    url: '/v2/factory/devices',
    headers: { 'x-factory-credential': TEST_FACTORY_SECRET },
    payload: {
      devices: devices.map((d) => ({ deviceId: d.deviceId, serial: `SN-${d.deviceId}`, productLine: 'adult-brush', publicKey: d.key.publicKey.toString('base64url'), firmwareVersion: '1.0.0' })),
    },
  });
  if (res.statusCode !== 201) throw new Error(`provision failed: ${res.statusCode} ${res.body}`);
  return devices;
}

export async function bond(app: FastifyInstance, account: TestAccount, device: TestDevice): Promise<void> {
  const auth = { authorization: `Bearer ${account.token}` };
  const ch = await app.inject({ method: 'POST', url: `/v2/devices/${device.deviceId}/bond-challenge`, headers: auth });
  if (ch.statusCode !== 201) throw new Error(`challenge failed: ${ch.statusCode} ${ch.body}`);
  const challenge = Buffer.from(ch.json().challenge, 'base64url');
  device.pressCounter++;
  const proof = bondProofSigningBytes({ deviceId: device.deviceId, accountId: account.accountId, challenge, pressCounter: device.pressCounter, buttonPressed: true });
  const res = await app.inject({
    method: 'POST',
    url: `/v2/devices/${device.deviceId}/bond`,
    headers: auth,
    payload: { challenge: challenge.toString('base64url'), pressCounter: device.pressCounter, buttonPressed: true, signature: sign(null, proof, device.key.privateKey).toString('base64url') },
  });
  if (res.statusCode !== 200) throw new Error(`bond failed: ${res.statusCode} ${res.body}`);
}

/** A home: one account and `n` fresh devices bonded to it through the real button-press flow. */
export async function home(app: FastifyInstance, n: number, label = 'home'): Promise<{ account: TestAccount; devices: TestDevice[] }> {
  const account = await signUp(app, label);
  const devices = await provision(app, freshDeviceIds(n));
  for (const d of devices) await bond(app, account, d);
  return { account, devices };
}

export const T0 = 1767225600; // 2026-01-01T00:00:00Z, the virtual clock's start, in seconds

export function sessionRecord(deviceId: number, seq: number, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    formatVersion: 1,
    clockReset: false,
    headChanged: false,
    deviceId,
    seq,
    startedAt: T0 - 3600 + seq * 60,
    durationS: 120,
    zones: 0xff,
    pressureAlerts: 0,
    headId: 0x1000_0000_0001,
    firmwareVersion: packFirmwareVersion('1.0.0'),
    batteryPct: 80,
    ...over,
  };
}

/** base64url of record || signature, as a phone relays it. */
export function signedRecord(device: TestDevice, record: SessionRecord): string {
  const bytes = encodeSessionRecord(record);
  const sig = sign(null, sessionRecordSigningBytes(bytes), device.key.privateKey);
  return Buffer.from(packSignedRecord(bytes, sig)).toString('base64url');
}

export async function upload(app: FastifyInstance, account: TestAccount, records: string[], key = `upload-${++counter}-${process.pid}`) {
  return app.inject({ method: 'POST', url: '/v2/uploads', headers: { authorization: `Bearer ${account.token}`, 'idempotency-key': key }, payload: { records } });
}

// ---------------------------------------------------------------- ingestion helpers (appended for test/ingestion)

/** Run `suite` once per PostgreSQL target (the same helper the API tests use). */
export { describeEachDatabase as describeEachTarget } from './fixtures.ts';

/** Run `fn` on a direct connection to the test database (`api.db.url`). */
export async function withDb<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The tables an upload may write to. */
export const INGESTION_TABLES = Object.freeze(['sessions', 'events', 'consumables', 'idempotency_keys'] as const);

/** Row counts of `tables`, to prove that a request wrote nothing (or exactly what it should). */
export async function countRows(databaseUrl: string, tables: readonly string[] = INGESTION_TABLES): Promise<Record<string, number>> {
  return withDb(databaseUrl, async (c) => {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
    return out;
  });
}

let deviceIdCounter = 0;
/** `n` device ids not used before in this test file (distinct from the small ids tests pick by hand). */
export function freshDeviceIds(n: number): number[] {
  return Array.from({ length: n }, () => 500_000 + ++deviceIdCounter);
}

/** Sign `account` in again: a second phone (or the same phone after its token expired) of the same account. */
export async function signIn(app: FastifyInstance, account: TestAccount): Promise<TestAccount> {
  const tok = await app.inject({
    method: 'POST',
    url: '/v2/oauth/token',
    payload: { grant_type: 'password', client_id: 'fleetbed-phone', username: account.email, password: 'correct horse battery staple' },
  });
  if (tok.statusCode !== 200) throw new Error(`token for ${account.email} failed: ${tok.statusCode} ${tok.body}`);
  return { ...account, token: tok.json().access_token, refreshToken: tok.json().refresh_token };
}

/** Advance the virtual clock; returns the new platform time in seconds. */
export async function advanceClock(app: FastifyInstance, advanceMs: number): Promise<number> {
  const res = await app.inject({ method: 'PUT', url: '/testbed/clock', payload: { advanceMs } });
  if (res.statusCode !== 200) throw new Error(`advancing the clock failed: ${res.statusCode} ${res.body}`);
  return Math.floor(res.json().epochMs / 1000);
}

/** The virtual clock, in seconds. */
export async function clockSeconds(app: FastifyInstance): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/testbed/clock' });
  if (res.statusCode !== 200) throw new Error(`reading the clock failed: ${res.statusCode} ${res.body}`);
  return Math.floor(res.json().epochMs / 1000);
}

/** A signed record (base64url) with byte `index` of its packed bytes XOR-ed with `mask`: index >= 34 hits the signature. */
export function flipByte(signed: string, index: number, mask = 0x01): string {
  const bytes = Buffer.from(signed, 'base64url');
  if (index < 0 || index >= bytes.length) throw new RangeError(`index must be in 0..${bytes.length - 1}, got ${index}`);
  bytes[index]! ^= mask;
  return bytes.toString('base64url');
}

/** One page of GET /v2/devices/{deviceId}/sessions. */
export function listSessions(app: FastifyInstance, account: TestAccount, deviceId: number, query: { limit?: number; cursor?: string } = {}) {
  const qs = new URLSearchParams();
  if (query.limit !== undefined) qs.set('limit', String(query.limit));
  if (query.cursor !== undefined) qs.set('cursor', query.cursor);
  const q = qs.toString();
  return app.inject({ method: 'GET', url: `/v2/devices/${deviceId}/sessions${q ? `?${q}` : ''}`, headers: { authorization: `Bearer ${account.token}` } });
}

/** Register a care provider (operator-only, factory credential) and sign it in. */
export async function careProvider(app: FastifyInstance, label = 'dentist'): Promise<TestAccount> {
  const email = `${label}-${process.pid}-${++counter}@example.test`;
  const password = 'correct horse battery staple';
  const res = await app.inject({
    method: 'POST',
    url: '/v2/care-providers',
    headers: { 'x-factory-credential': TEST_FACTORY_SECRET },
    payload: { email, password, displayName: `Dr. ${label}` },
  });
  if (res.statusCode !== 201) throw new Error(`care-provider registration failed: ${res.statusCode} ${res.body}`);
  const tok = await app.inject({ method: 'POST', url: '/v2/oauth/token', payload: { grant_type: 'password', client_id: 'fleetbed-phone', username: email, password } });
  if (tok.statusCode !== 200) throw new Error(`token failed: ${tok.statusCode} ${tok.body}`);
  return { accountId: res.json().accountId, email, token: tok.json().access_token, refreshToken: tok.json().refresh_token };
}

let idempotencyKeyCounter = 0;
/** A fresh Idempotency-Key the API accepts (8–64 of A-Z a-z 0-9 - _). upload()'s default key can be shorter than 8 characters. */
export function newIdempotencyKey(label = 'upload'): string {
  return `${label}-${process.pid}-${++idempotencyKeyCounter}`.padEnd(8, '0');
}

/** upload() with a fresh, valid Idempotency-Key unless one is given. */
export function uploadBatch(app: FastifyInstance, account: TestAccount, records: string[], key: string = newIdempotencyKey()) {
  return upload(app, account, records, key);
}
