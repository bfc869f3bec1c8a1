import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.ts';
import type { FleetOptions } from './fleet-options.ts';
import { encodeSessionRecord, packSignedRecord } from '../contract/record.ts';
import { sessionRecordOf } from './device.ts';
import { contentHash, contentKey, Ledger } from './ledger.ts';
import { runOffline } from './offline-run.ts';
import { syncPhone } from './phone.ts';

const START = 1_767_225_600;

function offline(options: FleetOptions, days: number) {
  const fleet = createFleet(options, START);
  const ledger = new Ledger(fleet);
  const { platform } = runOffline(fleet, ledger, { days });
  const violations = ledger.close();
  return { fleet, ledger, platform, violations, totals: ledger.totals() };
}

describe('ledger digest', () => {
  it('same seed, options and code → same digest; another seed → another digest', () => {
    const a = offline({ seed: 11, devices: 300 }, 5);
    const b = offline({ seed: 11, devices: 300 }, 5);
    const c = offline({ seed: 12, devices: 300 }, 5);
    expect(a.ledger.digest()).toMatch(/^[0-9a-f]{64}$/);
    expect(b.ledger.digest()).toBe(a.ledger.digest());
    expect(c.ledger.digest()).not.toBe(a.ledger.digest());
    expect(b.totals).toEqual(a.totals);
  });

  it('another behaviour knob → another digest', () => {
    const a = offline({ seed: 11, devices: 300 }, 5);
    const b = offline({ seed: 11, devices: 300, phones: { openPerDay: 0.5 } }, 5);
    expect(b.ledger.digest()).not.toBe(a.ledger.digest());
  });
});

describe('ledger accounting (pure run against the model platform)', () => {
  const run = offline({ seed: 5, devices: 1000 }, 12);

  it('balances: produced = lost + pending + relayed, and every relayed record is stored or explicitly rejected', () => {
    const t = run.totals;
    expect(run.violations).toEqual([]);
    expect(t.violations).toBe(0);
    expect(t.produced).toBe(t.lostAtDevice + t.pendingAtDevice + t.relayed);
    expect(t.relayed).toBe(t.stored + t.rejected);
    expect(t.pendingAtDevice).toBe(0); // the drain relays what is left in every ring
  });

  it('agrees with what the platform stored, device by device (count, max seq, seq sum)', () => {
    for (let d = 0; d < run.fleet.deviceCount; d++) {
      const s = run.platform.storedOf(d);
      expect([s.count, s.max, s.sum]).toEqual([run.ledger.stored[d], run.ledger.storedMax[d], run.ledger.storedSum[d]]);
    }
  });

  it('is not vacuous: duplicates, late copies, reordered arrivals, replays and too-late rejections all happened', () => {
    const t = run.totals;
    expect(t.duplicateVerdicts).toBeGreaterThan(t.relayed * 0.05);
    expect(t.lateCopies).toBeGreaterThan(t.copies * 0.05);
    expect(t.reorderedStores).toBeGreaterThan(0);
    expect(t.replays).toBeGreaterThan(0);
    expect(t.rejectionsByCode['too-late']).toBeGreaterThan(0);
  });
});

