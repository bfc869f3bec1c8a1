import { describe, expect, it } from 'vitest';
import { inferHeadType } from '../contract/head-id.ts';
import { encodeSessionRecord } from '../contract/record.ts';
import { expectedSessionsPerDay, sessionsOfDay } from './brushing.ts';
import { advanceFleet, clockOffsetS, recordTimes, sessionRecordOf } from './device.ts';
import { createFleet, type Fleet } from './fleet.ts';
import { headIdOf } from './heads.ts';
import { Identities } from './identities.ts';
import { Ledger } from './ledger.ts';
import { LINE_ADULT, LINE_INTERDENTAL, LINE_KIDS } from './lines.ts';
import { opensAppAt } from './phone.ts';

const START = 1_767_225_600; // 2026-01-01T00:00:00Z, the platform's virtual epoch
const DAY = 86_400;
const noop = { onProduced: () => {} };

function fleet1000(options: Parameters<typeof createFleet>[0] = {}): Fleet {
  return createFleet({ seed: 2026, devices: 1000, ...options }, START);
}

function byLine(f: Fleet): number[][] {
  const lines: number[][] = [[], [], []];
  for (let d = 0; d < f.deviceCount; d++) lines[f.kind[d]! & 3]!.push(d);
  return lines;
}

describe('households', () => {
  const f = fleet1000();

  it('have 1–4 people, 1–3 devices and 1–2 phones', () => {
    for (let h = 0; h < f.householdCount; h++) {
      const devices = f.hhFirstDevice[h + 1]! - f.hhFirstDevice[h]!;
      const phones = f.hhFirstPhone[h + 1]! - f.hhFirstPhone[h]!;
      expect(f.hhPeople[h]).toBeGreaterThanOrEqual(1);
      expect(f.hhPeople[h]).toBeLessThanOrEqual(4);
      expect(devices).toBeGreaterThanOrEqual(1);
      expect(devices).toBeLessThanOrEqual(3);
      expect(phones).toBeGreaterThanOrEqual(1);
      expect(phones).toBeLessThanOrEqual(2);
    }
    expect(f.hhFirstDevice[f.householdCount]).toBe(1000);
  });

  it('own adult brushes, kids brushes and interdental devices in realistic proportions', () => {
    const [adult, kids, interdental] = byLine(f).map((l) => l.length / f.deviceCount) as [number, number, number];
    expect(adult).toBeGreaterThan(0.6);
    expect(adult).toBeLessThan(0.8);
    expect(kids).toBeGreaterThan(0.12);
    expect(kids).toBeLessThan(0.28);
    expect(interdental).toBeGreaterThan(0.05);
    expect(interdental).toBeLessThan(0.16);
  });

  it('have unique, faker-made identities that depend only on the seed', () => {
    const a = new Identities(2026);
    const b = new Identities(2026);
    const emails = new Set<string>();
    for (let h = 0; h < 500; h++) {
      const id = a.of(h);
      expect(id).toEqual(b.of(h));
      expect(id.email).toMatch(/^[a-z]+\.[a-z]+\.h[0-9a-z]+\.[0-9a-z]+@example\.com$/);
      expect(id.password.length).toBeGreaterThanOrEqual(10);
      emails.add(id.email);
    }
    expect(emails.size).toBe(500);
    expect(new Identities(2027).of(0).email).not.toBe(a.of(0).email);
  });
});

describe('brushing', () => {
  const f = fleet1000();
  const DAYS = 30;
  const out = new Int32Array(4);

  it('brushes average about two sessions a day (the configured mean, within 3 %), interdental devices far fewer', () => {
    const [adult, kids, interdental] = byLine(f);
    const perDay = (devices: number[]) => {
      let n = 0;
      for (const d of devices) for (let day = 0; day < DAYS; day++) n += sessionsOfDay(f, d, day, out);
      return n / (devices.length * DAYS);
    };
    const brushRate = perDay([...adult!, ...kids!]);
    const expected = expectedSessionsPerDay(f.options, LINE_ADULT);
    expect(expected).toBeGreaterThan(1.85);
    expect(expected).toBeLessThan(2.05);
    expect(Math.abs(brushRate - expected) / expected).toBeLessThan(0.03);
    const idRate = perDay(interdental!);
    expect(Math.abs(idRate - f.options.brushing.interdentalPerDay)).toBeLessThan(0.06);
  });

  it('has a morning and an evening rhythm, and some skipped days', () => {
    let morning = 0;
    let evening = 0;
    let other = 0;
    let skipped = 0;
    let brushDays = 0;
    for (let d = 0; d < f.deviceCount; d++) {
      if ((f.kind[d]! & 3) === LINE_INTERDENTAL) continue;
      for (let day = 0; day < DAYS; day++) {
        const n = sessionsOfDay(f, d, day, out);
        brushDays++;
        if (n === 0) skipped++;
        for (let i = 0; i < n; i++) {
          const hour = out[i]! / 3600;
          if (hour >= 6 && hour < 10) morning++;
          else if (hour >= 20 && hour < 23) evening++;
          else other++;
        }
      }
    }
    const total = morning + evening + other;
    expect(morning / total).toBeGreaterThan(0.45);
    expect(evening / total).toBeGreaterThan(0.45);
    expect(other / total).toBeLessThan(0.05);
    expect(skipped / brushDays).toBeGreaterThan(0.01);
    expect(skipped / brushDays).toBeLessThan(0.04);
  });

  it('records are in range and recompute to the same bytes', () => {
    const g = fleet1000();
    advanceFleet(g, START + 10 * DAY, noop);
    for (let d = 0; d < g.deviceCount; d += 37) {
      const from = Math.max(1, g.seq[d]! - g.ringCapacity + 1);
      const times: number[] = [];
      recordTimes(g, d, from, times);
      for (let s = from; s <= g.seq[d]!; s++) {
        const t = times[s - from]!;
        expect(t).toBeGreaterThan(START);
        expect(t).toBeLessThanOrEqual(START + 10 * DAY);
        const a = encodeSessionRecord(sessionRecordOf(g, d, s, t));
        expect(Buffer.from(encodeSessionRecord(sessionRecordOf(g, d, s, t))).equals(Buffer.from(a))).toBe(true);
      }
    }
  });
});

