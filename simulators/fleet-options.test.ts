import { describe, expect, it } from 'vitest';
import { FLEET_DEFAULTS, resolveFleetOptions } from './fleet-options.ts';

describe('resolveFleetOptions', () => {
  it('fills every default, deeply, and freezes the result', () => {
    const o = resolveFleetOptions({ devices: 10, phones: { openPerDay: 0.5 } });
    expect(o.devices).toBe(10);
    expect(o.phones.openPerDay).toBe(0.5);
    expect(o.phones.lazyFraction).toBe(FLEET_DEFAULTS.phones.lazyFraction);
    expect(o.brushing.meanDurationS['kids-brush']).toBe(FLEET_DEFAULTS.brushing.meanDurationS['kids-brush']);
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.phones)).toBe(true);
    expect(Object.isFrozen(FLEET_DEFAULTS.household.peopleWeights)).toBe(true);
  });

  it.each([
    [{ devices: 0 }, 'devices must be an integer in [1, 16000000], got 0'],
    [{ seed: -1 }, 'seed must be an integer in [0, 9007199254740991], got -1'],
    [{ phones: { openPerDay: 1.5 } }, 'phones.openPerDay must be a probability in [0, 1], got 1.5'],
    [{ device: { ringCapacity: 33 } }, 'device.ringCapacity must be an integer in [1, 32], got 33'],
    [{ household: { peopleWeights: [1, 2] } }, 'household.peopleWeights must be an array of 4 non-negative weights'],
    [{ time: { slotSeconds: 7000 } }, 'time.slotSeconds must be a divisor of 86400'],
    [{ device: { factoryFirmware: { interdental: '1.2' } } }, 'device.factoryFirmware.interdental must be a version "major.minor.patch", got "1.2"'],
    [{ phones: { openPerDays: 1 } }, 'phones.openPerDays must be absent (no such fleet option'],
  ])('names the bad field and value: %j', (options, message) => {
    expect(() => resolveFleetOptions(options as never)).toThrow(message);
    try {
      resolveFleetOptions(options as never);
    } catch (e) {
      expect((e as { code: string }).code).toBe('FLEETBED_FLEET_OPTIONS_INVALID');
    }
  });
});
