import type { ResolvedScenario } from '../../core/scenario/types.ts';

/** What a replay line needs of a scenario: where it is and the values the command line can override. */
export type ReplayTarget = Pick<ResolvedScenario, 'file' | 'seed' | 'duration'> & { fleet: Pick<ResolvedScenario['fleet'], 'devices'> };

/**
 * One shell line that reproduces a scenario's run: the file with every value the
 * command line overrides (`--seed`, `--devices`, `--duration`), so a run made smaller
 * by `--shrink` replays at its own size and length, then `extra` flags (environment).
 */
export function replayLine(scenario: ReplayTarget, extra: readonly string[] = []): string {
  return ['npx fleetbed run', quote(scenario.file), '--seed', scenario.seed, '--devices', String(scenario.fleet.devices), '--duration', scenario.duration, ...extra].join(' ');
}

function quote(s: string): string {
  return /^[\w./@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
