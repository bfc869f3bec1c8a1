import type { HaltReason, RolloutGate, RolloutPolicy } from '../../../contract/ota-rollout.ts';
import type { ResolvedStage } from './rollout-spec.ts';

/** What the one health query counts for a rollout (see health.ts and contract/ota-rollout.ts RolloutGate). */
export interface HealthCounts {
  updated: number;
  updatedReporting: number;
  baseline: number;
  baselineReporting: number;
  reported: number;
  failures: number;
  transferred: number;
}

export interface DecisionInput {
  policy: RolloutPolicy;
  gate: RolloutGate;
  stages: ResolvedStage[];
  stageIndex: number;
  stageStartedAtMs: number;
  /** The last baseline share measured with a full sample, if any. */
  baselineShare: number | null;
  nowMs: number;
}

export type Decision = 'advance' | 'complete' | 'hold' | 'halt';

/** The HealthEvaluation of the API (schemas.ts), less its timing. */
export interface Evaluation {
  at: string;
  stageIndex: number;
  windowSeconds: number;
  updated: { devices: number; reporting: number; share: number | null };
  baseline: { devices: number; reporting: number; share: number | null; source: 'not-yet-updated' | 'last-full-sample' | 'none' };
  healthRatio: number | null;
  reported: number;
  failures: number;
  failureRate: number | null;
  transferred: number;
  decision: Decision;
  reason: string;
}

export interface DecisionResult {
  evaluation: Evaluation;
  haltReason: HaltReason | null;
  /** The baseline share to keep for later evaluations (unchanged unless measured with a full sample). */
  baselineShare: number | null;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * The gate, as a pure function of the counts: the rules of contract/ota-rollout.ts.
 *
 * 1. Failure gate (every policy): reported ≥ failureMinSample and
 *    failureRate > maxFailureRate → halt (failure-threshold).
 * 2. Health gate (policy health-gate): |U| ≥ minSample, a baseline share > 0,
 *    and healthRatio < minHealthRatio → halt (health-gate). Checked at every
 *    run, not only at the end of a soak: a quiet brick halts as soon as the
 *    window shows it.
 * 3. Before the stage has soaked: hold.
 * 4. After: health-gate advances once the health gate passes with a full
 *    sample; transfer-success advances once `minSample` transfers succeeded.
 *    The last stage completes instead of advancing.
 */
export function decide(counts: HealthCounts, r: DecisionInput): DecisionResult {
  const { gate } = r;
  const updatedShare = counts.updated > 0 ? counts.updatedReporting / counts.updated : null;
  let baselineShare: number | null = null;
  let source: Evaluation['baseline']['source'] = 'none';
  let keep = r.baselineShare;
  if (counts.baseline >= gate.minSample) {
    baselineShare = counts.baselineReporting / counts.baseline;
    source = 'not-yet-updated';
    keep = baselineShare;
  } else if (r.baselineShare !== null) {
    baselineShare = r.baselineShare;
    source = 'last-full-sample';
  }
  const healthRatio = updatedShare !== null && baselineShare !== null && baselineShare > 0 ? updatedShare / baselineShare : null;
  const failureRate = counts.reported > 0 ? counts.failures / counts.reported : null;

  const base = {
    at: new Date(r.nowMs).toISOString(),
    stageIndex: r.stageIndex,
    windowSeconds: gate.windowSeconds,
    updated: { devices: counts.updated, reporting: counts.updatedReporting, share: updatedShare },
    baseline: { devices: counts.baseline, reporting: counts.baselineReporting, share: baselineShare, source },
    healthRatio,
    reported: counts.reported,
    failures: counts.failures,
    failureRate,
    transferred: counts.transferred,
  };
  const out = (decision: Decision, reason: string, haltReason: HaltReason | null = null): DecisionResult => ({
    evaluation: { ...base, decision, reason },
    haltReason,
    baselineShare: keep,
  });

  if (failureRate !== null && counts.reported >= gate.failureMinSample && failureRate > gate.maxFailureRate) {
    return out('halt', `failure gate: ${counts.failures} of ${counts.reported} reporting devices failed or rolled back (${pct(failureRate)} > ${pct(gate.maxFailureRate)})`, 'failure-threshold');
  }
  const healthEvaluable = counts.updated >= gate.minSample && healthRatio !== null;
  if (r.policy === 'health-gate' && healthEvaluable && healthRatio < gate.minHealthRatio) {
    return out(
      'halt',
      `health gate: ${counts.updatedReporting} of ${counts.updated} updated devices reported a session in the last ${gate.windowSeconds} s ` +
        `(${pct(updatedShare!)}) vs ${pct(baselineShare!)} of the baseline (${source}): ratio ${healthRatio.toFixed(3)} < ${gate.minHealthRatio}`,
      'health-gate',
    );
  }
  const stage = r.stages[r.stageIndex]!;
  const soakEndMs = r.stageStartedAtMs + stage.soakSeconds * 1000;
  if (r.nowMs < soakEndMs) return out('hold', `soaking: stage ${r.stageIndex} may advance in ${Math.ceil((soakEndMs - r.nowMs) / 1000)} s`);
  const last = r.stageIndex === r.stages.length - 1;
  if (r.policy === 'health-gate') {
    if (counts.updated < gate.minSample) {
      return out('hold', `waiting for sample: ${counts.updated} of ${gate.minSample} devices confirmed at least ${gate.windowSeconds} s ago`);
    }
    if (baselineShare === null) {
      return out('hold', `waiting for a baseline: ${counts.baseline} of ${gate.minSample} devices not yet updated, and no earlier full sample`);
    }
    if (healthRatio === null) return out(last ? 'complete' : 'advance', `health gate passed: no baseline device reported in the window, so none of ${counts.updated} updated devices is worse`);
    return out(last ? 'complete' : 'advance', `health gate passed: ratio ${healthRatio.toFixed(3)} ≥ ${gate.minHealthRatio} over ${counts.updated} updated devices`);
  }
  if (counts.transferred < gate.minSample) return out('hold', `waiting for transfers: ${counts.transferred} of ${gate.minSample} succeeded`);
  return out(last ? 'complete' : 'advance', `transfers succeeded: ${counts.transferred} devices installed (post-update health ignored by policy transfer-success)`);
}
