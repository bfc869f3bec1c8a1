import { describe, expect, it } from 'vitest';
import { FLEET_DEFAULTS, resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { createFleet } from '../../../simulators/fleet.ts';
import { SCENARIO_DEFAULTS } from './defaults.ts';
import { ScenarioError } from './errors.ts';
import { RUN_INVARIANTS } from './invariants.ts';
import { resolveScenario } from './resolve-scenario.ts';
import { toFleetOptions } from './to-fleet-options.ts';

const FILE = 'scenarios/ci/late.ts';
const base = { name: 'late-uploads', description: 'Records arrive days late.' };

/** The ScenarioError that resolving `patch` over a minimal scenario throws. */
function errorOf(patch: Record<string, unknown>): ScenarioError {
  try {
    resolveScenario({ ...base, ...patch }, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).code).toBe('FLEETBED_SCENARIO_INVALID');
    return err as ScenarioError;
  }
  throw new Error(`expected ${JSON.stringify(patch)} to be rejected`);
}

describe('resolveScenario: defaults', () => {
  it('fills every default from the one frozen object', () => {
    const s = resolveScenario(base, FILE);
    expect(s).toEqual({
      name: 'late-uploads',
      description: 'Records arrive days late.',
      file: FILE,
      seed: '1',
      fleet: { devices: 1000, mix: 'households' },
      duration: '1d',
      durationSeconds: 86_400,
      behaviour: SCENARIO_DEFAULTS.behaviour,
      faults: [],
      invariants: RUN_INVARIANTS,
      thresholds: {},
      env: {},
      requires: { restartApi: false, restartDatabase: false, faultProxy: false, killApi: false, crashDatabase: false, databaseProxy: false },
    });
    expect(Object.isFrozen(s) && Object.isFrozen(s.behaviour) && Object.isFrozen(SCENARIO_DEFAULTS.behaviour)).toBe(true);
  });

  it('reads its behaviour defaults from the fleet simulator, so a default scenario is the default fleet', () => {
    const opts = resolveFleetOptions(toFleetOptions(resolveScenario(base, FILE)));
    expect(opts).toEqual(resolveFleetOptions({ seed: 1 }));
    expect(SCENARIO_DEFAULTS.behaviour.outOfRange).toBe(0.07);
    expect(SCENARIO_DEFAULTS.fleet.devices).toBe(FLEET_DEFAULTS.devices);
  });

  it('maps every behaviour rate onto its fleet option', () => {
    const s = resolveScenario(
      {
        ...base,
        seed: 99,
        fleet: { devices: 10 },
        behaviour: { syncPerDay: 0.5, latePhones: 0.25, lateSyncPerDay: 0.1, outOfRange: 0.2, retryAfterCommit: 0.4, reinstall: 0.05, reorder: false, twoPhones: 1, clockOffsetS: 30, clockDriftPpm: 200, clockResetPerDay: 0.5, unknownHead: 0.3, ringSize: 4 },
      },
      FILE,
    );
    const o = resolveFleetOptions(toFleetOptions(s));
    expect(o.seed).toBe(99);
    expect(o.devices).toBe(10);
    expect(o.phones).toMatchObject({ openPerDay: 0.5, lazyFraction: 0.25, lazyOpenPerDay: 0.1, inRange: 0.8, timeoutAfterCommit: 0.4, reinstallPerSync: 0.05, reorder: false });
    expect(o.household.secondPhoneProbability).toBe(1);
    expect(o.clock).toMatchObject({ maxInitialOffsetS: 30, maxDriftPpm: 200, resetPerDay: 0.5 });
    expect(o.heads.unknownHeadProbability).toBe(0.3);
    expect(o.device.ringCapacity).toBe(4);
  });

  it('maps a product mix onto household ownership so the simulated fleet has that mix', () => {
    const s = resolveScenario({ ...base, fleet: { devices: 40_000, mix: { adultBrush: 3, kidsBrush: 2 } } }, FILE);
    expect(s.fleet.mix).toEqual({ adultBrush: 0.6, kidsBrush: 0.4, interdental: 0 });
    const fleet = createFleet(toFleetOptions(s), 1_700_000_000);
    const counts = [0, 0, 0];
    for (let d = 0; d < fleet.deviceCount; d++) counts[fleet.kind[d]! & 3]!++;
    const shares = counts.map((c) => c / fleet.deviceCount);
    expect(shares[0]).toBeCloseTo(0.6, 1);
    expect(shares[1]).toBeCloseTo(0.4, 1);
    expect(shares[2]).toBe(0);
  });

  it('accepts u64 seeds as numbers, bigints, decimal and hex strings, and keeps all their digits', () => {
    expect(resolveScenario({ ...base, seed: 18446744073709551615n }).seed).toBe('18446744073709551615');
    expect(resolveScenario({ ...base, seed: '0xffffffffffffffff' }).seed).toBe('18446744073709551615');
    expect(resolveScenario({ ...base, seed: 0 }).seed).toBe('0');
  });

  it('parses fault times in both forms, fills fault defaults and derives what the environment must offer', () => {
    const s = resolveScenario({
      ...base,
      duration: '2d',
      faults: [
        { at: { day: 2, hour: 3, minute: 30 }, fault: 'restart-postgres' },
        { at: '90m', fault: 'latency' },
        { at: '23h', fault: 'http-5xx', duration: '3h', count: 5 },
      ],
    });
    expect(s.faults).toEqual([
      { index: 0, fault: 'restart-postgres', at: 86_400 + 3 * 3600 + 1800, probability: 1, durationSeconds: 0, count: null, params: {} },
      { index: 1, fault: 'latency', at: 5400, probability: 1, durationSeconds: 3600, count: null, params: { ms: 200, jitterMs: 0 } },
      { index: 2, fault: 'http-5xx', at: 23 * 3600, probability: 1, durationSeconds: 3 * 3600, count: 5, params: { status: 503 } },
    ]);
    expect(s.requires).toEqual({ restartApi: false, restartDatabase: true, faultProxy: true, killApi: false, crashDatabase: false, databaseProxy: false });
  });
});

