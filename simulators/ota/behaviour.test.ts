import { describe, expect, it } from 'vitest';
import { Draw } from '../seed.ts';
import { bootsHealthy, checkBehaviour, chunkArrivesCorrupt, goesQuiet, type DeviceConditions } from './behaviour.ts';

const draw = new Draw(7);
const T = 1_767_225_600;
const at = (over: Partial<DeviceConditions> = {}): DeviceConditions => ({ nowS: T, confirmedAtS: T - 3600, firstChargeAtS: 0, batteryPct: 80, headType: 'adult-clean', ...over });

describe('firmware behaviours', () => {
  it('good: never corrupts, always boots, never goes quiet', () => {
    const good = { kind: 'good' } as const;
    expect(chunkArrivesCorrupt(good, draw, 1, 1, 5, 10)).toBe(false);
    expect(bootsHealthy(good, draw, 1, 1, { headType: null })).toBe(true);
    expect(goesQuiet(good, draw, 1, 0, at({ nowS: T + 1e7 }))).toBe(false);
  });

  it('corrupt-in-transfer: flips its chunk, with its probability per download', () => {
    const always = { kind: 'corrupt-in-transfer', chunk: 2 } as const;
    expect([0, 1, 2, 3].map((c) => chunkArrivesCorrupt(always, draw, 1, 1, c, 4))).toEqual([false, false, true, false]);
    const some = { kind: 'corrupt-in-transfer', probability: 0.25 } as const;
    let hits = 0;
    for (let d = 0; d < 4000; d++) if (chunkArrivesCorrupt(some, draw, d, 1, 5, 10)) hits++;
    expect(hits / 4000).toBeGreaterThan(0.2);
    expect(hits / 4000).toBeLessThan(0.3);
  });

  it('boot-loop: crashes while booting; the head fault only with its head type', () => {
    expect(bootsHealthy({ kind: 'boot-loop' }, draw, 1, 1, { headType: null })).toBe(false);
    const head = { kind: 'head-fault', headType: 'adult-whitening', effect: 'boot-loop' } as const;
    expect(bootsHealthy(head, draw, 1, 1, { headType: 'adult-whitening' })).toBe(false);
    expect(bootsHealthy(head, draw, 1, 1, { headType: 'adult-clean' })).toBe(true);
  });

  it('quiet-death: only after its post-boot condition, never before a confirm', () => {
    const charge = { kind: 'quiet-death', hoursAfterFirstCharge: 6 } as const;
    expect(goesQuiet(charge, draw, 1, 0, at())).toBe(false); // no charge yet
    expect(goesQuiet(charge, draw, 1, 0, at({ firstChargeAtS: T - 5 * 3600 }))).toBe(false);
    expect(goesQuiet(charge, draw, 1, 0, at({ firstChargeAtS: T - 6 * 3600 }))).toBe(true);
    expect(goesQuiet(charge, draw, 1, 0, at({ firstChargeAtS: T - 7 * 3600, confirmedAtS: 0 }))).toBe(false);
    const battery = { kind: 'quiet-death', batteryBelowPct: 20 } as const;
    expect([25, 20, 19].map((batteryPct) => goesQuiet(battery, draw, 1, 0, at({ batteryPct })))).toEqual([false, false, true]);
    const some = { kind: 'quiet-death', hoursAfterBoot: 0, affectedShare: 0.5 } as const;
    let quiet = 0;
    for (let d = 0; d < 2000; d++) if (goesQuiet(some, draw, d, 3, at())) quiet++;
    expect(Math.abs(quiet - 1000)).toBeLessThan(100);
  });

  it('head-fault quiet: only devices with that head fitted go quiet', () => {
    const b = { kind: 'head-fault', headType: 'kids', effect: 'quiet' } as const;
    expect(goesQuiet(b, draw, 1, 0, at({ headType: 'kids' }))).toBe(true);
    expect(goesQuiet(b, draw, 1, 0, at({ headType: 'adult-clean' }))).toBe(false);
  });

  it('refuses malformed behaviours, naming the field', () => {
    expect(() => checkBehaviour({ kind: 'quiet-death' })).toThrow(/needs a condition/);
    expect(() => checkBehaviour({ kind: 'boot-loop', probability: 2 })).toThrow(/probability/);
    expect(() => checkBehaviour({ kind: 'meltdown' } as never)).toThrow(/kind/);
  });
});
