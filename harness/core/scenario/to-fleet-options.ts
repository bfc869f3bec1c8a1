import { FLEET_DEFAULTS, type FleetOptions } from '../../../simulators/fleet-options.ts';
import { complement } from './defaults.ts';
import { solveMix } from './_internals/mix.ts';
import { fleetSeed } from './seed.ts';
import type { ResolvedScenario } from './types.ts';

/**
 * The fleet simulator's options (simulators/fleet-options.ts) for a resolved scenario:
 * seed (see {@link fleetSeed}), device count, the product mix (mapped onto the household
 * ownership chances that produce it in expectation) and every behaviour rate. Pure: the
 * same scenario gives the same options. Knobs a scenario does not expose keep the
 * simulator's defaults.
 */
export function toFleetOptions(scenario: ResolvedScenario): FleetOptions {
  const b = scenario.behaviour;
  const household: NonNullable<FleetOptions['household']> = { secondPhoneProbability: b.twoPhones };
  if (scenario.fleet.mix !== 'households') {
    const h = FLEET_DEFAULTS.household;
    Object.assign(household, solveMix(scenario.fleet.mix, h, h).knobs);
  }
  return {
    ...(scenario.shard ? { shard: { index: scenario.shard.index, count: scenario.shard.count } } : {}),
    seed: fleetSeed(scenario.seed),
    devices: scenario.fleet.devices,
    household,
    heads: { unknownHeadProbability: b.unknownHead },
    device: { ringCapacity: b.ringSize },
    clock: { maxInitialOffsetS: b.clockOffsetS, maxDriftPpm: b.clockDriftPpm, resetPerDay: b.clockResetPerDay },
    phones: {
      openPerDay: b.syncPerDay,
      lazyFraction: b.latePhones,
      lazyOpenPerDay: b.lateSyncPerDay,
      inRange: complement(b.outOfRange),
      reinstallPerSync: b.reinstall,
      timeoutAfterCommit: b.retryAfterCommit,
      reorder: b.reorder,
    },
    ...(b.timeEdges > 0 ? { edges: { recordsPerEdge: b.timeEdges } } : {}),
    ...(b.hostileRecords > 0 ? { hostile: { recordsPerDay: b.hostileRecords } } : {}),
  };
}