describe('resolveScenario: errors name the file, the field, the value and what was expected', () => {
  it.each([
    // wrong type
    [{ fleet: { devices: '10' } }, 'scenarios/ci/late.ts: fleet.devices must be an integer from 1 to 1000000, got "10"'],
    [{ behaviour: { reorder: 'yes' } }, 'behaviour.reorder must be true or false, got "yes"'],
    [{ faults: { at: '1h', fault: 'latency' } }, 'faults must be an array of { at, fault, probability?, duration?, count?, params? }, got {"at":"1h","fault":"latency"}'],
    [{ thresholds: { http_req_duration: 'p(99)<250' } }, 'thresholds.http_req_duration must be a list of expressions: ["p(99)<250"], got "p(99)<250"'],
    [{ fleet: 5 }, 'fleet must be an object with fields devices, mix, got 5'],
    // out of range
    [{ fleet: { devices: -5 } }, 'scenarios/ci/late.ts: fleet.devices must be an integer from 1 to 1000000, got -5'],
    [{ fleet: { devices: 1_000_001 } }, 'fleet.devices must be an integer from 1 to 1000000, got 1000001'],
    [{ behaviour: { latePhones: 1.5 } }, 'behaviour.latePhones must be a probability from 0 to 1, got 1.5'],
    [{ behaviour: { ringSize: 64 } }, 'behaviour.ringSize must be an integer from 1 to 32, got 64'],
    [{ seed: -1 }, 'seed must be an unsigned 64-bit integer'],
    [{ seed: 2 ** 60 }, 'above 2^53 a number loses digits: write the seed as a string'],
    [{ seed: '18446744073709551616' }, 'seed must be an unsigned 64-bit integer'],
    // names and required fields
    [{ name: 'Late Uploads' }, 'name must be a kebab-case name such as "late-uploads" (lowercase letters, digits, single hyphens), got "Late Uploads"'],
    [{ description: undefined }, 'description must be a non-empty string saying what the scenario exercises, got nothing (the field is required)'],
    // unknown fields, with a suggestion when one is close
    [{ durtion: '3d' }, 'scenarios/ci/late.ts: durtion is not a known field (did you mean "duration"?); a scenario takes name, description, seed, fleet, duration, behaviour, faults, invariants, thresholds, env'],
    [{ fleet: { device: 5 } }, 'fleet.device is not a known field (did you mean "devices"?); fleet takes devices, mix'],
    [{ behaviour: { latephones: 0.2 } }, 'behaviour.latephones is not a known field (did you mean "latePhones"?)'],
    [{ behaviour: { loss: 0.2 } }, 'behaviour.loss is not a known field; behaviour takes syncPerDay, latePhones'],
    [{ fleet: { mix: { adultBrush: 1, kids: 1 } } }, 'fleet.mix.kids is not a known field (did you mean "kidsBrush"?)'],
    // bad durations
    [{ duration: '3 days' }, 'duration must be a duration such as "3d", "36h", "1d12h" or "90m" (whole numbers, units d/h/m/s, largest first), got "3 days"'],
    [{ duration: '90m' }, 'duration must be whole hours from "1h" to "365d" (the simulator steps an hour at a time), got "90m"'],
    [{ duration: 86400 }, 'duration must be a duration such as "3d"'],
    [{ duration: '400d' }, 'duration must be whole hours from "1h" to "365d"'],
    // bad faults
    [{ faults: [{ at: '1h', fault: 'http-500' }] }, 'faults[0].fault must be one of "restart-api", "restart-postgres", "kill-api", "kill-postgres", "connection-reset", "latency", "http-5xx", "drop-response-after-commit", "db-latency", "db-connection-reset", "db-reply-lost", got "http-500"; did you mean "http-5xx"?'],
    [{ faults: [{ at: '2d', fault: 'restart-api' }] }, 'faults[0].at must be a time before the end of the scenario (duration 1d), got "2d"'],
    [{ faults: [{ at: 'noon', fault: 'restart-api' }] }, 'faults[0].at must be an offset from the start such as "3d", "36h", "1d12h" or "90m" (whole numbers, units d/h/m/s, largest first), or { day, hour, minute? } with day 1 the first day, got "noon"'],
    [{ faults: [{ at: { day: 1, hour: 24 }, fault: 'restart-api' }] }, 'faults[0].at.hour must be an integer from 0 to 23, got 24'],
    [{ faults: [{ at: '1h', fault: 'restart-api', duration: '1h' }] }, 'faults[0].duration must be absent: restart-api happens once, at "at", got "1h"'],
    [{ faults: [{ at: '1h', fault: 'latency', probability: 2 }] }, 'faults[0].probability must be a probability from 0 to 1, got 2'],
    [{ faults: [{ at: '1h', fault: 'http-5xx', params: { statu: 500 } }] }, 'faults[0].params.statu is not a known field (did you mean "status"?); faults[0].params takes method, pathPrefix, status'],
    [{ faults: [{ at: '1h', fault: 'http-5xx', params: { status: 404 } }] }, 'faults[0].params.status must be an integer from 500 to 599, got 404'],
    [{ faults: [{ at: '1h', fault: 'restart-api', params: { ms: 1 } }] }, 'faults[0].params must be absent: restart-api takes no params, got {"ms":1}'],
    [{ faults: [{ at: '1h', fault: 'latency', duration: '2h' }, { at: '2h', fault: 'latency' }] }, 'faults[1].at must be a time outside the latency window of faults[0] (1h to 3h); windows of one fault must not overlap, got "2h"'],
    [{ faults: [{ at: '1h', fault: 'latency', params: { pathPrefix: 'v2/uploads' } }] }, 'faults[0].params.pathPrefix must be a request path prefix starting with "/"'],
    // bad thresholds
    [{ thresholds: { http_req_duration: ['p99<250'] } }, 'thresholds.http_req_duration[0] must be a k6 threshold expression, got "p99<250"; "p99" is not an aggregation (did you mean "p(99)"?)'],
    [{ thresholds: { upload_errors: ['rate<'] } }, 'thresholds.upload_errors[0] must be a k6 threshold expression, got "rate<"; expected a number after "<", got the end'],
    [{ thresholds: { 'http_req_duration{status:200}': ['p(99)<250'] } }, 'sub-metrics (tag filters such as {status:200}) are not supported'],
    // invariants, mix, env
    [{ invariants: ['ING-1', 'ING-9'] }, 'invariants[1] must be one of "ING-1",'],
    [{ invariants: 'al' }, 'invariants must be "all" or a list of invariant ids'],
    [{ fleet: { mix: { kidsBrush: 1 } } }, 'fleet.mix must be a mix the simulated households can own, got {"kidsBrush":1}; the closest reachable is adultBrush'],
    [{ fleet: { mix: { adultBrush: -1, kidsBrush: 2 } } }, 'fleet.mix.adultBrush must be a share ≥ 0'],
    [{ env: { provider: 'embeded' } }, 'env.provider must be one of "embedded", "url", "containers", got "embeded"; did you mean "embedded"?'],
  ] as [Record<string, unknown>, string][])('%j', (patch, message) => {
    const err = errorOf(patch);
    expect(err.message).toContain(message);
    expect(err.message.startsWith(`${FILE}: `)).toBe(true);
    expect(err.file).toBe(FILE);
    expect(err.field).toBeTruthy();
  });

  it('hostile records need AUTH-1 and AUTH-2 to judge them, and a fleet scenario to send them', () => {
    expect(errorOf({ behaviour: { hostileRecords: 10 }, invariants: ['ING-1', 'AUTH-1'] }).message).toMatch(/invariants must be a list holding AUTH-2 too: they judge the verdicts of the hostile records/);
    expect(errorOf({ behaviour: { hostileRecords: -1 } }).field).toBe('behaviour.hostileRecords');
    const ok = resolveScenario({ ...base, behaviour: { hostileRecords: 10 } }, FILE);
    expect(toFleetOptions(ok).hostile).toEqual({ recordsPerDay: 10 });
    expect(resolveFleetOptions(toFleetOptions(resolveScenario(base, FILE))).hostile.recordsPerDay).toBe(0);
  });

  it('carries the field, value and expectation as properties too', () => {
    const err = errorOf({ fleet: { devices: -5 } });
    expect(err).toMatchObject({ field: 'fleet.devices', value: -5, expected: 'an integer from 1 to 1000000' });
  });

  it('reports every mistake at once: one line per problem, each naming the file', () => {
    const err = errorOf({ fleet: { devices: -5 }, durtion: '3d', behaviour: { latePhones: 1.5 }, faults: [{ at: 'noon', fault: 'restart-api' }, { at: '1h', fault: 'http-500' }] });
    const lines = err.message.split('\n');
    expect(lines).toEqual([
      `${FILE}: 5 problems`,
      `${FILE}: durtion is not a known field (did you mean "duration"?); a scenario takes ${['name', 'description', 'seed', 'fleet', 'duration', 'behaviour', 'faults', 'invariants', 'thresholds', 'env', 'ota', 'legacy'].join(', ')}`,
      `${FILE}: fleet.devices must be an integer from 1 to 1000000, got -5`,
      `${FILE}: behaviour.latePhones must be a probability from 0 to 1, got 1.5`,
      expect.stringMatching(/^scenarios\/ci\/late\.ts: faults\[0\]\.at must be an offset from the start .*, got "noon"$/),
      expect.stringMatching(/^scenarios\/ci\/late\.ts: faults\[1\]\.fault must be one of .*, got "http-500"; did you mean "http-5xx"\?$/),
    ]);
    expect(err.problems.map((p) => [p.field, p.value])).toEqual([
      ['durtion', '3d'],
      ['fleet.devices', -5],
      ['behaviour.latePhones', 1.5],
      ['faults[0].at', 'noon'],
      ['faults[1].fault', 'http-500'],
    ]);
    expect(err).toMatchObject({ file: FILE, field: 'durtion' });
  });

  it('checks fault times against the longest duration when the duration itself is wrong', () => {
    const err = errorOf({ duration: '3 days', faults: [{ at: '2d', fault: 'restart-api' }] });
    expect(err.problems.map((p) => p.field)).toEqual(['duration']);
  });

  it('gives one problem its own message, with no count line', () => {
    const err = errorOf({ fleet: { devices: -5 } });
    expect(err.message).toBe(`${FILE}: fleet.devices must be an integer from 1 to 1000000, got -5`);
    expect(err.problems).toHaveLength(1);
  });

  it('rejects what is not an object', () => {
    expect(() => resolveScenario([1, 2], 'x.json')).toThrow('x.json: the scenario must be a scenario object (export default defineScenario({ name, description, ... })), got [1,2]');
  });
});
