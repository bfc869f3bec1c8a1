import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { encodeFirmwareManifest, firmwareManifestSigningBytes, testReleaseSeed } from '../../contract/ota.ts';
import { encodeOtaReport, otaReportSigningBytes, packSignedOtaReport, type OtaReport } from '../../contract/ota-report.ts';
import type { ProductLine } from '../../contract/product-line.ts';
import { deriveDeviceKey } from '../../simulators/device-keys.ts';
import { TEST_FACTORY_SECRET } from '../support/api.ts';

/** An Ed25519 private key from a 32-byte seed (OpenSSL derives the public half). */
export function keyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.alloc(32).toString('base64url') }, format: 'jwk' });
}

/** The well-known TEST release key of contract/ota.ts, which the API trusts in test mode. */
export const TEST_RELEASE_KEY = keyFromSeed(testReleaseSeed());
/** Some other key: a release signed with it must be refused. */
export const ROGUE_RELEASE_KEY = keyFromSeed(createHash('sha256').update('fleetbed-test/rogue-release-key').digest());

export interface ReleaseFields {
  productLine: ProductLine;
  version: string;
  sizeBytes?: number;
  sha256?: Buffer;
  antiRollbackCounter?: number;
}

/** A FirmwareReleaseRequest for `f`, signed by `signer` (default: the TEST release key). */
export function releaseBody(f: ReleaseFields, signer: KeyObject = TEST_RELEASE_KEY) {
  const sizeBytes = f.sizeBytes ?? 262_144;
  const sha256 = f.sha256 ?? createHash('sha256').update(`image ${f.productLine} ${f.version}`).digest();
  const antiRollbackCounter = f.antiRollbackCounter ?? 1;
  const manifest = encodeFirmwareManifest({ formatVersion: 1, productLine: f.productLine, firmwareVersion: packFirmwareVersion(f.version), sizeBytes, antiRollbackCounter, sha256 });
  const signature = sign(null, firmwareManifestSigningBytes(manifest), signer);
  return { productLine: f.productLine, version: f.version, sizeBytes, sha256: sha256.toString('base64url'), antiRollbackCounter, signature: signature.toString('base64url') };
}

/** An OTA report with defaults for everything but the device, seq, rollout and state. */
export function otaReport(r: Pick<OtaReport, 'deviceId' | 'seq' | 'rolloutId' | 'state'> & Partial<OtaReport>): OtaReport {
  return { formatVersion: 1, targetVersion: packFirmwareVersion('2.0.0'), runningVersion: packFirmwareVersion('1.0.0'), bootCount: 0, deviceTime: 1767225600, detail: 'none', ...r };
}

/** base64url of report || signature, as a phone relays it; `signer` is the device's key (or a forger's). */
export function signedOtaReport(report: OtaReport, signer: KeyObject): string {
  const bytes = encodeOtaReport(report);
  return Buffer.from(packSignedOtaReport(bytes, sign(null, otaReportSigningBytes(bytes), signer))).toString('base64url');
}

export const OPERATOR = Object.freeze({ 'x-factory-credential': TEST_FACTORY_SECRET });

