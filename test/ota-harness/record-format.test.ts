import { describe, expect, it } from 'vitest';
import { decodeSessionRecord, RECORD_FORMAT_2_SINCE, SESSION_RECORD_BYTES, type SessionRecord } from '../../contract/record.ts';
import { packFirmwareVersion, unpackFirmwareVersion } from '../../contract/firmware-version.ts';
import { brushHousehold, runUpdate } from '../../harness/core/ota/simulation-step.ts';
import { createWorld, type OtaWorld } from '../../harness/core/ota/world.ts';
import { resolveScenario } from '../../harness/core/scenario/index.ts';
import { toFleetOptions } from '../../harness/core/scenario/to-fleet-options.ts';
import { createFleet } from '../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../simulators/fleet-options.ts';

const scenario = resolveScenario({
  name: 'ota-record-format',
  description: 'a good image at the format-2 threshold',
  seed: 4243,
  fleet: { devices: 60 },
  duration: '2d',
  ota: { rollouts: [{ image: { version: RECORD_FORMAT_2_SINCE['adult-brush'] }, stages: [{ percent: 100 }] }] },
});

function world(): OtaWorld {
  const startS = 1_767_225_600;
  return createWorld(scenario.ota!, createFleet(resolveFleetOptions(toFleetOptions(scenario)), startS), startS);
}

/** Device `d`'s sessions over hours fromK..toK, decoded. */
function sessionsOf(w: OtaWorld, d: number, fromK: number, toK: number): SessionRecord[] {
  const { records } = brushHousehold(w, w.fleet.householdOfDevice(d), fromK, toK);
  return records.map((b) => decodeSessionRecord(Buffer.from(b, 'base64url').subarray(0, SESSION_RECORD_BYTES))).filter((r) => r.deviceId === w.fleet.deviceId(d));
}

describe('OTA and the record format: a device updated across RECORD_FORMAT_2_SINCE switches from format 1 to format 2', () => {
  it('on the factory image it writes format 1; once it runs the update it writes format 2, with a brush mode', () => {
    const w = world();
    const d = w.eligible[0]!;
    const before = sessionsOf(w, d, 0, 23);
    expect(before.length).toBeGreaterThan(0);
    for (const r of before) {
      expect(unpackFirmwareVersion(r.firmwareVersion)).toBe(w.fleet.options.device.factoryFirmware['adult-brush']);
      expect([r.formatVersion, r.brushMode]).toEqual([1, undefined]);
    }
    const run = runUpdate(w, d, w.rolloutImages[0]!, '00000000-0000-4000-8000-000000000000', w.startS + 24 * 3600);
    expect(run.reports.map((r) => r.state)).toContain('confirmed');
    const after = sessionsOf(w, d, 25, 47);
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) {
      expect(r.firmwareVersion).toBe(packFirmwareVersion(RECORD_FORMAT_2_SINCE['adult-brush']));
      expect(r.formatVersion).toBe(2);
      expect(r.brushMode).toBeGreaterThanOrEqual(0);
    }
    // The other lines' devices stay on their factory images: format 1.
    const other = w.fleet.deviceCount > 0 ? [...Array(w.fleet.deviceCount).keys()].find((x) => (w.fleet.kind[x]! & 3) !== w.lineCode) : undefined;
    if (other !== undefined) for (const r of sessionsOf(w, other, 0, 47)) expect(r.formatVersion).toBe(1);
  });
});
