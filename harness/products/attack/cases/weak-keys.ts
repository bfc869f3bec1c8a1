import { encodeSessionRecord } from '../../../../contract/record.ts';
import { encodeOtaReport, packSignedOtaReport } from '../../../../contract/ota-report.ts';
import type { Exchange } from '../http.ts';
import { defineCases } from '../types.ts';
import type { AttackWorld } from '../world.ts';
import { b64, codeOf, packV, REC, SMALL_ORDER_POINT } from './_util.ts';

/** 32 little-endian bytes: y, with the sign bit of x. */
const point = (y: bigint, sign = 0n) => Buffer.from((y | (sign << 255n)).toString(16).padStart(64, '0'), 'hex').reverse();
const P = 2n ** 255n - 19n;

/**
 * Public keys that are not canonical Ed25519 points of large order (issue #18). OpenSSL's verify
 * accepts the first two as keys, and under them a signature with a small-order R and S = 0 verifies
 * for some (the identity: every) message: a phone with no device key and no button press could bond
 * such a device and have its records stored.
 */
const WEAK = {
  identity: point(1n),
  'small-order': SMALL_ORDER_POINT,
  'non-canonical': point(P + 1n), // y = p + 1 ≡ 1: the identity spelled with y ≥ p
  'off-curve': point(2n), // y = 2 has no x on the curve
} as const;

/** Device ids of this file, clear of the world's (idBase + 1..5) and of identity-unknown-device (U1 + 90). */
const weakDeviceId = (w: AttackWorld, k: number) => w.U1.deviceId + 60 + k;

const registrationOf = (w: AttackWorld, deviceId: number, publicKey: Buffer) => ({
  deviceId,
  serial: `ATK-${deviceId}`,
  productLine: 'adult-brush',
  publicKey: publicKey.toString('base64url'),
  firmwareVersion: '1.0.0',
});

const keyRefused = { status: 422, codes: ['device-key-invalid'] };
const sigInvalid = { status: 422, codes: [REC + 'signature-invalid'] };

/** A signature (R, S = 0) for a small-order R in one of its spellings. */
const zeroS = (r: Buffer) => Buffer.concat([r, Buffer.alloc(32)]);

/** AUTH-1 / AUTH-3 — keys that are not points of large order, and signatures that only such keys could verify. */
export const weakKeyCases = defineCases([
  ...(Object.entries(WEAK) as Array<[keyof typeof WEAK, Buffer]>).map(([name, key], k) => ({
    id: `identity-weak-key-${name}`,
    title: `the factory registers a device whose public key is ${name === 'identity' ? 'the identity point' : name === 'small-order' ? 'a point of order 8' : name === 'non-canonical' ? 'a non-canonical encoding (y ≥ p)' : 'not on the curve'}`,
    class: 'AUTH-1',
    expected: keyRefused,
    run: ({ world: w, http }: { world: AttackWorld; http: any }) =>
      http.send('POST', '/v2/factory/devices', { headers: { 'x-factory-credential': w.factorySecret }, json: { devices: [registrationOf(w, weakDeviceId(w, k), key)] } }),
  })),
  {
    id: 'identity-weak-key-bulk',
    title: 'an NDJSON bulk provisioning whose second line registers the identity point as a key (the first line is a good device)',
    class: 'AUTH-1',
    expected: keyRefused,
    run: ({ world: w, http }) => {
      const body = [registrationOf(w, weakDeviceId(w, 10), w.roguePublicKey), registrationOf(w, weakDeviceId(w, 11), WEAK.identity)].map((r) => JSON.stringify(r)).join('\n') + '\n';
      return http.send('POST', '/v2/factory/devices/bulk', { headers: { 'x-factory-credential': w.factorySecret }, raw: body, contentType: 'application/x-ndjson' });
    },
  },
  {
    id: 'identity-weak-key-then-forge',
    title: 'register the identity as a device key, then upload a record "signed" R = identity, S = 0 for that device (valid in OpenSSL for any message)',
    class: 'AUTH-1',
    expected: {
      describe: '422 device-key-invalid, then 422 upload-rejected/device-not-bonded',
      check: (ex: Exchange) => (ex.status === 422 && ['device-key-invalid', `${REC}device-not-bonded`].includes(codeOf(ex)) ? null : `expected a 422 refusal, got ${ex.status} ${codeOf(ex)}`),
    },
    run: async ({ world: w, http }) => {
      const deviceId = weakDeviceId(w, 20);
      const provisioned = await http.send('POST', '/v2/factory/devices', { headers: { 'x-factory-credential': w.factorySecret }, json: { devices: [registrationOf(w, deviceId, WEAK.identity)] } });
      const record = encodeSessionRecord({ ...w.freshRecord(w.A1), deviceId });
      return [provisioned, await w.upload(w.A, [b64(Buffer.concat([record, zeroS(WEAK.identity)]))])];
    },
  },
  {
    id: 'identity-weak-key-r-identity',
    title: "a record for A's genuinely keyed device with R = the identity point and S = 0",
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [b64(Buffer.concat([encodeSessionRecord(w.freshRecord(w.A1)), zeroS(WEAK.identity)]))]),
  },
  {
    id: 'identity-weak-key-r-non-canonical',
    title: "a record for A's device with R = (0, -1) spelled with the sign bit set (non-canonical, small order) and S = 0",
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [b64(Buffer.concat([encodeSessionRecord(w.freshRecord(w.A1)), zeroS(point(P - 1n, 1n))]))]),
  },
  {
    id: 'identity-weak-key-bond-r-identity',
    title: 'bond the unbonded device U1 with a proof R = identity, S = 0 (no device key, no button press)',
    class: 'AUTH-3',
    expected: { status: 403, codes: ['bond-proof-invalid'] },
    run: async ({ world: w, http }) => {
      const body = w.bondBody(w.U1, w.A.accountId, await w.challenge(w.A, w.U1.deviceId));
      return http.send('POST', `/v2/devices/${w.U1.deviceId}/bond`, { headers: w.phone(w.A), json: { ...body, signature: b64(zeroS(WEAK.identity)) } });
    },
  },
  {
    id: 'identity-weak-key-ota-small-order',
    title: 'an OTA "confirmed" report for A1 with a small-order R and S = 0',
    class: 'OTA-1',
    expected: { status: 422, codes: ['ota-report-rejected/signature-invalid'] },
    run: ({ world: w, http }) => {
      const report = encodeOtaReport({
        formatVersion: 1, state: 'confirmed', deviceId: w.A1.deviceId, seq: 1, rolloutId: w.rolloutId,
        targetVersion: packV(w.release.version), runningVersion: packV(w.release.version), bootCount: 1, deviceTime: w.t0, detail: 'none',
      });
      return http.send('POST', '/v2/ota/reports', { headers: w.phone(w.A), json: { reports: [b64(packSignedOtaReport(report, zeroS(SMALL_ORDER_POINT)))] } });
    },
  },
]);
