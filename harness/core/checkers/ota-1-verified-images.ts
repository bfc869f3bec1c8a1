import type { InvariantResult } from '../../../reports/types.ts';
import { bankBytesAfter, releasePublicKey, verifyImage } from '../../../simulators/ota/index.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { h } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-1';
const TITLE = INVARIANTS[ID];

/**
 * OTA-1 verified images, from the OTA engine's run: no device runs (or ever
 * installed) an image that failed signature or hash verification. Every
 * device's running bank must have verified; no update whose download arrived
 * corrupted (or whose image fails at the source) reports installed, booted or
 * confirmed; a few corrupted banks are re-verified with real crypto on their
 * real bytes; every offer carries the signed release's manifest and signature.
 * `checked` = devices + updates.
 */
export function checkVerifiedImages(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  const { boot, catalog, fleet } = r;
  for (let d = 0; d < boot.deviceCount; d++) {
    if (!boot.runningVerified(d)) f.add({ device: fleet.deviceId(d), expected: 'the running bank passed verification', found: `device runs image ${boot.running(d)} from a bank that never verified` });
  }
  let spot = 0;
  for (const a of r.attempts) {
    const failedVerify = a.corrupt || catalog.sourceVerdict[a.image] !== 'none';
    const installed = a.reports.some((x) => x.state === 'installed' || x.state === 'booted' || x.state === 'confirmed');
    if (failedVerify && installed) {
      f.add({ device: fleet.deviceId(a.d), expected: 'an image that fails verification is never installed or booted', found: `reports ${a.reports.map((x) => x.state).join(' → ')} after a download that ${a.corrupt ? 'arrived corrupted' : `fails at the source (${catalog.sourceVerdict[a.image]})`}`, detail: `at ${h(a.t)}, rollout ${a.rollout}` });
    }
    if (a.corrupt && spot < 3) {
      // Real crypto on real bytes: the bank as it arrived must fail verification.
      spot++;
      const img = catalog.image(a.image);
      const verdict = verifyImage(img.manifestBytes, img.signature, bankBytesAfter(img, [Math.min(img.chunkCount - 1, Math.floor(img.chunkCount / 2))]), [releasePublicKey()]);
      if (verdict === 'none') f.add({ device: fleet.deviceId(a.d), expected: 'a corrupted bank fails SHA-256 verification', found: 'verifyImage() accepted the corrupted bytes' });
    }
  }
  for (const o of r.offers) {
    if (!o.manifestMatches) f.add({ device: o.deviceId, expected: 'the offered manifest and signature are the signed release', found: `offer of ${o.version} carries other bytes`, detail: `at ${h(o.t)}` });
  }
  return verdictOf(ID, TITLE, boot.deviceCount + r.attempts.length, f.witnesses, f.violations);
}
