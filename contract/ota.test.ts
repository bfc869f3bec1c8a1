import * as ed from '@noble/ed25519';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractDecodeError } from './errors.ts';
import { packFirmwareVersion } from './firmware-version.ts';
import { decodeFirmwareManifest, encodeFirmwareManifest, firmwareManifestSigningBytes, FIRMWARE_MANIFEST_BYTES, TEST_RELEASE_PUBLIC_KEY, TEST_RELEASE_SEED_TEXT, testReleaseSeed, type FirmwareManifest } from './ota.ts';
import { bytesToUuid, decodeOtaReport, encodeOtaReport, otaReportSigningBytes, OTA_REPORT_BYTES, OTA_REPORT_DETAILS, OTA_REPORT_STATES, packSignedOtaReport, SIGNED_OTA_REPORT_BYTES, unpackSignedOtaReport, uuidBytes, type OtaReport } from './ota-report.ts';
import { COHORT_BUCKETS, cohortBucket, percentToBuckets } from './ota-rollout.ts';
import { PRODUCT_LINES } from './product-line.ts';
import { SIGNING_DOMAINS } from './signing.ts';

const manifest = (over: Partial<FirmwareManifest> = {}): FirmwareManifest => ({
  formatVersion: 1,
  productLine: 'kids-brush',
  firmwareVersion: packFirmwareVersion('2.1.7'),
  sizeBytes: 262_144,
  antiRollbackCounter: 3,
  sha256: new Uint8Array(32).map((_, i) => i),
  ...over,
});

const report = (over: Partial<OtaReport> = {}): OtaReport => ({
  formatVersion: 1,
  state: 'confirmed',
  deviceId: 2 ** 40 + 17,
  seq: 9,
  rolloutId: '0123abcd-4567-4890-8abc-def012345678',
  targetVersion: packFirmwareVersion('2.0.0'),
  runningVersion: packFirmwareVersion('2.0.0'),
  bootCount: 1,
  deviceTime: 1_767_225_600,
  detail: 'none',
  ...over,
});

describe('firmware manifest', () => {
  it('encodes the documented layout, big-endian', () => {
    const b = encodeFirmwareManifest(manifest());
    expect(b.length).toBe(FIRMWARE_MANIFEST_BYTES);
    expect([...b.subarray(0, 16)]).toEqual([1, 1, 0, 0, 0x02, 0x01, 0x00, 0x07, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 3]);
    expect([...b.subarray(16)]).toEqual([...manifest().sha256]);
  });

  it('round-trips every valid manifest, and decodes only canonical bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRODUCT_LINES),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (productLine, firmwareVersion, sizeBytes, antiRollbackCounter, sha256) => {
          const m = manifest({ productLine, firmwareVersion, sizeBytes, antiRollbackCounter, sha256 });
          expect(decodeFirmwareManifest(encodeFirmwareManifest(m))).toEqual(m);
        },
      ),
    );
    const b = encodeFirmwareManifest(manifest());
    const bad = (i: number, v: number) => Object.assign(b.slice(), { [i]: v });
    expect(() => decodeFirmwareManifest(b.subarray(1))).toThrow(ContractDecodeError);
    expect(() => decodeFirmwareManifest(bad(0, 2))).toThrow(/formatVersion/);
    expect(() => decodeFirmwareManifest(bad(1, 3))).toThrow(/productLine/);
    expect(() => decodeFirmwareManifest(bad(3, 1))).toThrow(/reserved/);
    expect(() => encodeFirmwareManifest(manifest({ sizeBytes: 0 }))).toThrow(/sizeBytes/);
    expect(() => encodeFirmwareManifest(manifest({ productLine: 'toaster' as never }))).toThrow(/productLine/);
  });

  it('is signed under its own domain tag', () => {
    const tag = new TextEncoder().encode(`${SIGNING_DOMAINS.firmwareImage}\0`);
    const s = firmwareManifestSigningBytes(encodeFirmwareManifest(manifest()));
    expect(s.subarray(0, tag.length)).toEqual(tag);
    expect(s.length).toBe(tag.length + FIRMWARE_MANIFEST_BYTES);
  });

  it('the TEST release key: its seed is the documented text, its public key is what the API trusts in test mode', async () => {
    expect(new TextDecoder().decode(testReleaseSeed())).toBe(TEST_RELEASE_SEED_TEXT);
    expect(testReleaseSeed().length).toBe(32);
    expect(Buffer.from(await ed.getPublicKeyAsync(testReleaseSeed())).toString('base64url')).toBe(TEST_RELEASE_PUBLIC_KEY);
  });
});

