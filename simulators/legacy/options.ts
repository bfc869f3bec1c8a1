import type { Dialect, DriftChange } from '../../contract/legacy/dialect.ts';

/** A drift event a scenario names: on `day` (0-based day index of the run) line `line`'s app release brings `change`. */
export interface ListedDrift {
  readonly line: string;
  readonly day: number;
  readonly change: DriftChange;
}

/**
 * What a legacy world is made of. Every share is a probability in [0, 1]; every
 * default is in {@link LEGACY_WORLD_DEFAULTS}.
 */
export interface LegacyWorldOptions {
  /** The root seed (simulators/seed.ts): an integer in [0, 2^53). */
  readonly seed: number;
  /** Legacy devices in the world, over every line by dialect weight (at least one user a line). */
  readonly devices: number;
  /** The lines the world has, each as specified (revision 0 onwards). */
  readonly dialects: readonly Dialect[];
  /** Days the world runs (drift is scheduled over them). */
  readonly days: number;
  /** Sessions a device brushes a day (1–4), at fixed hours with a seeded minute. */
  readonly sessionsPerDay: number;
  /** Share of device-sessions skipped (a day the brush stayed in the drawer). */
  readonly skipShare: number;
  /** Share of users with two devices (a serial-scheme line's user is one device). */
  readonly twoDeviceShare: number;
  /** Share of users whose app never upgrades (they keep the build they started with). */
  readonly neverUpgradeShare: number;
  /** Other users upgrade to each release after a seeded delay of 0 to this many days. */
  readonly maxUpgradeLagDays: number;
  /** On an e-mail line, the share of users who are a person already on another e-mail line (same address). */
  readonly sharedEmailShare: number;
  /** Share of uploads the app sends twice (a retry after a lost answer): the copy must be a duplicate. */
  readonly retryShare: number;
  /** Once a revision gives coverage a second meaning, the share of its records that carry the sentinel ("not measured"). */
  readonly sentinelShare: number;
  readonly drift: {
    /** Seeded drift events per line per 30 days, by line (a line left out: none). */
    readonly perLinePerMonth: Readonly<Record<string, number>>;
    /** Drift events a scenario lists, dated. */
    readonly listed: readonly ListedDrift[];
  };
  readonly hostile: {
    /** Legacy devices that become v2 devices (provisioned at the factory, they sign their records); unsigned v1 uploads for them must be refused. */
    readonly v2Devices: number;
    /** Hostile legacy actions a day, over the world (a fraction is a chance of one more). */
    readonly actionsPerDay: number;
  };
}

/** Every default of a legacy world, in one place. */
export const LEGACY_WORLD_DEFAULTS = Object.freeze({
  devices: 40,
  sessionsPerDay: 2,
  skipShare: 0.05,
  twoDeviceShare: 0.3,
  neverUpgradeShare: 0.15,
  maxUpgradeLagDays: 10,
  sharedEmailShare: 0.25,
  retryShare: 0.03,
  sentinelShare: 0.3,
  driftPerLinePerMonth: 1,
  v2Devices: 2,
  actionsPerDay: 1,
});
