import { deepFreeze } from './_internals/deep-freeze.ts';
import { formatDuration, parseDuration, type Duration } from './duration.ts';
import { ScenarioError } from './errors.ts';
import { MAX_DEVICES, MAX_DURATION_SECONDS } from './resolve-scenario.ts';
import { parseSeed, SEED_EXPECTED, type SeedInput } from './seed.ts';
import type { ResolvedScenario, Scenario } from './types.ts';

/** Command-line overrides of a scenario's defaults. */
export interface ScenarioOverrides {
  /** `--devices N` (a number, or the flag's text). */
  devices?: number | string;
  /** `--seed S` (u64: number, bigint, decimal or 0x-hex text). */
  seed?: SeedInput;
  /** `--duration D`: simulated time, in the scenario files' {@link Duration} form (`'2d'`, `'36h'`). */
  duration?: Duration | string;
}

/** What `--duration` accepts, for error messages. */
const DURATION_OPTION_EXPECTED = 'whole hours from "1h" to "365d" in the form of a scenario\'s duration, e.g. "2d", "36h" or "1d12h"';

const FROM = 'command line';

/**
 * `--devices` text → device count. Accepts `250`, `10_000`, `10k`, `1m` (k = 1,000,
 * m = 1,000,000). Throws {@link ScenarioError} naming the flag and value.
 */
export function parseDevicesOption(text: string): number {
  const m = /^(\d+(?:_\d+)*)([km]?)$/i.exec(text.trim());
  const n = m ? Number(m[1]!.replaceAll('_', '')) * (m[2]!.toLowerCase() === 'k' ? 1000 : m[2]!.toLowerCase() === 'm' ? 1_000_000 : 1) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DEVICES) throw ScenarioError.field(FROM, '--devices', `an integer from 1 to ${MAX_DEVICES} (e.g. 500, 10k, 1m)`, text);
  return n;
}

/** `--seed` text → canonical decimal u64. Throws {@link ScenarioError} naming the flag and value. */
export function parseSeedOption(text: string): string {
  const seed = parseSeed(text.trim());
  if (seed === undefined) throw ScenarioError.field(FROM, '--seed', SEED_EXPECTED, text);
  return seed;
}

/**
 * `--duration` text → its canonical {@link Duration} (`'36h'` → `'1d12h'`). Whole hours
 * from 1h to 365d, as in a scenario file. Throws {@link ScenarioError} naming the flag and value.
 */
export function parseDurationOption(text: string): Duration {
  const seconds = parseDuration(text.trim());
  if (seconds === undefined || seconds < 3600 || seconds > MAX_DURATION_SECONDS || seconds % 3600 !== 0) throw ScenarioError.field(FROM, '--duration', DURATION_OPTION_EXPECTED, text);
  return formatDuration(seconds);
}

/**
 * The scenario with `--devices` / `--seed` / `--duration` applied; a value out of range
 * fails naming the flag. Fields not overridden stay as they are; `file` is kept.
 *
 * A shorter duration keeps every fault at its time, as `--shrink` does: a fault at or
 * after the new end never fires (it is not an error), so a shrunk run's replay line
 * reproduces it exactly.
 */
export function applyOverrides(scenario: ResolvedScenario, overrides: ScenarioOverrides): ResolvedScenario {
  if (overrides.devices === undefined && overrides.seed === undefined && overrides.duration === undefined) return scenario;
  const devices = overrides.devices === undefined ? scenario.fleet.devices : typeof overrides.devices === 'string' ? parseDevicesOption(overrides.devices) : overrides.devices;
  if (!Number.isSafeInteger(devices) || devices < 1 || devices > MAX_DEVICES) throw ScenarioError.field(FROM, '--devices', `an integer from 1 to ${MAX_DEVICES}`, overrides.devices);
  let seed = scenario.seed;
  if (overrides.seed !== undefined) {
    const parsed = typeof overrides.seed === 'string' ? parseSeedOption(overrides.seed) : parseSeed(overrides.seed);
    if (parsed === undefined) throw ScenarioError.field(FROM, '--seed', SEED_EXPECTED, overrides.seed);
    seed = parsed;
  }
  const duration = overrides.duration === undefined ? scenario.duration : parseDurationOption(overrides.duration);
  // Neither the seed nor the fleet size nor the duration enters any other resolved field.
  return deepFreeze({ ...scenario, seed, fleet: { ...scenario.fleet, devices }, duration, durationSeconds: parseDuration(duration)! });
}

/** A resolved scenario written back as input (what resolveScenario accepts). */
export function toInput(s: ResolvedScenario): Scenario {
  const faults = s.faults.map((f) => {
    const { method, pathPrefix, ms, jitterMs, status } = f.params;
    const params = Object.fromEntries(Object.entries({ method, pathPrefix, ms, jitterMs, status }).filter(([, v]) => v !== undefined));
    const entry: Record<string, unknown> = { at: `${f.at}s`, fault: f.fault, probability: f.probability };
    if (f.durationSeconds > 0) entry.duration = `${f.durationSeconds}s`;
    if (f.count !== null) entry.count = f.count;
    if (Object.keys(params).length > 0) entry.params = params;
    return entry;
  });
  return {
    name: s.name,
    description: s.description,
    seed: s.seed,
    fleet: { devices: s.fleet.devices, mix: s.fleet.mix === 'households' ? 'households' : { ...s.fleet.mix } },
    duration: s.duration,
    behaviour: { ...s.behaviour },
    faults: faults as unknown as Scenario['faults'],
    invariants: [...s.invariants],
    thresholds: Object.fromEntries(Object.entries(s.thresholds).map(([k, v]) => [k, [...v]])),
    env: structuredClone(s.env) as Scenario['env'],
  };
}
