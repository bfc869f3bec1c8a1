import type { LegacyWorld } from '../../../simulators/legacy/index.ts';
import { createLegacyWorld, LEGACY_WORLD_DEFAULTS } from '../../../simulators/legacy/index.ts';
import { fleetSeed } from '../scenario/seed.ts';
import type { MigrationOrder, ResolvedScenario } from '../scenario/types.ts';

/** Days a legacy scenario runs: its duration in whole days (a shorter `--duration` rounds up). */
export function legacyDays(scenario: Pick<ResolvedScenario, 'durationSeconds'>): number {
  return Math.max(1, Math.ceil(scenario.durationSeconds / 86_400));
}

/** The legacy world of a scenario (simulators/legacy): its seed, its `fleet.devices` legacy devices, the section's lines, rates and drift. Pure. */
export function legacyWorldOf(scenario: ResolvedScenario): LegacyWorld {
  const l = scenario.legacy;
  if (!l) throw new Error(`scenario ${scenario.name} has no legacy section`);
  return createLegacyWorld({
    seed: fleetSeed(scenario.seed),
    devices: scenario.fleet.devices,
    dialects: l.dialects,
    days: legacyDays(scenario),
    sessionsPerDay: l.sessionsPerDay,
    skipShare: LEGACY_WORLD_DEFAULTS.skipShare,
    twoDeviceShare: l.twoDeviceShare,
    neverUpgradeShare: l.neverUpgradeShare,
    maxUpgradeLagDays: l.maxUpgradeLagDays,
    sharedEmailShare: l.sharedEmailShare,
    retryShare: l.retryShare,
    sentinelShare: l.sentinelShare,
    drift: { perLinePerMonth: l.drift.perLinePerMonth, listed: l.drift.events },
    hostile: l.hostile,
  });
}

/**
 * The order the migration team takes the migrating lines in: as the scenario
 * lists them, the biggest first (most devices in the world, then weight), or
 * the cheapest first (fewest). Ties keep the listed order.
 */
export function migrationQueue(lines: readonly string[], world: LegacyWorld, order: MigrationOrder): string[] {
  const size = (line: string) => world.devices.filter((d) => d.line === line).length;
  const weight = (line: string) => world.dialects.find((d) => d.line === line)?.weight ?? 0;
  const listed = [...lines];
  if (order === 'as-listed') return listed;
  const sign = order === 'big-first' ? -1 : 1;
  return listed.map((line, i) => ({ line, i, s: size(line), w: weight(line) })).sort((a, b) => sign * (a.s - b.s) || sign * (a.w - b.w) || a.i - b.i).map((x) => x.line);
}
