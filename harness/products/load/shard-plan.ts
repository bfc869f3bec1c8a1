import { createHash } from 'node:crypto';
import { LoadError } from './errors.ts';
import type { ResolvedLoadPlan } from './types.ts';

/** A shard of a load run: the `index`-th (1-based) of `count` slices of the fleet's households. */
export interface LoadShard {
  index: number;
  count: number;
}

/**
 * Refuse a load that does not split into `shard.count` independent processes, before
 * anything starts (`FLEETBED_LOAD_SHARD_UNSUPPORTED`, exit 2). Open-model plans split:
 * each shard plays the whole plan's schedule and keeps the arrivals of its own phones
 * (arrivals.ts). A closed model does not (its syncs come as fast as answers do, so which
 * syncs a process sends depends on timing), nor does `--find-max` (each step's verdict
 * picks the next rate: a search over one platform, not N).
 */
export function checkShardable(plan: ResolvedLoadPlan, o: { findMax: boolean; shard: LoadShard }): void {
  const at = `--shard ${o.shard.index}/${o.shard.count}`;
  if (o.findMax) {
    throw new LoadError(
      'FLEETBED_LOAD_SHARD_UNSUPPORTED',
      `${at} with --find-max: the search for the knee picks each step's rate from the verdict of the one before, over one platform, so N independent processes cannot split it. Nothing was started. Run --find-max without --shard (the verdict says when the generator, not the platform, saturated), or shard a constant plan at the rate you want to check.`,
    );
  }
  if (plan.arrival.shape === 'closed') {
    throw new LoadError(
      'FLEETBED_LOAD_SHARD_UNSUPPORTED',
      `${at}: load plan ${plan.name} (${plan.file}) is a closed model (${plan.arrival.concurrency} phones back to back for ${plan.arrival.durationMs / 1000} s): its syncs come as fast as the platform answers, so which syncs each shard would send depends on timing and the shards would not add up to the plan. Nothing was started. Shard an open-model plan (constant, ramping, fleet-day, thundering-herd or outage-backlog), or run this one without --shard.`,
    );
  }
}

/** SHA-256 (hex) of the plan as resolved, its file path left out: the shards of one load run share it. */
export function planDigest(plan: ResolvedLoadPlan): string {
  const { file: _file, ...rest } = plan;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
