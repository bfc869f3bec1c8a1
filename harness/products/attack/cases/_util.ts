import { sign } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { encodeOtaReport, otaReportSigningBytes, packSignedOtaReport, type OtaReport } from '../../../../contract/ota-report.ts';
import { signingBytes } from '../../../../contract/signing.ts';
import type { Exchange } from '../http.ts';
import type { AttackWorld, WorldDevice } from '../world.ts';
import type { KeyObject } from 'node:crypto';

/** Order of the Ed25519 base point: a canonical S is below it. */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** A point of order 8 (one of the eight small-order points), checked with @noble/ed25519. */
export const SMALL_ORDER_POINT = (() => {
  const hex = 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a';
  if (!ed.Point.fromHex(hex).isSmallOrder()) throw new Error('SMALL_ORDER_POINT is not of small order');
  return Buffer.from(hex, 'hex');
})();

/** A signature (R = a small-order point, S = 0): what verifies under a small-order public key for many messages in lax verifiers. */
export function smallOrderSignature(): Buffer {
  return Buffer.concat([SMALL_ORDER_POINT, Buffer.alloc(32)]);
}

/** The signature with S replaced by S + L (same value mod L, non-canonical encoding). */
export function malleate(signature: Buffer): Buffer {
  const s = BigInt('0x' + Buffer.from(signature.subarray(32)).reverse().toString('hex')) + ED25519_L;
  const out = Buffer.from(signature);
  const le = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
  le.copy(out, 32);
  return out;
}

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
export const bytes = (s: string) => Buffer.from(s, 'base64url');

/** Change a signed record's bytes with `f` (offsets: record 0..33, signature 34..97). */
export function mutate(signed: string, f: (b: Buffer) => Buffer | void): string {
  const b = bytes(signed);
  return b64(f(b) ?? b);
}

export function writeDeviceId(b: Buffer, deviceId: number): void {
  b.writeUInt32BE(Math.floor(deviceId / 0x1_0000_0000), 2);
  b.writeUInt32BE(deviceId % 0x1_0000_0000, 6);
}

export function otaReport(w: AttackWorld, d: WorldDevice, over: Partial<OtaReport>, key?: KeyObject): string {
  const r: OtaReport = {
    formatVersion: 1, state: 'downloaded', deviceId: d.deviceId, seq: 1, rolloutId: w.rolloutId,
    targetVersion: packV(w.release.version), runningVersion: packV('1.0.0'), bootCount: 0, deviceTime: w.t0, detail: 'none', ...over,
  };
  const rb = encodeOtaReport(r);
  return b64(packSignedOtaReport(rb, sign(null, otaReportSigningBytes(rb), key ?? d.privateKey)));
}

function packV(v: string): number {
  const [a, b, c] = v.split('.').map(Number);
  return ((a! << 24) | (b! << 16) | c!) >>> 0;
}
export { packV };

/** Sign `payload` under another domain's tag (cross-protocol replay). */
export function signOtherDomain(key: KeyObject, domain: 'bondProof' | 'otaReport' | 'firmwareImage', payload: Uint8Array): Buffer {
  return sign(null, signingBytes(domain, payload), key);
}

/**
 * The code of an answer: problem code, OAuth error, and for a batch the first per-record rejection; for a
 * legacy v1 batch (200, a verdict per record) its counts and first refusal, `stored=0,duplicate=0,refused=2 device-signs-v2`.
 */
export function codeOf(ex: Exchange): string {
  const j = ex.json as any;
  if (!j || typeof j !== 'object') return '';
  if (Array.isArray(j.results) && typeof j.v2 === 'string' && typeof j.code !== 'string') {
    const n = (s: string) => j.results.filter((r: any) => r?.status === s).length;
    const first = j.results.find((r: any) => r?.status === 'refused');
    return `stored=${n('stored')},duplicate=${n('duplicate')},refused=${n('refused')}${first?.code ? ` ${first.code}` : ''}`;
  }
  if (typeof j.code === 'string') {
    const first = Array.isArray(j.results) ? j.results.find((r: any) => r.verdict === 'rejected') : undefined;
    return first?.code ? `${j.code}/${first.code}` : j.code;
  }
  if (typeof j.error === 'string') return j.error;
  if (j.counts && typeof j.counts === 'object') return `stored=${j.counts.stored},duplicate=${j.counts.duplicate},rejected=${j.counts.rejected}`;
  return '';
}

/** Expectation: a 200 batch answer in which nothing was stored (every record duplicate or rejected). */
export function nothingStored(opts: { duplicate?: number; rejected?: number } = {}) {
  return {
    describe: `200 stored=0${opts.duplicate !== undefined ? `,duplicate=${opts.duplicate}` : ''}${opts.rejected !== undefined ? `,rejected=${opts.rejected}` : ''}`,
    check: (ex: Exchange) => {
      const c = (ex.json as any)?.counts;
      if (ex.status !== 200 || !c) return `expected a 200 batch answer, got ${ex.status}`;
      if (c.stored !== 0) return `${c.stored} record(s) answered stored`;
      if (opts.duplicate !== undefined && c.duplicate !== opts.duplicate) return `expected ${opts.duplicate} duplicate, got ${c.duplicate}`;
      if (opts.rejected !== undefined && c.rejected !== opts.rejected) return `expected ${opts.rejected} rejected, got ${c.rejected}`;
      return null;
    },
  };
}

export const REC = 'upload-rejected/';
