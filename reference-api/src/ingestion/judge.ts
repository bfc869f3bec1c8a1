import type { ApiConfig } from '../config.ts';
import { verifyEd25519, type Ed25519PublicKey } from '../keys.ts';
import { sessionRecordSigningBytes, type PreparedRecord } from './prepare.ts';
import { recordKey, type StoreOutcome } from './store.ts';
import { rejected, summarize, type RecordVerdict, type UploadResponse } from './verdicts.ts';

/**
 * Everything decided before the database: the signature (under the device's
 * registered key; unknown devices are "not bonded", like another account's),
 * the late window and future skew on the platform clock, and repeats inside
 * the batch. The rest are candidates for storing.
 */
export function judge(prepared: PreparedRecord[], nowMs: number, keys: ReadonlyMap<number, Ed25519PublicKey>, config: ApiConfig) {
  const nowS = nowMs / 1000;
  const judged: Record<string, RecordVerdict> = {};
  const candidates: PreparedRecord[] = [];
  const seen = new Set<string>();
  for (const p of prepared) {
    const { deviceId, seq, startedAt } = p.record;
    const publicKey = keys.get(deviceId);
    let v: RecordVerdict | undefined;
    if (!publicKey) v = rejected(deviceId, seq, 'device-not-bonded');
    else if (!verifyEd25519(publicKey, sessionRecordSigningBytes(p.recordBytes), p.signature)) v = rejected(deviceId, seq, 'signature-invalid');
    else if (nowS - startedAt > config.lateWindowSeconds) {
      v = rejected(deviceId, seq, 'too-late', `the record started ${Math.floor((nowS - startedAt) / 86400)} days before the platform clock; the late window is ${config.lateWindowSeconds / 86400} days`);
    } else if (startedAt - nowS > config.futureSkewSeconds) {
      v = rejected(deviceId, seq, 'too-far-in-future', `the record starts ${Math.round(startedAt - nowS)} s after the platform clock; at most ${config.futureSkewSeconds} s is allowed`);
    } else if (seen.has(recordKey(deviceId, seq))) continue; // a repeat inside the batch: assemble() judges it by its first copy
    if (v) judged[p.index] = v;
    else {
      seen.add(recordKey(deviceId, seq));
      candidates.push(p);
    }
  }
  return { judged, candidates };
}

/** The response of an upload, from its records and the stored outcome: the same on the first answer and every replay. */
export function assemble(prepared: PreparedRecord[], outcome: StoreOutcome): UploadResponse {
  const stored = new Set(outcome.stored.map(([d, s]) => recordKey(d, s)));
  const owned = new Set(outcome.owned);
  const conflicts = new Set(outcome.conflicts.map(([d, s]) => recordKey(d, s)));
  const firstOf = new Map<string, { bytes: Buffer; verdict: RecordVerdict }>();
  const results = prepared.map((p): RecordVerdict => {
    const pre = outcome.judged[p.index];
    if (pre) return pre;
    const { deviceId, seq } = p.record;
    const k = recordKey(deviceId, seq);
    const first = firstOf.get(k);
    if (first) return repeatVerdict(p, first);
    const verdict: RecordVerdict = stored.has(k)
      ? { deviceId, seq, verdict: 'stored' }
      : !owned.has(deviceId)
        ? rejected(deviceId, seq, 'device-not-bonded')
        : conflicts.has(k)
          ? rejected(deviceId, seq, 'seq-conflict')
          : { deviceId, seq, verdict: 'duplicate' };
    firstOf.set(k, { bytes: p.recordBytes, verdict });
    return verdict;
  });
  return summarize(results);
}

/**
 * A later copy of a (device, seq) inside one batch shares its first copy's fate:
 * the same bytes are a duplicate of a stored record (or rejected like the first),
 * different bytes are a seq-conflict — never "duplicate", which tells the phone
 * its bytes are safe to delete. A copy of a device not bonded to the account is
 * rejected like the first.
 */
function repeatVerdict(p: PreparedRecord, first: { bytes: Buffer; verdict: RecordVerdict }): RecordVerdict {
  const { deviceId, seq } = p.record;
  const v = first.verdict;
  if (v.verdict === 'rejected') return p.recordBytes.equals(first.bytes) || v.code === 'device-not-bonded' ? v : rejected(deviceId, seq, 'seq-conflict');
  return p.recordBytes.equals(first.bytes) ? { deviceId, seq, verdict: 'duplicate' } : rejected(deviceId, seq, 'seq-conflict');
}
