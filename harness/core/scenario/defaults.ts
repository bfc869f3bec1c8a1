import { DEFAULT_REQUIRED_CLEAN_NIGHTS } from '../../../contract/legacy/dialect.ts';
import { FLEET_DEFAULTS } from '../../../simulators/fleet-options.ts';
import { LEGACY_WORLD_DEFAULTS } from '../../../simulators/legacy/options.ts';
import type { Behaviour, EnvHints, ProductMix } from './types.ts';
import type { Duration } from './duration.ts';
import { deepFreeze } from './_internals/deep-freeze.ts';

/**
 * Every scenario default, in one place. Behaviour rates are the fleet simulator's own
 * defaults (simulators/fleet-options.ts), read through, so the two never disagree.
 * Every fault is off unless the timeline names it.
 */
export const SCENARIO_DEFAULTS = deepFreeze({
  seed: '1',
  fleet: {
    devices: FLEET_DEFAULTS.devices,
    mix: 'households' as Readonly<ProductMix> | 'households',
  },
  duration: '1d' as Duration,
  behaviour: {
    syncPerDay: FLEET_DEFAULTS.phones.openPerDay,
    latePhones: FLEET_DEFAULTS.phones.lazyFraction,
    lateSyncPerDay: FLEET_DEFAULTS.phones.lazyOpenPerDay,
    outOfRange: complement(FLEET_DEFAULTS.phones.inRange),
    retryAfterCommit: FLEET_DEFAULTS.phones.timeoutAfterCommit,
    reinstall: FLEET_DEFAULTS.phones.reinstallPerSync,
    reorder: FLEET_DEFAULTS.phones.reorder,
    twoPhones: FLEET_DEFAULTS.household.secondPhoneProbability,
    clockOffsetS: FLEET_DEFAULTS.clock.maxInitialOffsetS,
    clockDriftPpm: FLEET_DEFAULTS.clock.maxDriftPpm,
    clockResetPerDay: FLEET_DEFAULTS.clock.resetPerDay,
    unknownHead: FLEET_DEFAULTS.heads.unknownHeadProbability,
    ringSize: FLEET_DEFAULTS.device.ringCapacity,
    timeEdges: FLEET_DEFAULTS.edges.recordsPerEdge,
    hostileRecords: FLEET_DEFAULTS.hostile.recordsPerDay,
  } satisfies Behaviour as Behaviour,
  /** Defaults of one fault-timeline entry. */
  fault: {
    probability: 1,
    /** Window length of a proxy fault. */
    duration: '1h' as Duration,
    count: null as number | null,
    latency: { ms: 200, jitterMs: 0 },
    'http-5xx': { status: 503 },
  },
  invariants: 'all' as const,
  thresholds: {} as Record<string, readonly string[]>,
  env: {} as EnvHints,
  /** Defaults of the `ota` section (OTA scenarios only). */
  ota: {
    productLine: 'adult-brush' as 'adult-brush' | 'kids-brush' | 'interdental',
    sessionsPerDay: 2,
    monitorEvery: '1h' as Duration,
    bootLimit: 3,
    /** Fleet-health telemetry the platform collects before the first rollout (the devices' rhythms). */
    baseline: '7d' as Duration,
    /** How often each household's phone syncs: uploads its devices' sessions and asks for offers. */
    syncEvery: '12h' as Duration,
    /** Share of device-days a device does not brush at all. */
    skipDays: 0.03,
    rollout: {
      at: '0h' as Duration,
      policy: 'health-gate' as 'health-gate' | 'transfer-success',
      stages: [{ percent: 100, soak: '0h' as Duration }],
    },
    image: { antiRollbackCounter: 2, sizeBytes: 65_536, behaviour: { kind: 'good' } },
    /** The invariants an OTA scenario checks when it names none. */
    invariants: ['OTA-1', 'OTA-2', 'OTA-3', 'OTA-4', 'OTA-5', 'OTA-6', 'OTA-7'] as const,
  },
  /** Defaults of the `legacy` section (legacy scenarios only); the world's are the legacy simulator's own (simulators/legacy/options.ts). */
  legacy: {
    /** Legacy devices in the world when `fleet.devices` is left out. */
    devices: LEGACY_WORLD_DEFAULTS.devices,
    sessionsPerDay: LEGACY_WORLD_DEFAULTS.sessionsPerDay,
    twoDevices: LEGACY_WORLD_DEFAULTS.twoDeviceShare,
    neverUpgrade: LEGACY_WORLD_DEFAULTS.neverUpgradeShare,
    upgradeLagDays: LEGACY_WORLD_DEFAULTS.maxUpgradeLagDays,
    sharedEmails: LEGACY_WORLD_DEFAULTS.sharedEmailShare,
    retries: LEGACY_WORLD_DEFAULTS.retryShare,
    sentinelShare: LEGACY_WORLD_DEFAULTS.sentinelShare,
    driftPerLinePerMonth: LEGACY_WORLD_DEFAULTS.driftPerLinePerMonth,
    migration: {
      order: 'as-listed' as 'as-listed' | 'big-first' | 'cheap-first',
      concurrent: 1,
      startDay: 1,
      requiredCleanNights: DEFAULT_REQUIRED_CLEAN_NIGHTS,
      mappingLagDays: 1,
      retireAfterDays: 3 as number | null,
    },
    v2WriteFailurePerMille: 0,
    v2Devices: LEGACY_WORLD_DEFAULTS.v2Devices,
    actionsPerDay: LEGACY_WORLD_DEFAULTS.actionsPerDay,
    /** The invariants a legacy scenario checks when it names none. */
    invariants: ['LEG-1', 'LEG-2', 'LEG-3', 'LEG-4', 'PRIV-1'] as const,
  },
});

/** `1 - p` without floating-point dust (`1 - 0.93` is 0.06999999999999995). */
export function complement(p: number): number {
  return Math.round((1 - p) * 1e12) / 1e12;
}

