import { ROLLOUT_GATE_DEFAULTS, percentToBuckets, type RolloutGate, type RolloutPolicy, type RolloutStage } from '../../../contract/ota-rollout.ts';
import { ApiError } from '../errors.ts';

/** A stage with its defaults filled: percent 100 when only a cap is given, no cap when none is. */
export interface ResolvedStage {
  percent: number;
  maxDevices: number | null;
  soakSeconds: number;
}

export interface RolloutSpec {
  policy: RolloutPolicy;
  stages: ResolvedStage[];
  gate: RolloutGate;
}

/**
 * Fill a rollout request's defaults (ROLLOUT_GATE_DEFAULTS for the gate) and
 * check what JSON Schema cannot: a percent has 0.01 % resolution, and neither
 * percents nor caps go down from one stage to the next (cohorts are nested).
 */
export function resolveRolloutSpec(body: { policy: RolloutPolicy; stages: RolloutStage[]; gate?: Partial<RolloutGate> }): RolloutSpec {
  const stages = body.stages.map((s, i): ResolvedStage => {
    if (s.percent === undefined && s.maxDevices === undefined) {
      throw new ApiError('validation-failed', `stages[${i}] needs a percent, a maxDevices cap, or both.`, { field: `stages.${i}` });
    }
    const percent = s.percent ?? 100;
    if (percentToBuckets(percent) < 1 || Math.abs(percent * 100 - percentToBuckets(percent)) > 1e-6) {
      throw new ApiError('validation-failed', `stages[${i}].percent must be a multiple of 0.01 in (0, 100], got ${percent}.`, { field: `stages.${i}.percent` });
    }
    return { percent, maxDevices: s.maxDevices ?? null, soakSeconds: s.soakSeconds };
  });
  for (let i = 1; i < stages.length; i++) {
    const prev = stages[i - 1]!;
    const cur = stages[i]!;
    if (cur.percent < prev.percent) {
      throw new ApiError('validation-failed', `stages[${i}].percent (${cur.percent}) is below stages[${i - 1}].percent (${prev.percent}); cohorts only grow.`, { field: `stages.${i}.percent` });
    }
    if (prev.maxDevices === null && cur.maxDevices !== null) {
      throw new ApiError('validation-failed', `stages[${i}].maxDevices caps a stage after an uncapped one; caps only grow.`, { field: `stages.${i}.maxDevices` });
    }
    if (prev.maxDevices !== null && cur.maxDevices !== null && cur.maxDevices < prev.maxDevices) {
      throw new ApiError('validation-failed', `stages[${i}].maxDevices (${cur.maxDevices}) is below stages[${i - 1}].maxDevices (${prev.maxDevices}); caps only grow.`, { field: `stages.${i}.maxDevices` });
    }
  }
  return { policy: body.policy, stages, gate: { ...ROLLOUT_GATE_DEFAULTS, ...body.gate } };
}