describe('heads', () => {
  it('are replaced about every 90 days, and some new heads are unknown to the platform', () => {
    const f = fleet1000();
    advanceFleet(f, START + 360 * DAY, noop);
    const [adult] = byLine(f);
    const replacements = adult!.reduce((n, d) => n + f.headGen[d]!, 0) / adult!.length;
    expect(replacements).toBeGreaterThan(3.2); // 360 days / 90 = 4
    expect(replacements).toBeLessThan(4.8);
    let unknown = 0;
    let heads = 0;
    for (let d = 0; d < f.deviceCount; d++) {
      for (let gen = 0; gen <= f.headGen[d]!; gen++, heads++) if (inferHeadType(headIdOf(f, d, gen)) === 'unknown') unknown++;
    }
    expect(unknown / heads).toBeGreaterThan(0.015);
    expect(unknown / heads).toBeLessThan(0.05);
  });

  it('known heads fit the device line (kids brushes never get whitening heads, interdental devices only tips)', () => {
    const f = fleet1000({ heads: { unknownHeadProbability: 0 } });
    for (let d = 0; d < f.deviceCount; d++) {
      const type = inferHeadType(headIdOf(f, d, 1));
      if ((f.kind[d]! & 3) === LINE_INTERDENTAL) expect(type).toBe('interdental-tip');
      if ((f.kind[d]! & 3) === LINE_KIDS) expect(['adult-clean', 'adult-sensitive', 'kids']).toContain(type);
    }
  });
});

describe('device clocks', () => {
  it('drift within the configured bound', () => {
    const f = fleet1000();
    const o = f.options.clock;
    for (let d = 0; d < f.deviceCount; d++) {
      const off = clockOffsetS(f, d, START + 100 * DAY);
      expect(Math.abs(off)).toBeLessThanOrEqual(o.maxInitialOffsetS + (o.maxDriftPpm * 100 * DAY) / 1e6 + 1);
    }
  });

  it('sometimes reset: the stamped records carry clockReset and a startedAt the platform will reject as too-late', () => {
    const f = fleet1000({ clock: { resetPerDay: 0.05 } });
    advanceFleet(f, START + 20 * DAY, noop);
    const ledger = new Ledger(f);
    let stamped = 0;
    for (let d = 0; d < f.deviceCount; d++) {
      const from = Math.max(1, f.seq[d]! - f.ringCapacity + 1);
      const times: number[] = [];
      recordTimes(f, d, from, times);
      for (let s = from; s <= f.seq[d]!; s++) {
        const r = sessionRecordOf(f, d, s, times[s - from]!);
        if (!r.clockReset) continue;
        stamped++;
        expect(r.startedAt).toBeLessThan(START - 365 * DAY);
        expect(ledger.expect(r.startedAt, (START + 20 * DAY) * 1000)).toBe('too-late');
      }
    }
    expect(stamped).toBeGreaterThan(50);
  });
});

describe('phones', () => {
  it('open the app on about the configured share of days (lazy phones far less often)', () => {
    const f = fleet1000();
    const o = f.options.phones;
    let opens = 0;
    for (let p = 0; p < f.phoneCount; p++) for (let day = 0; day < 30; day++) if (opensAppAt(f, p, day) >= 0) opens++;
    const expected = o.openPerDay * (1 - o.lazyFraction) + o.lazyOpenPerDay * o.lazyFraction;
    expect(Math.abs(opens / (f.phoneCount * 30) - expected)).toBeLessThan(0.04);
  });
});