describe('ring-buffer loss', () => {
  it('records overwritten before any phone collected them are lost at the device, and only those', () => {
    // No phone syncs during the run; the end-of-run drain takes what is left.
    const run = offline({ seed: 3, devices: 200, device: { ringCapacity: 6 }, phones: { openPerDay: 0, lazyOpenPerDay: 0 } }, 8);
    const N = 6;
    let lost = 0;
    for (let d = 0; d < run.fleet.deviceCount; d++) {
      const produced = run.fleet.seq[d]!;
      expect(run.ledger.lost[d]).toBe(Math.max(0, produced - N));
      expect(run.ledger.relayed[d]).toBe(Math.min(produced, N));
      const s = run.platform.storedOf(d);
      expect(s.count + run.ledger.rejected[d]!).toBe(Math.min(produced, N));
      if (run.ledger.rejected[d] === 0 && produced > 0) expect(s.max).toBe(produced);
      lost += run.ledger.lost[d]!;
    }
    expect(lost).toBeGreaterThan(1000);
    expect(run.totals.lostAtDevice).toBe(lost);
    expect(run.violations).toEqual([]);
  });

  it('a record a phone took is not lost when the ring later overwrites it', () => {
    const N = 3;
    const fleet = createFleet({ seed: 4, devices: 50, device: { ringCapacity: N }, phones: { inRange: 1, reinstallPerSync: 0 } }, START);
    const ledger = new Ledger(fleet);
    const h = fleet.phoneHousehold[0]!;
    syncPhone(fleet, 0, START + 86_400, ledger); // takes everything of day 1
    const taken = fleet.hhFirstDevice[h + 1]! - fleet.hhFirstDevice[h]!;
    const atSync = Array.from({ length: taken }, (_, i) => fleet.seq[fleet.hhFirstDevice[h]! + i]!);
    syncPhone(fleet, 0, START + 5 * 86_400, ledger); // four days later: the ring overwrote what it took and more
    for (let i = 0; i < taken; i++) {
      const d = fleet.hhFirstDevice[h]! + i;
      const lostBefore = Math.max(0, atSync[i]! - N);
      expect(ledger.lost[d]).toBe(lostBefore + Math.max(0, fleet.seq[d]! - atSync[i]! - N));
      expect(ledger.relayed[d]).toBe(fleet.seq[d]! - ledger.lost[d]!);
    }
  });
});

describe('ledger checks catch a platform that misbehaves', () => {
  function collected() {
    const fleet = createFleet({ seed: 8, devices: 20, phones: { inRange: 1, reinstallPerSync: 0 } }, START);
    const ledger = new Ledger(fleet);
    const t = START + 86_400;
    const c = syncPhone(fleet, 0, t, ledger);
    expect(c.seqs.length).toBeGreaterThan(1);
    return { fleet, ledger, c, nowMs: (t + 3600) * 1000, startedAt: t - 600 };
  }

  it('a record stored twice', () => {
    const { ledger, c, nowMs, startedAt } = collected();
    ledger.recordVerdict(c.devices[0]!, c.seqs[0]!, startedAt, nowMs, 'stored');
    ledger.recordVerdict(c.devices[0]!, c.seqs[0]!, startedAt, nowMs, 'stored');
    expect(ledger.violations().map((v) => v.check)).toContain('stored-twice');
  });

  it('a record only ever answered duplicate (never stored: lost by the platform)', () => {
    const { ledger, c, nowMs, startedAt } = collected();
    for (let i = 0; i < c.seqs.length; i++) ledger.recordVerdict(c.devices[i]!, c.seqs[i]!, startedAt, nowMs, i === 0 ? 'duplicate' : 'stored');
    expect(ledger.close().map((v) => v.check)).toEqual(['relayed-not-answered']);
    expect(ledger.totals().unanswered).toBe(1);
  });

  it('a rejection the time rules do not predict, and an acceptance they forbid', () => {
    const { ledger, c, nowMs, startedAt } = collected();
    ledger.recordVerdict(c.devices[0]!, c.seqs[0]!, startedAt, nowMs, 'rejected', 'signature-invalid');
    ledger.recordVerdict(c.devices[1]!, c.seqs[1]!, startedAt - 40 * 86_400, nowMs, 'stored');
    expect(ledger.violations().map((v) => v.check)).toEqual(['unexpected-rejection', 'stored-despite-time-rule']);
  });

  it('a verdict for a record no phone relayed', () => {
    const { ledger, c, nowMs, startedAt } = collected();
    ledger.recordVerdict(c.devices[0]!, 10_000, startedAt, nowMs, 'stored');
    expect(ledger.violations().map((v) => v.check)).toEqual(['verdict-for-unrelayed']);
  });
});

