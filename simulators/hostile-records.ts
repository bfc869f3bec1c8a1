import { encodeSessionRecord, packSignedRecord, SESSION_RECORD_FIELD_RANGES, sessionRecordSigningBytes } from '../contract/record.ts';
import { sessionRecordOf } from './device.ts';
import { deviceKeySeed, privateKeyFromSeed, signWith } from './device-keys.ts';
import type { Fleet } from './fleet.ts';
import { TOPIC } from './topics.ts';

/**
 * What a hostile phone does with records (issue #18, "hostile phones inside every scenario"):
 * - `forged`: a record for a device of its own home, signed with a key that is not the
 *   device's (derived like a device key, for an index past the fleet), for the device's next seq;
 * - `tampered`: the device's genuine next record, signed by the device, then changed on the
 *   phone (the duration one second longer) before it is uploaded;
 * - `replayed-elsewhere`: a record another home's device made and signed (captured from that
 *   home's upload), uploaded under the hostile phone's own account.
 */
export const HOSTILE_KINDS = Object.freeze(['forged', 'tampered', 'replayed-elsewhere'] as const);
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** The per-record verdict each kind must get: refused, with the rule it breaks. */
export const HOSTILE_EXPECTED: Readonly<Record<HostileKind, 'signature-invalid' | 'device-not-bonded'>> = Object.freeze({
  forged: 'signature-invalid',
  tampered: 'signature-invalid',
  'replayed-elsewhere': 'device-not-bonded',
});

/** One hostile record: uploaded by `phone` (the first phone of a home of the slice), naming device `d`, seq `seq`. */
export interface HostileRecord {
  kind: HostileKind;
  phone: number;
  d: number;
  seq: number;
  /** The record's startedAt (device time, s): the platform's time rules may refuse it first. */
  startedAt: number;
  /** The signed record exactly as the hostile phone uploads it (no BLE framing: the phone made these bytes). */
  bytes: Uint8Array;
}

/**
 * The hostile records of day `day`, uploaded at true time `atS`: `count` of them, the kinds in
 * turn, their devices drawn (seeded) from the whole fleet; a shard makes those of its slice
 * (the others are its siblings'), so the shards of a run together send about `count`.
 * Pure for a seed, the day, `atS` and the fleet's state (the seqs its devices reached): it makes nothing the honest world sees — no
 * seq advances, nothing enters the ledger's books of honest records — so with a platform that
 * refuses them every honest verdict stays what it is without them.
 *
 * Forged and tampered records carry the device's next seq (the platform has not seen it; the
 * device will make it later): a platform that stores one takes the place of the genuine record.
 * Replayed records carry a seq the other device already made, or its next one before it made any.
 */
export function produceHostileRecords(f: Fleet, day: number, atS: number, count: number): HostileRecord[] {
  if (count === 0 || f.sliceDevices === 0) return [];
  const multiHome = f.hhTo - f.hhFrom > 1;
  const out: HostileRecord[] = [];
  const [durMin, durMax] = SESSION_RECORD_FIELD_RANGES.durationS;
  for (let i = 0; i < count; i++) {
    let kind = HOSTILE_KINDS[i % HOSTILE_KINDS.length]!;
    if (kind === 'replayed-elsewhere' && !multiHome) kind = 'forged'; // one home: nobody else to capture from
    // Drawn over the whole fleet, kept where the slice holds it: shards split the day's hostile records between them.
    const own = f.draw.u32(TOPIC.hostileDevice, day, i) % f.deviceCount;
    if (!f.inSlice(own)) continue;
    const phone = f.hhFirstPhone[f.householdOfDevice(own)]!;
    let d = own;
    if (kind === 'replayed-elsewhere') {
      const home = f.householdOfDevice(own);
      // Another device of the slice, of another home: from a seeded start, the first one past the hostile phone's home.
      const start = f.draw.u32(TOPIC.hostileOther, day, i) % f.sliceDevices;
      for (let k = 0; f.householdOfDevice(d) === home; k++) d = f.deviceFrom + ((start + k) % f.sliceDevices);
    }
    const seq = kind === 'replayed-elsewhere' && f.seq[d]! > 0 ? 1 + (f.draw.u32(TOPIC.hostileOther, day, i + count) % f.seq[d]!) : f.seq[d]! + 1;
    const record = sessionRecordOf(f, d, seq, atS);
    const bytes = encodeSessionRecord(record);
    // Forged: the key of another device (index d + deviceCount derives like a device's, and is no device's of this fleet).
    const signer = kind === 'forged' ? d + f.deviceCount : d;
    const signature = signWith(privateKeyFromSeed(deviceKeySeed(f.seed, signer)), sessionRecordSigningBytes(bytes));
    const uploaded = kind === 'tampered' ? encodeSessionRecord({ ...record, durationS: record.durationS < durMax ? record.durationS + 1 : durMin }) : bytes;
    out.push({ kind, phone, d, seq, startedAt: record.startedAt, bytes: packSignedRecord(uploaded, signature) });
  }
  return out.sort((a, b) => a.phone - b.phone || a.d - b.d || a.seq - b.seq || HOSTILE_KINDS.indexOf(a.kind) - HOSTILE_KINDS.indexOf(b.kind));
}
