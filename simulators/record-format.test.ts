import { describe, expect, it } from 'vitest';
import { packFirmwareVersion } from '../contract/firmware-version.ts';
import { BRUSH_MODE_MAX, decodeSessionRecord, encodeSessionRecord, RECORD_FORMAT_2_SINCE, recordFormatFor } from '../contract/record.ts';
import { advanceFleet, recordTimes, sessionRecordOf } from './device.ts';
import { createFleet, type Fleet } from './fleet.ts';
import { FLEET_DEFAULTS } from './fleet-options.ts';
import { LINE_CODES, LINE_INTERDENTAL } from './lines.ts';

const START = 1_767_225_600;
const DAY = 86_400;
const noop = { onProduced: () => {} };

/** Every record still in each device's ring after `days`, as the device wrote it. */
function records(f: Fleet, days: number) {
  advanceFleet(f, START + days * DAY, noop);
  const out: Array<{ d: number; r: ReturnType<typeof sessionRecordOf> }> = [];
  for (let d = 0; d < f.deviceCount; d++) {
    const from = Math.max(1, f.seq[d]! - f.ringCapacity + 1);
    const times: number[] = [];
    recordTimes(f, d, from, times);
    for (let s = from; s <= f.seq[d]!; s++) out.push({ d, r: sessionRecordOf(f, d, s, times[s - from]!) });
  }
  return out;
}

describe('record formats in the simulated fleet', () => {
  it('the newer factory firmware of every line writes format 2, the factory firmware format 1', () => {
    for (const line of LINE_CODES) {
      expect(recordFormatFor(line, packFirmwareVersion(FLEET_DEFAULTS.device.factoryFirmware[line]))).toBe(1);
      expect(recordFormatFor(line, packFirmwareVersion(FLEET_DEFAULTS.device.newerFactoryFirmware[line]))).toBe(2);
      expect(packFirmwareVersion(FLEET_DEFAULTS.device.newerFactoryFirmware[line])).toBeGreaterThanOrEqual(packFirmwareVersion(RECORD_FORMAT_2_SINCE[line]));
    }
  });

  it('by default a seeded share (about 30 %) of devices left the factory on the newer firmware and write format 2; the rest format 1', () => {
    const f = createFleet({ seed: 2026, devices: 1000 }, START);
    const all = records(f, 4);
    const format2Devices = new Set(all.filter((x) => x.r.formatVersion === 2).map((x) => x.d));
    expect(format2Devices.size / f.deviceCount).toBeGreaterThan(0.25);
    expect(format2Devices.size / f.deviceCount).toBeLessThan(0.35);
    const modes = new Set<number>();
    for (const { d, r } of all) {
      // One device, one format: it follows the firmware the device runs.
      expect(r.formatVersion).toBe(format2Devices.has(d) ? 2 : 1);
      expect(r.formatVersion).toBe(recordFormatFor(f.productLine(d), r.firmwareVersion));
      expect(f.factoryFirmware(d)).toBe(FLEET_DEFAULTS.device[r.formatVersion === 2 ? 'newerFactoryFirmware' : 'factoryFirmware'][f.productLine(d)]);
      if (r.formatVersion === 2) {
        expect(r.brushMode).toBeGreaterThanOrEqual(0);
        expect(r.brushMode).toBeLessThanOrEqual(BRUSH_MODE_MAX);
        if ((f.kind[d]! & 3) === LINE_INTERDENTAL) expect(r.brushMode).toBe(0);
        modes.add(r.brushMode!);
      } else {
        expect(r.brushMode).toBeUndefined();
      }
      expect(decodeSessionRecord(encodeSessionRecord(r))).toEqual(r);
    }
    expect([...modes].sort()).toEqual([0, 1, 2, 3]);
  });

  it('newerFactoryShare 0: every device on the factory firmware, every record format 1 (the fleet as it was)', () => {
    const f = createFleet({ seed: 2026, devices: 300, device: { newerFactoryShare: 0 } }, START);
    expect(records(f, 3).every(({ r }) => r.formatVersion === 1 && r.brushMode === undefined)).toBe(true);
  });

  it('the share does not move any other draw: a format-1 device writes the same bytes whatever the share', () => {
    const a = createFleet({ seed: 7, devices: 300 }, START);
    const b = createFleet({ seed: 7, devices: 300, device: { newerFactoryShare: 0 } }, START);
    const ra = records(a, 3);
    const rb = records(b, 3);
    expect(ra.length).toBe(rb.length);
    let same = 0;
    for (let i = 0; i < ra.length; i++) {
      expect(ra[i]!.d).toBe(rb[i]!.d);
      if (ra[i]!.r.formatVersion === 1) {
        expect(Buffer.from(encodeSessionRecord(ra[i]!.r)).equals(Buffer.from(encodeSessionRecord(rb[i]!.r)))).toBe(true);
        same++;
      }
    }
    expect(same).toBeGreaterThan(0);
  });

  it('refuses a share outside [0, 1] and a newer firmware that is not a version', () => {
    expect(() => createFleet({ device: { newerFactoryShare: 1.5 } }, START)).toThrow(/device.newerFactoryShare/);
    expect(() => createFleet({ device: { newerFactoryFirmware: { 'kids-brush': 'two' } } }, START)).toThrow(/device.newerFactoryFirmware.kids-brush/);
  });
});