describe('ledger content digest (what ING-1 compares besides counts)', () => {
  function booked() {
    const fleet = createFleet({ seed: 8, devices: 20, phones: { inRange: 1, reinstallPerSync: 0 } }, START);
    const t = START + 86_400;
    const ledger = new Ledger(fleet);
    const c = syncPhone(fleet, 0, t, ledger);
    const records = c.seqs.map((seq, i) => encodeSessionRecord(sessionRecordOf(fleet, c.devices[i]!, seq, c.times[i]!)));
    return { fleet, ledger, c, records, nowMs: (t + 3600) * 1000 };
  }
  const startedAtOf = (r: Uint8Array) => new DataView(r.buffer, r.byteOffset).getUint32(14);
  const other = (r: Uint8Array) => {
    const o = Uint8Array.from(r);
    o[19] = o[19]! ^ 1; // one second more or less brushed: another valid-looking copy of the same (device, seq)
    return o;
  };

  it('is the sum of the first stored copies\' hashes: independent of arrival order; duplicates, rejections and later copies change nothing', () => {
    const a = booked();
    const b = booked();
    const n = a.c.seqs.length;
    for (let i = 0; i < n; i++) a.ledger.recordVerdict(a.c.devices[i]!, a.c.seqs[i]!, startedAtOf(a.records[i]!), a.nowMs, 'stored', undefined, a.records[i]);
    for (let i = n - 1; i >= 0; i--) {
      const r = b.records[i]!;
      b.ledger.recordVerdict(b.c.devices[i]!, b.c.seqs[i]!, startedAtOf(r), b.nowMs, 'stored', undefined, packSignedRecord(r, new Uint8Array(64).fill(i)));
      b.ledger.recordVerdict(b.c.devices[i]!, b.c.seqs[i]!, startedAtOf(r), b.nowMs, 'duplicate', undefined, r);
      b.ledger.recordVerdict(b.c.devices[i]!, b.c.seqs[i]!, startedAtOf(r), b.nowMs, 'rejected', 'seq-conflict', other(r));
    }
    expect(Array.from(b.ledger.storedContent)).toEqual(Array.from(a.ledger.storedContent));
    const key = contentKey(a.fleet.seed);
    const d = a.c.devices[0]!;
    let want = 0;
    for (let i = 0; i < n; i++) if (a.c.devices[i] === d) want = (want + contentHash(key, a.records[i]!)) % 0x1_0000_0000;
    expect(a.ledger.storedContent[d]).toBe(want);
    expect(want).not.toBe(0);
    expect(a.ledger.storedWithoutContent).toBe(0);
  });

  it('tells copies apart: another duration is another hash; the signature and the headChanged flag (not served back) are not content', () => {
    const { fleet, records } = booked();
    const key = contentKey(fleet.seed);
    const r = records[0]!;
    const flagged = Uint8Array.from(r);
    flagged[1] = flagged[1]! | 0b10;
    expect(contentHash(key, other(r))).not.toBe(contentHash(key, r));
    expect(contentHash(key, packSignedRecord(r, new Uint8Array(64)))).toBe(contentHash(key, r));
    expect(contentHash(key, flagged)).toBe(contentHash(key, r));
    expect(contentHash(contentKey(fleet.seed + 1), r)).not.toBe(contentHash(key, r));
  });

  it('a stored verdict booked without its bytes is counted, so the checkers know content is incomplete; the digest covers the content column', () => {
    const a = booked();
    const b = booked();
    a.ledger.recordVerdict(a.c.devices[0]!, a.c.seqs[0]!, startedAtOf(a.records[0]!), a.nowMs, 'stored');
    b.ledger.recordVerdict(b.c.devices[0]!, b.c.seqs[0]!, startedAtOf(b.records[0]!), b.nowMs, 'stored', undefined, b.records[0]);
    expect(a.ledger.storedWithoutContent).toBe(1);
    expect(b.ledger.storedWithoutContent).toBe(0);
    expect(b.ledger.digest()).not.toBe(a.ledger.digest());
  });
});
