import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { describe } from 'vitest';
import { bondProofSigningBytes } from '../../contract/bond-proof.ts';
import { databaseTargets } from './databases.ts';
import { TEST_FACTORY_SECRET } from './api.ts';

type Inject = FastifyInstance['inject'];
type InjectResponse = Awaited<ReturnType<Inject>>;

/** The OAuth client every phone uses (seeded by migration 001). */
export const PHONE_CLIENT_ID = 'fleetbed-phone';
export const FACTORY_HEADERS = Object.freeze({ 'x-factory-credential': TEST_FACTORY_SECRET });

/**
 * Run `body` once per PostgreSQL target (describe per target). A target that is
 * not available is a skipped describe, and its reason is printed once.
 */
export function describeEachDatabase(title: string, suite: (serverUrl: string) => void): void {
  for (const target of databaseTargets()) {
    const name = `${title} [${target.name}]`;
    if (target.serverUrl === null) {
      console.log(`[fleetbed tests] ${name} skipped: ${target.skipReason}`);
      describe.skip(name, () => suite(''));
    } else {
      const url = target.serverUrl;
      describe(name, () => suite(url));
    }
  }
}

/** A 32-byte seed derived from a label: the same label always gives the same key. */
export function seedFor(label: string | number): Buffer {
  return createHash('sha256').update(`fleetbed-test/${label}`).digest();
}

export interface DeviceKey {
  seed: Buffer;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  privateKey: KeyObject;
  sign(bytes: Uint8Array): Buffer;
}

/** An Ed25519 keypair from a 32-byte seed (node:crypto signs, @noble/ed25519 derives the public half). */
export async function deviceKey(seed: Buffer): Promise<DeviceKey> {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const publicKey = Buffer.from(await ed.getPublicKeyAsync(seed));
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: publicKey.toString('base64url') },
    format: 'jwk',
  });
  return { seed, publicKey, privateKey, sign: (bytes) => sign(null, bytes, privateKey) };
}

// ---------------------------------------------------------------- HTTP helpers

/** A request with a bearer token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The JSON body of a response, typed. */
export function json<T = Record<string, unknown>>(res: InjectResponse): T {
  return res.json() as T;
}

// ---------------------------------------------------------------- accounts and tokens

let accountCounter = 0;