describe('OTA report', () => {
  it('encodes the documented layout, and round-trips every valid report', () => {
    const b = encodeOtaReport(report());
    expect(b.length).toBe(OTA_REPORT_BYTES);
    expect(b[1]).toBe(OTA_REPORT_STATES.indexOf('confirmed') + 1);
    expect(bytesToUuid(b.subarray(14, 30))).toBe(report().rolloutId);
    fc.assert(
      fc.property(
        fc.constantFrom(...OTA_REPORT_STATES),
        fc.constantFrom(...OTA_REPORT_DETAILS),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.uuid(),
        fc.integer({ min: 0, max: 0xffff }),
        (state, detail, deviceId, seq, rolloutId, bootCount) => {
          const r = report({ state, detail, deviceId, seq, rolloutId: rolloutId.toLowerCase(), bootCount });
          expect(decodeOtaReport(encodeOtaReport(r))).toEqual(r);
        },
      ),
    );
  });

  it('refuses what the encoder cannot produce', () => {
    const b = encodeOtaReport(report());
    const bad = (i: number, v: number) => Object.assign(b.slice(), { [i]: v });
    expect(() => decodeOtaReport(b.subarray(2))).toThrow(/length/);
    expect(() => decodeOtaReport(bad(1, 0))).toThrow(/state/);
    expect(() => decodeOtaReport(bad(1, 8))).toThrow(/state/);
    expect(() => decodeOtaReport(bad(44, 200))).toThrow(/detail/);
    expect(() => decodeOtaReport(bad(45, 1))).toThrow(/reserved/);
    expect(() => decodeOtaReport(bad(2, 0xff))).toThrow(/deviceId/);
    expect(() => decodeOtaReport(Object.assign(b.slice(), { 10: 0, 11: 0, 12: 0, 13: 0 }))).toThrow(/seq/);
    expect(() => encodeOtaReport(report({ seq: 0 }))).toThrow(/seq/);
    expect(() => encodeOtaReport(report({ rolloutId: 'nope' }))).toThrow(/rolloutId/);
  });

  it('packs and unpacks report || signature, signed under the otaReport domain', () => {
    const b = encodeOtaReport(report());
    const packed = packSignedOtaReport(b, new Uint8Array(64).fill(7));
    expect(packed.length).toBe(SIGNED_OTA_REPORT_BYTES);
    expect(unpackSignedOtaReport(packed).report).toEqual(b);
    expect(() => unpackSignedOtaReport(packed.subarray(1))).toThrow(ContractDecodeError);
    expect(new TextDecoder().decode(otaReportSigningBytes(b).subarray(0, SIGNING_DOMAINS.otaReport.length))).toBe(SIGNING_DOMAINS.otaReport);
  });

  it('UUID bytes round-trip', () => {
    expect(bytesToUuid(uuidBytes('FFFFFFFF-0000-4000-8000-00000000000A'))).toBe('ffffffff-0000-4000-8000-00000000000a');
  });
});

describe('cohortBucket', () => {
  const rollout = '4b1d0000-0000-4000-8000-000000000001';
  it('is a frozen function of (rollout, device): these values are part of the contract', () => {
    expect([1, 2, 3, 2 ** 52 + 5].map((d) => cohortBucket(rollout, d))).toEqual([1654, 6944, 1245, 3634]);
  });

  it('spreads devices evenly over the buckets, and independently between rollouts', () => {
    const n = 100_000;
    const hist = new Uint32Array(10);
    let same = 0;
    for (let d = 1; d <= n; d++) {
      const b = cohortBucket(rollout, d);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(COHORT_BUCKETS);
      hist[Math.floor(b / 1000)]!++;
      if (cohortBucket('4b1d0000-0000-4000-8000-000000000002', d) < 1000 && b < 1000) same++;
    }
    for (const h of hist) expect(Math.abs(h - n / 10)).toBeLessThan(n / 100);
    // 10 % canaries of two rollouts overlap like independent draws (≈ 1 %).
    expect(Math.abs(same - n / 100)).toBeLessThan(n / 500);
  });

  it('maps percents to bucket bounds at 0.01 % resolution', () => {
    expect([0.01, 1, 12.5, 100].map(percentToBuckets)).toEqual([1, 100, 1250, 10_000]);
  });
});
