import { sign } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bondProofSigningBytes } from '../../contract/bond-proof.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../contract/record.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { deriveDeviceKey, type DeviceKey } from '../../simulators/device-keys.ts';
import { TEST_FACTORY_SECRET } from './api.ts';

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

export async function upload(app: FastifyInstance, account: TestAccount, records: string[], key = `k-${++counter}-${process.pid}`) {
  return app.inject({ method: 'POST', url: '/v2/uploads', headers: { authorization: `Bearer ${account.token}`, 'idempotency-key': key }, payload: { records } });
}
