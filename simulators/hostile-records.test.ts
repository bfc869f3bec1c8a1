import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSessionRecord, sessionRecordSigningBytes, unpackSignedRecord } from '../contract/record.ts';
import { advanceFleet } from './device.ts';
import { deviceKeySeed, privateKeyFromSeed, publicKeyOf } from './device-keys.ts';
import { createFleet } from './fleet.ts';
import { HOSTILE_EXPECTED, HOSTILE_KINDS, produceHostileRecords } from './hostile-records.ts';
import { Ledger } from './ledger.ts';

const START = 1_767_225_600; // 2026-01-01T00:00:00Z
const RULES = { lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 };

function world(devices = 90, seed = 9, shard?: { index: number; count: number }) {
  const fleet = createFleet({ seed, devices, ...(shard ? { shard } : {}) }, START);
  advanceFleet(fleet, START + 86_400, new Ledger(fleet, RULES));
  return fleet;
}

const verifies = (fleet: ReturnType<typeof world>, d: number, bytes: Uint8Array) => {
  const { record, signature } = unpackSignedRecord(bytes);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKeyOf(privateKeyFromSeed(deviceKeySeed(fleet.seed, d))).toString('base64url') }, format: 'jwk' });
  return verify(null, sessionRecordSigningBytes(record), key, signature);
};

describe('hostile records', () => {
  it('makes each kind in turn, each breaking exactly the rule its expected refusal names', () => {
    const fleet = world();
    const seqs = Array.from(fleet.seq);
    const records = produceHostileRecords(fleet, 0, START + 86_400, 300);
    expect(records).toHaveLength(300);
    for (const kind of HOSTILE_KINDS) expect(records.filter((r) => r.kind === kind)).toHaveLength(100);
    for (const r of records) {
      const record = decodeSessionRecord(unpackSignedRecord(r.bytes).record);
      expect([record.deviceId, record.seq]).toEqual([fleet.deviceId(r.d), r.seq]);
      const home = fleet.householdOfDevice(r.d);
      const phoneHome = fleet.phoneHousehold[r.phone];
      expect(r.phone).toBe(fleet.hhFirstPhone[phoneHome!]);
      if (r.kind === 'replayed-elsewhere') {
        // Genuinely signed by the device, a seq it made, uploaded by a phone of another home: only ownership refuses it.
        expect(verifies(fleet, r.d, r.bytes)).toBe(true);
        expect(phoneHome).not.toBe(home);
        expect(r.seq).toBeLessThanOrEqual(Math.max(1, seqs[r.d]!)); // its next one, if it made none yet
        expect(HOSTILE_EXPECTED[r.kind]).toBe('device-not-bonded');
      } else {
        // The phone's own home's device, its next seq, and a signature that does not verify under its key.
        expect(verifies(fleet, r.d, r.bytes)).toBe(false);
        expect(phoneHome).toBe(home);
        expect(r.seq).toBe(seqs[r.d]! + 1);
        expect(HOSTILE_EXPECTED[r.kind]).toBe('signature-invalid');
      }
    }
    // Nothing the honest world sees moved.
    expect(Array.from(fleet.seq)).toEqual(seqs);
  });

  it('is the same for the same seed, day and time, and differs by day', () => {
    const a = produceHostileRecords(world(), 1, START + 86_400, 60).map((r) => Buffer.from(r.bytes).toString('hex'));
    const b = produceHostileRecords(world(), 1, START + 86_400, 60).map((r) => Buffer.from(r.bytes).toString('hex'));
    const c = produceHostileRecords(world(), 2, START + 86_400, 60).map((r) => Buffer.from(r.bytes).toString('hex'));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('shards split the day between them: the forged and tampered records of the shards are the whole run\'s', () => {
    const own = (rs: ReturnType<typeof produceHostileRecords>) => rs.filter((r) => r.kind !== 'replayed-elsewhere').map((r) => Buffer.from(r.bytes).toString('hex')).sort();
    const whole = produceHostileRecords(world(), 0, START + 86_400, 120);
    const parts = [1, 2, 3].map((index) => produceHostileRecords(world(90, 9, { index, count: 3 }), 0, START + 86_400, 120));
    expect(parts.every((p) => p.length > 0 && p.length < 120)).toBe(true);
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(120);
    expect(own(parts.flat())).toEqual(own(whole));
  });

  it('with one home there is nobody else to replay from: those turns are forged instead', () => {
    const fleet = createFleet({ seed: 3, devices: 1 }, START);
    const records = produceHostileRecords(fleet, 0, START + 3600, 9);
    expect(records.map((r) => r.kind).sort()).toEqual([...Array(6).fill('forged'), ...Array(3).fill('tampered')]);
  });
});