export interface TestAccount {
  accountId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

/** A fresh, unique sign-up body. */
export function newSignUp(label = 'user'): { email: string; password: string; displayName: string } {
  accountCounter++;
  return { email: `${label}-${accountCounter}-${process.pid}@example.test`, password: `correct horse ${accountCounter}`, displayName: `Test ${label} ${accountCounter}` };
}

export function tokenRequest(app: FastifyInstance, form: Record<string, string>): Promise<InjectResponse> {
  return app.inject({
    method: 'POST',
    url: '/v2/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

export async function passwordGrant(app: FastifyInstance, email: string, password: string): Promise<TokenPair> {
  const res = await tokenRequest(app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: email, password });
  if (res.statusCode !== 200) throw new Error(`password grant for ${email} answered ${res.statusCode}: ${res.body}`);
  return json<TokenPair>(res);
}

/** Sign up a new account and sign it in. */
export async function signUpAndSignIn(app: FastifyInstance, label = 'user'): Promise<TestAccount> {
  const signUp = newSignUp(label);
  const res = await app.inject({ method: 'POST', url: '/v2/accounts', payload: signUp });
  if (res.statusCode !== 201) throw new Error(`sign-up of ${signUp.email} answered ${res.statusCode}: ${res.body}`);
  const { accountId } = json<{ accountId: string }>(res);
  const tokens = await passwordGrant(app, signUp.email, signUp.password);
  return { accountId, email: signUp.email, password: signUp.password, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
}

/** GET /v2/devices with `token`; the status code alone tells whether the token works. */
export function listDevices(app: FastifyInstance, token: string): Promise<InjectResponse> {
  return app.inject({ method: 'GET', url: '/v2/devices', headers: bearer(token) });
}

export async function ownedDeviceIds(app: FastifyInstance, token: string): Promise<number[]> {
  const res = await listDevices(app, token);
  if (res.statusCode !== 200) throw new Error(`GET /v2/devices answered ${res.statusCode}: ${res.body}`);
  return json<{ devices: Array<{ deviceId: number }> }>(res).devices.map((d) => d.deviceId);
}

// ---------------------------------------------------------------- devices

export interface DeviceRegistration {
  deviceId: number;
  serial: string;
  productLine: 'adult-brush' | 'kids-brush' | 'interdental';
  publicKey: string;
  firmwareVersion: string;
}

const LINES = ['adult-brush', 'kids-brush', 'interdental'] as const;

/** The raw Ed25519 public key of a 32-byte seed, derived synchronously (node:crypto, PKCS#8). */
export function publicKeyForSeed(seed: Buffer): Buffer {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const jwk = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

/**
 * The registration of device `deviceId`. Without a key, the public key is a
 * real Ed25519 key of a seed derived from the id (provisioning refuses points
 * that are off the curve, small-order or non-canonical).
 */
export function registration(deviceId: number, publicKey: Buffer = publicKeyForSeed(seedFor(`pk-${deviceId}`))): DeviceRegistration {
  return {
    deviceId,
    serial: `TB-${deviceId.toString().padStart(9, '0')}`,
    productLine: LINES[deviceId % LINES.length]!,
    publicKey: publicKey.toString('base64url'),
    firmwareVersion: '1.0.0',
  };
}

export function provision(app: FastifyInstance, devices: unknown[], headers: InjectOptions['headers'] = FACTORY_HEADERS): Promise<InjectResponse> {
  return app.inject({ method: 'POST', url: '/v2/factory/devices', headers, payload: { devices } });
}

export interface TestDevice {
  deviceId: number;
  key: DeviceKey;
  /** The next press counter this device will sign with. */
  pressCounter: number;
}

let deviceCounter = 0;

/** Provision `count` new devices with real keys. Ids are unique within the test file. */
export async function provisionDevices(app: FastifyInstance, count = 1): Promise<TestDevice[]> {
  const devices: TestDevice[] = [];
  for (let i = 0; i < count; i++) {
    const deviceId = 1_000_000 + ++deviceCounter;
    devices.push({ deviceId, key: await deviceKey(seedFor(`device-${deviceId}`)), pressCounter: 1 });
  }
  const res = await provision(app, devices.map((d) => registration(d.deviceId, d.key.publicKey)));
  if (res.statusCode !== 201) throw new Error(`provisioning answered ${res.statusCode}: ${res.body}`);
  return devices;
}

// ---------------------------------------------------------------- bonding

export async function bondChallenge(app: FastifyInstance, token: string, deviceId: number): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/v2/devices/${deviceId}/bond-challenge`, headers: bearer(token) });
  if (res.statusCode !== 201) throw new Error(`bond-challenge for device ${deviceId} answered ${res.statusCode}: ${res.body}`);
  return json<{ challenge: string }>(res).challenge;
}

export interface ProofOptions {
  accountId: string;
  challenge: string;
  pressCounter: number;
  buttonPressed?: boolean;
  /** Sign with this key instead of the device's own. */
  signer?: DeviceKey;
}

/** The BondRequest body a device would produce when its button is pressed. */
export function bondProof(device: TestDevice, o: ProofOptions) {
  const buttonPressed = o.buttonPressed ?? true;
  const bytes = bondProofSigningBytes({
    deviceId: device.deviceId,
    accountId: o.accountId,
    challenge: Buffer.from(o.challenge, 'base64url'),
    pressCounter: o.pressCounter,
    buttonPressed,
  });
  const signature = (o.signer ?? device.key).sign(bytes).toString('base64url');
  return { challenge: o.challenge, pressCounter: o.pressCounter, buttonPressed, signature };
}

export function postBond(app: FastifyInstance, token: string, deviceId: number, proof: object): Promise<InjectResponse> {
  return app.inject({ method: 'POST', url: `/v2/devices/${deviceId}/bond`, headers: bearer(token), payload: proof });
}

/** The whole pairing: challenge, a fresh button press, the signed proof. */
export async function bond(app: FastifyInstance, account: TestAccount, device: TestDevice): Promise<InjectResponse> {
  const challenge = await bondChallenge(app, account.accessToken, device.deviceId);
  const proof = bondProof(device, { accountId: account.accountId, challenge, pressCounter: device.pressCounter++ });
  return postBond(app, account.accessToken, device.deviceId, proof);
}

// ---------------------------------------------------------------- testbed and database

export async function advanceClock(app: FastifyInstance, advanceMs: number): Promise<void> {
  const res = await app.inject({ method: 'PUT', url: '/testbed/clock', payload: { advanceMs } });
  if (res.statusCode !== 200) throw new Error(`advancing the clock answered ${res.statusCode}: ${res.body}`);
}

/** Run `fn` with a direct connection to the test database. */
export async function withClient<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Row counts of the tables, to prove that a refused request wrote nothing. */
export async function rowCounts(databaseUrl: string, tables: string[] = ['accounts', 'devices', 'events', 'bond_challenges']): Promise<Record<string, number>> {
  return withClient(databaseUrl, async (c) => {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
    return out;
  });
}