/** Register a release (operator), or throw with the answer. */
export async function createRelease(app: FastifyInstance, f: ReleaseFields): Promise<{ releaseId: string; version: string }> {
  const res = await app.inject({ method: 'POST', url: '/v2/ota/releases', headers: OPERATOR, payload: releaseBody(f) });
  if (res.statusCode !== 201) throw new Error(`release ${f.productLine} ${f.version} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

export interface RolloutOptions {
  rolloutId?: string;
  policy?: 'health-gate' | 'transfer-success';
  stages?: Array<{ percent?: number; maxDevices?: number; soakSeconds: number }>;
  gate?: Record<string, number>;
}

/** Start a rollout (operator), or throw with the answer. */
export async function createRollout(app: FastifyInstance, releaseId: string, o: RolloutOptions = {}): Promise<RolloutBody> {
  const res = await app.inject({
    method: 'POST',
    url: '/v2/ota/rollouts',
    headers: OPERATOR,
    payload: { releaseId, ...(o.rolloutId ? { rolloutId: o.rolloutId } : {}), policy: o.policy ?? 'health-gate', stages: o.stages ?? [{ percent: 100, soakSeconds: 0 }], ...(o.gate ? { gate: o.gate } : {}) },
  });
  if (res.statusCode !== 201) throw new Error(`rollout of ${releaseId} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

export interface RolloutBody {
  rolloutId: string;
  state: string;
  stageIndex: number;
  devices: number;
  counts: Record<string, number>;
  stages: Array<{ index: number; status: string; devices: number; counts: Record<string, number> }>;
  halt: null | { reason: string; by: string; detail: string };
  lastEvaluation: null | Record<string, unknown> & { decision: string; reason: string };
}

export async function getRollout(app: FastifyInstance, rolloutId: string): Promise<RolloutBody> {
  const res = await app.inject({ method: 'GET', url: `/v2/ota/rollouts/${rolloutId}`, headers: OPERATOR });
  if (res.statusCode !== 200) throw new Error(`GET rollout ${rolloutId} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

export function act(app: FastifyInstance, rolloutId: string, action: string, reason?: string) {
  return app.inject({ method: 'POST', url: `/v2/ota/rollouts/${rolloutId}/actions`, headers: OPERATOR, payload: { action, ...(reason ? { reason } : {}) } });
}

export function checkOffer(app: FastifyInstance, token: string, deviceId: number) {
  return app.inject({ method: 'POST', url: `/v2/devices/${deviceId}/ota/check`, headers: { authorization: `Bearer ${token}` } });
}

export function relayReports(app: FastifyInstance, token: string, reports: string[]) {
  return app.inject({ method: 'POST', url: '/v2/ota/reports', headers: { authorization: `Bearer ${token}` }, payload: { reports } });
}

export async function runMonitor(app: FastifyInstance) {
  const res = await app.inject({ method: 'POST', url: '/testbed/jobs/ota-health-monitor' });
  if (res.statusCode !== 200) throw new Error(`ota-health-monitor answered ${res.statusCode}: ${res.body}`);
  return res.json() as { job: string; ranAt: string; result: { rollouts: Array<{ rolloutId: string; before: { state: string }; after: { state: string; stageIndex: number }; evaluation: { decision: string; reason: string } }> } };
}

export interface OtaDevice {
  deviceId: number;
  productLine: ProductLine;
  key: { privateKey: KeyObject; publicKey: Buffer };
  pressCounter: number;
  /** Next OTA report seq. */
  reportSeq: number;
  /** Next session seq. */
  sessionSeq: number;
}

/** Provision devices of `productLine` running `firmware`, with keys derived from (seed, id). */
export async function provisionLine(app: FastifyInstance, ids: number[], productLine: ProductLine, firmware = '1.0.0', seed = 11): Promise<OtaDevice[]> {
  const devices = ids.map((deviceId) => ({ deviceId, productLine, key: deriveDeviceKey(seed, deviceId), pressCounter: 0, reportSeq: 1, sessionSeq: 1 }));
  const res = await app.inject({
    method: 'POST',
    url: '/v2/factory/devices',
    headers: OPERATOR,
    payload: { devices: devices.map((d) => ({ deviceId: d.deviceId, serial: `OTA-${d.deviceId}`, productLine, publicKey: d.key.publicKey.toString('base64url'), firmwareVersion: firmware })) },
  });
  if (res.statusCode !== 201) throw new Error(`provision failed: ${res.statusCode} ${res.body}`);
  return devices;
}

/**
 * The reports a device sends for one update, from `downloaded` to `state`
 * (default confirmed), each signed with its key, seqs consecutive.
 */
export function updateReports(device: OtaDevice, rolloutId: string, from: string, to: string, deviceTime: number, last: OtaReport['state'] = 'confirmed'): string[] {
  const path: OtaReport['state'][] = ['downloaded', 'verified', 'installed', 'booted', 'confirmed'];
  const states = last === 'rolled-back' ? [...path.slice(0, 4), 'rolled-back' as const] : last === 'failed' ? ['downloaded' as const, 'failed' as const] : path.slice(0, path.indexOf(last) + 1);
  return states.map((state) => {
    const done = state === 'confirmed';
    const report = otaReport({
      deviceId: device.deviceId,
      seq: device.reportSeq++,
      rolloutId,
      state,
      targetVersion: packFirmwareVersion(to),
      runningVersion: packFirmwareVersion(done || state === 'booted' ? to : from),
      bootCount: state === 'booted' || state === 'confirmed' ? 1 : state === 'rolled-back' ? 4 : 0,
      deviceTime,
      detail: state === 'rolled-back' ? 'boot-limit' : state === 'failed' ? 'hash-mismatch' : 'none',
    });
    return signedOtaReport(report, device.key.privateKey);
  });
}
