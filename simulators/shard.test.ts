import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.ts';
import { decodeLedgerPart, encodeLedgerPart, Ledger, mergeLedgerParts } from './ledger.ts';
import { runOffline } from './offline-run.ts';

const START_S = 1_767_225_600;

function run(devices: number, shard: { index: number; count: number }, seed = 7) {
  const fleet = createFleet({ seed, devices, shard }, START_S);
  const ledger = new Ledger(fleet);
  runOffline(fleet, ledger, { days: 3, drain: true });
  ledger.close();
  return { fleet, ledger };
}

describe('sharded fleets', () => {
  it('cut the households into contiguous slices that tile the fleet', () => {
    const whole = run(600, { index: 1, count: 1 }).fleet;
    let next = 0;
    for (let i = 1; i <= 3; i++) {
      const f = createFleet({ seed: 7, devices: 600, shard: { index: i, count: 3 } }, START_S);
      expect(f.deviceFrom).toBe(next);
      expect(f.deviceTo).toBeGreaterThan(f.deviceFrom);
      expect(f.hhFirstDevice).toEqual(whole.hhFirstDevice);
      next = f.deviceTo;
    }
    expect(next).toBe(600);
  });

  it.each([1, 2, 3])('merge %i parts into the digest and totals of one process', (count) => {
    const single = run(600, { index: 1, count: 1 }).ledger;
    const parts = Array.from({ length: count }, (_, i) => decodeLedgerPart(encodeLedgerPart(run(600, { index: i + 1, count }).ledger.part())));
    const merged = mergeLedgerParts(parts.reverse());
    expect(merged.totals.stored).toBeGreaterThan(1000);
    expect(merged.totals).toEqual(single.totals());
    expect(merged.digest).toBe(single.digest());
  });

  it('a shard alone simulates only its slice, so its digest is not the whole run', () => {
    const { fleet, ledger } = run(600, { index: 2, count: 3 });
    for (let d = 0; d < fleet.deviceCount; d++) if (!fleet.inSlice(d)) expect(fleet.seq[d]).toBe(0);
    expect(ledger.totals().stored).toBeGreaterThan(0);
    expect(ledger.digest()).not.toBe(run(600, { index: 1, count: 1 }).ledger.digest());
  });

  it('refuse to merge an incomplete, doubled, foreign or damaged set of parts', () => {
    const a = run(400, { index: 1, count: 2 }).ledger.part();
    const b = run(400, { index: 2, count: 2 }).ledger.part();
    expect(() => mergeLedgerParts([a])).toThrow(/shard 2\/2 missing/);
    expect(() => mergeLedgerParts([a, a])).toThrow(/1\/2 is there twice/);
    expect(() => mergeLedgerParts([a, run(400, { index: 2, count: 2 }, 8).ledger.part()])).toThrow(/different fleets/);
    const bytes = encodeLedgerPart(b);
    expect(() => decodeLedgerPart(bytes.subarray(0, bytes.length - 4), 'b.ledger')).toThrow(/b\.ledger is truncated/);
    // One stored record more in one shard changes the merged digest.
    const tampered = decodeLedgerPart(bytes);
    tampered.columns[3]![0]!++;
    expect(mergeLedgerParts([a, tampered]).digest).not.toBe(mergeLedgerParts([a, b]).digest);
  });

  it('reject a shard option that does not fit', () => {
    expect(() => createFleet({ devices: 10, shard: { index: 3, count: 2 } }, START_S)).toThrow(/shard\.index/);
    expect(() => createFleet({ devices: 3, shard: { index: 1, count: 50 } }, START_S)).toThrow(/more than the fleet's/);
  });
});
