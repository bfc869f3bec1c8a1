import { describe, expect, it } from 'vitest';
import { advanceFleet } from './device.ts';
import { edgeExpectation, produceTimeEdges, TIME_EDGES } from './edges.ts';
import { createFleet } from './fleet.ts';
import { Ledger, type PlatformRules } from './ledger.ts';

const START = 1_767_225_600; // 2026-01-01T00:00:00Z

function world(rules: PlatformRules, recordsPerEdge = 7, seed = 5) {
  const fleet = createFleet({ seed, devices: 150, edges: { recordsPerEdge, recordsPerDevice: 3 } }, START);
  const ledger = new Ledger(fleet, rules);
  const endS = START + 2 * 86_400;
  advanceFleet(fleet, endS, ledger);
  return { fleet, ledger, records: produceTimeEdges(fleet, rules, endS, ledger), endS };
}

describe('time-rule edges', () => {
  it.each([
    { lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 },
    { lateWindowSeconds: 7 * 86_400, futureSkewSeconds: 300 },
  ])('aims recordsPerEdge records at each edge of the rules given (%o), each exactly where its edge says', (rules) => {
    const { ledger, records, endS } = world(rules);
    expect(records).toHaveLength(7 * TIME_EDGES.length);
    for (let e = 0; e < TIME_EDGES.length; e++) expect(records.filter((r) => r.edge === e)).toHaveLength(7);
    for (const r of records) {
      const edge = TIME_EDGES[r.edge]!;
      const past = edge.rule === 'late-window' ? r.uploadS - r.record.startedAt - rules.lateWindowSeconds : r.record.startedAt - r.uploadS - rules.futureSkewSeconds;
      expect(past, edge.label).toBe(edge.pastS);
      expect(ledger.expect(r.record.startedAt, r.uploadS * 1000), edge.label).toBe(edgeExpectation(edge));
      expect(r.madeS).toBeGreaterThan(endS);
      expect(r.uploadS).toBeGreaterThanOrEqual(r.madeS);
      expect(r.record.seq).toBe(r.seq);
    }
    // In upload order, so the platform clock only moves forward.
    for (let i = 1; i < records.length; i++) expect(records[i]!.uploadS).toBeGreaterThanOrEqual(records[i - 1]!.uploadS);
    // Each edge device serves one edge (a device whose clock runs ahead runs ahead on every record).
    const edgeOf = new Map<number, number>();
    for (const r of records) {
      expect(edgeOf.get(r.d) ?? r.edge, `device ${r.d}`).toBe(r.edge);
      edgeOf.set(r.d, r.edge);
    }
  });

  it('is booked like any production: the records are produced and relayed in the ledger, seqs continue the device\'s', () => {
    const rules = { lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 };
    const before = world(rules, 0);
    const after = world(rules);
    expect(after.ledger.totals().produced - before.ledger.totals().produced).toBe(7 * TIME_EDGES.length);
    expect(after.ledger.totals().relayed - before.ledger.totals().relayed).toBe(7 * TIME_EDGES.length);
    expect(after.ledger.totals().lostAtDevice).toBe(before.ledger.totals().lostAtDevice);
  });

  it('is the same for a seed and different for another', () => {
    const rules = { lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 };
    const strip = (w: ReturnType<typeof world>) => w.records.map(({ d, seq, uploadS, record }) => [d, seq, uploadS, record.startedAt]);
    expect(strip(world(rules))).toEqual(strip(world(rules)));
    expect(strip(world(rules, 7, 6))).not.toEqual(strip(world(rules)));
  });

  it('refuses to aim more records than the slice has devices for, naming the knob', () => {
    expect(() => world({ lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 }, 100)).toThrow(/edges\.recordsPerEdge 100 needs 340 devices/);
  });
});
