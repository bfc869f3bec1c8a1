import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';
import { ScenarioError } from './scenario/errors.ts';
import { parseDevicesOption, parseSeedOption } from './scenario/overrides.ts';

/**
 * Command-line flags, parsed strictly: the one implementation the fleetbed CLI
 * (harness/cli/usage.ts) and the benchmarks (bench/_internals/bench-cli.ts) share.
 * Every helper throws {@link UsageError} (exit code 2) naming the flag and the value.
 */

/** The flags a command takes, declared as node:util `parseArgs` declares them. */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** How {@link parseFlags} treats positionals and what it suggests on a mistake. */
export interface ParseFlagsOptions {
  /** Accept arguments that are not flags (default: false, they are a UsageError). */
  allowPositionals?: boolean;
  /** The UsageError's hint, e.g. `Run "fleetbed up --help" for the flags it takes.` */
  hint?: string;
}

/**
 * Parse `argv` strictly: an unknown flag, a missing value or an unexpected positional
 * is a UsageError carrying node's message (without its advice on positionals) and `hint`.
 */
export function parseFlags<O extends FlagOptions>(argv: string[], options: O, { allowPositionals = false, hint }: ParseFlagsOptions = {}) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(msg, hint);
  }
}

/** An integer flag value within bounds (`10_000` allowed), or a UsageError naming flag, value and range. */
export function intFlag(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/_/g, ''));
  if (!/^[0-9_]+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be ${integerRange(min, max)}, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/** `an integer from 1 to 64`, or `an integer of at least 1` when there is no upper bound: what {@link intFlag} accepts. */
export function integerRange(min: number, max = Number.MAX_SAFE_INTEGER): string {
  return max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
}

/** A shard of a run: `--shard i/n`, `1 ≤ i ≤ n ≤ 4096` (1-based, as vitest and Playwright count). */
export interface ShardFlag {
  index: number;
  count: number;
}

/** `--shard i/n` parsed, or a UsageError that shows the form. */
export function shardFlag(value: string | undefined): ShardFlag | undefined {
  if (value === undefined) return undefined;
  const m = /^([1-9]\d{0,3})\/([1-9]\d{0,3})$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index > count || count > 4096) throw new UsageError(`--shard must be i/n with 1 ≤ i ≤ n ≤ 4096 (the i-th of n slices of the fleet's households), got ${JSON.stringify(value)}.`, 'Example: --shard 2/3. A Kubernetes Indexed Job passes --shard $((JOB_COMPLETION_INDEX + 1))/N.');
  return { index, count };
}

/** One of the allowed values, or a UsageError listing them. */
export function choiceFlag<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}.`);
  }
  return value as T;
}

/**
 * A device count (`250`, `10_000`, `10k`, `1m`), read by the scenario's own
 * `parseDevicesOption` so every command agrees on sizes and the upper bound; a
 * UsageError naming `flag` otherwise.
 */
export function devicesFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return asUsageError(flag, value, () => parseDevicesOption(value));
}

/** A u64 seed (decimal or 0x-hex) as canonical decimal text, read by the scenario's `parseSeedOption`; a UsageError naming `flag` otherwise. */
export function seedFlag(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return asUsageError(flag, value, () => parseSeedOption(value));
}

/** Runs a scenario parser; its ScenarioError becomes a UsageError that names `flag` (not the scenario field). */
function asUsageError<T>(flag: string, value: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ScenarioError && err.expected !== undefined) throw new UsageError(`--${flag} must be ${err.expected}, got ${JSON.stringify(value)}.`);
    throw err;
  }
}
