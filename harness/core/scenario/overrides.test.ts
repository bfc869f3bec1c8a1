import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';
import { applyOverrides, parseDevicesOption, parseDurationOption, parseSeedOption, toInput } from './overrides.ts';
import { resolveScenario } from './resolve-scenario.ts';
import { fleetSeed, parseSeed } from './seed.ts';

const scenario = resolveScenario(
  {
    name: 'resets',
    description: 'Resets and latency.',
    seed: 7,
    fleet: { devices: 100, mix: { adultBrush: 0.6, kidsBrush: 0.3, interdental: 0.1 } },
    duration: '2d',
    faults: [
      { at: '1d', fault: 'latency', duration: '2h', params: { ms: 50 } },
      { at: '3h', fault: 'connection-reset', probability: 0.1, count: 3, params: { pathPrefix: '/v2/uploads' } },
      { at: { day: 1, hour: 12 }, fault: 'restart-api' },
    ],
    thresholds: { http_req_duration: ['p(99)<250'] },
    env: { apiEnv: { LOG_LEVEL: 'warn' } },
  },
  'scenarios/ci/resets.ts',
);

describe('command-line overrides', () => {
  it('parses --devices and --seed text', () => {
    expect(parseDevicesOption('250')).toBe(250);
    expect(parseDevicesOption('10_000')).toBe(10_000);
    expect(parseDevicesOption('10k')).toBe(10_000);
    expect(parseDevicesOption('1M')).toBe(1_000_000);
    expect(parseSeedOption('0xff')).toBe('255');
    expect(parseSeedOption('18446744073709551615')).toBe('18446744073709551615');
  });

  it('rejects bad flag values naming the flag, the value and what was expected', () => {
    expect(() => parseDevicesOption('0')).toThrow('command line: --devices must be an integer from 1 to 1000000 (e.g. 500, 10k, 1m), got "0"');
    expect(() => parseDevicesOption('2m')).toThrow('got "2m"');
    expect(() => parseDevicesOption('lots')).toThrow('got "lots"');
    expect(() => parseSeedOption('-3')).toThrow('command line: --seed must be an unsigned 64-bit integer');
    expect(() => applyOverrides(scenario, { devices: 0 })).toThrow('command line: --devices must be an integer from 1 to 1000000, got 0');
  });

  it('changes only what is overridden and keeps the file', () => {
    const o = applyOverrides(scenario, { devices: '5k', seed: '99' });
    expect(o.fleet.devices).toBe(5000);
    expect(o.seed).toBe('99');
    expect({ ...o, fleet: scenario.fleet, seed: scenario.seed }).toEqual(scenario);
    expect(applyOverrides(scenario, {})).toBe(scenario);
  });

  it('parses --duration in the scenario files\' form, whole hours, canonical', () => {
    expect(parseDurationOption('36h')).toBe('1d12h');
    expect(parseDurationOption('1d')).toBe('1d');
    for (const bad of ['2 days', '90m', '0h', '400d', '']) {
      expect(() => parseDurationOption(bad)).toThrow(`command line: --duration must be whole hours from "1h" to "365d" in the form of a scenario's duration, e.g. "2d", "36h" or "1d12h", got ${JSON.stringify(bad)}`);
    }
  });

  it('a shorter --duration keeps faults at their times (those after the end never fire), as --shrink does', () => {
    const o = applyOverrides(scenario, { duration: '1d' });
    expect(o).toMatchObject({ duration: '1d', durationSeconds: 86_400 });
    expect(o.faults).toEqual(scenario.faults);
    expect({ ...o, duration: scenario.duration, durationSeconds: scenario.durationSeconds }).toEqual(scenario);
    expect(Object.isFrozen(o)).toBe(true);
    // Overrides apply to an overridden scenario too (shrinking a run given --duration).
    expect(applyOverrides(o, { devices: 10 })).toMatchObject({ duration: '1d', fleet: { devices: 10 } });
  });

  it('round-trips a resolved scenario through toInput unchanged (fault indexes included)', () => {
    expect(resolveScenario(toInput(scenario), scenario.file)).toEqual(scenario);
  });
});

describe('durations and seeds', () => {
  it('parses and formats the one duration form', () => {
    expect(parseDuration('3d')).toBe(259_200);
    expect(parseDuration('36h')).toBe(129_600);
    expect(parseDuration('1d12h30m15s')).toBe(131_415);
    for (const bad of ['', '3', 'd', '1h1d', '1.5h', ' 1h', '-1h', 3600]) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(129_600)).toBe('1d12h');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });

  it('maps u64 seeds onto the simulator: small ones to themselves, large ones folded below 2^53', () => {
    expect(fleetSeed('42')).toBe(42);
    expect(fleetSeed(String(2 ** 53 - 1))).toBe(2 ** 53 - 1);
    const big = fleetSeed('18446744073709551615');
    expect(Number.isSafeInteger(big) && big >= 0).toBe(true);
    expect(fleetSeed(String(2n ** 53n))).not.toBe(fleetSeed('0'));
    expect(parseSeed(1.5)).toBeUndefined();
    expect(parseSeed('0x1_0')).toBeUndefined();
  });
});
