import { SILENCE_TEST, type HaltReason, type RolloutGate, type RolloutPolicy } from '../../../contract/ota-rollout.ts';
import { binomialUpperTail, wilsonUpper } from './binomial.ts';
import type { ResolvedStage } from './rollout-spec.ts';

/** What the one health query counts for a rollout (see health.ts and contract/ota-rollout.ts RolloutGate). */
export interface HealthCounts {
  /** Devices whose latest report is this rollout's `confirmed` on its version. */
  updated: number;
  /** Of those, confirmed at least their quiet threshold τ ago; and of those, silent for τ since they confirmed. */
  watched: number;
  quiet: number;
  /** Updated devices watched for τ plus watchReports of their intervals (a pass counts these); and of those, quiet. */
  evaluable: number;
  evaluableQuiet: number;
  /** Not-yet-updated devices active when the rollout started, watched for τ since; and of those, silent for τ. */
  baseline: number;
  baselineQuiet: number;
  /** Mean quiet threshold of the updated and the baseline devices, and the line's mean interval between sessions (seconds; 0: none yet). */
  tauUpdatedS: number;
  tauBaselineS: number;
  lineIntervalS: number;
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
  /** The silence test behind the health gate (contract/ota-rollout.ts RolloutGate). */
  silence: {
    updated: number;
    quiet: number;
    evaluable: number;
    evaluableQuiet: number;
    /** The quiet share the test's null hypothesis allows: 1 − minHealthRatio × (1 − baseline quiet share at its upper bound). */
    nullQuietShare: number | null;
    /** P(at least `quiet` of `updated.devices` quiet | nullQuietShare): the gate halts below SILENCE_TEST.significance. */
    pValue: number | null;
    tauUpdatedHours: number;
    tauBaselineHours: number;
    lineIntervalHours: number;
  };
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
const hours = (s: number) => Math.round(s / 360) / 10;
const sci = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/**
 * The gate, as a pure function of the counts: the rules of contract/ota-rollout.ts.
 *
 * 1. Failure gate (every policy): reported ≥ failureMinSample and
 *    failureRate > maxFailureRate → halt (failure-threshold).
 * 2. Health gate (policy health-gate): the silence test. With p₀ the quiet
 *    share the null hypothesis allows (from the baseline's quiet share, at its
 *    upper Wilson bound), |watched| ≥ minSample and the one-sided exact
 *    binomial P(X ≥ quiet | watched, p₀) < SILENCE_TEST.significance → halt
 *    (health-gate). Checked at every run, not only at the end of a soak.
 * 3. Before the stage has soaked: hold.
 * 4. After: health-gate advances once at least minSample updated devices are
 *    evaluable and the upper bound of their quiet share is at most p₀;
 *    transfer-success advances once `minSample` transfers succeeded. The last
 *    stage completes instead of advancing.
 */
export function decide(counts: HealthCounts, r: DecisionInput): DecisionResult {
  const { gate } = r;
  const t = SILENCE_TEST;
  let baselineShare: number | null = null;
  let baselineQuietHigh: number | null = null;
  let source: Evaluation['baseline']['source'] = 'none';
  let keep = r.baselineShare;
  if (counts.baseline >= gate.minSample) {
    baselineShare = 1 - counts.baselineQuiet / counts.baseline;
    baselineQuietHigh = wilsonUpper(counts.baselineQuiet, counts.baseline, t.passZ);
    source = 'not-yet-updated';
    keep = baselineShare;
  } else if (r.baselineShare !== null) {
    baselineShare = r.baselineShare;
    baselineQuietHigh = 1 - r.baselineShare;
    source = 'last-full-sample';
  }
  const p0 = baselineQuietHigh === null ? null : 1 - gate.minHealthRatio * (1 - baselineQuietHigh);
  const pValue = p0 === null || counts.watched === 0 ? null : binomialUpperTail(counts.quiet, counts.watched, p0);
  const updatedShare = counts.watched > 0 ? (counts.watched - counts.quiet) / counts.watched : null;
  const healthRatio = updatedShare !== null && baselineShare !== null && baselineShare > 0 ? updatedShare / baselineShare : null;
  const failureRate = counts.reported > 0 ? counts.failures / counts.reported : null;

  const base = {
    at: new Date(r.nowMs).toISOString(),
    stageIndex: r.stageIndex,
    windowSeconds: gate.windowSeconds,
    updated: { devices: counts.watched, reporting: counts.watched - counts.quiet, share: updatedShare },
    baseline: { devices: counts.baseline, reporting: counts.baseline - counts.baselineQuiet, share: baselineShare, source },
    healthRatio,
    reported: counts.reported,
    failures: counts.failures,
    failureRate,
    transferred: counts.transferred,
    silence: {
      updated: counts.updated,
      quiet: counts.quiet,
      evaluable: counts.evaluable,
      evaluableQuiet: counts.evaluableQuiet,
      nullQuietShare: p0,
      pValue,
      tauUpdatedHours: hours(counts.tauUpdatedS),
      tauBaselineHours: hours(counts.tauBaselineS),
      lineIntervalHours: hours(counts.lineIntervalS),
    },
  };
  const out = (decision: Decision, reason: string, haltReason: HaltReason | null = null): DecisionResult => ({
    evaluation: { ...base, decision, reason },
    haltReason,
    baselineShare: keep,
  });

  if (failureRate !== null && counts.reported >= gate.failureMinSample && failureRate > gate.maxFailureRate) {
    return out('halt', `failure gate: ${counts.failures} of ${counts.reported} reporting devices failed or rolled back (${pct(failureRate)} > ${pct(gate.maxFailureRate)})`, 'failure-threshold');
  }
  const baselineText = () =>
    source === 'none' ? 'no baseline yet' : `baseline ${source === 'not-yet-updated' ? `${counts.baselineQuiet} of ${counts.baseline} not-yet-updated devices quiet` : `last full sample ${pct(1 - baselineShare!)} quiet`}`;
  if (r.policy === 'health-gate' && counts.watched >= gate.minSample && pValue !== null && pValue < t.significance) {
    return out(
      'halt',
      `health gate: ${counts.quiet} of ${counts.watched} updated devices went quiet since the update (each silent for ${t.missedReports} of its own reports, τ ≈ ${hours(counts.tauUpdatedS)} h) ` +
        `vs ${baselineText()}; P(≥ ${counts.quiet} | quiet share ${pct(p0!)}) = ${sci(pValue)} < ${t.significance}`,
      'health-gate',
    );
  }
  const stage = r.stages[r.stageIndex]!;
  const soakEndMs = r.stageStartedAtMs + stage.soakSeconds * 1000;
  if (r.nowMs < soakEndMs) return out('hold', `soaking: stage ${r.stageIndex} may advance in ${Math.ceil((soakEndMs - r.nowMs) / 1000)} s`);
  const last = r.stageIndex === r.stages.length - 1;
  if (r.policy === 'health-gate') {
    if (counts.evaluable < gate.minSample) {
      return out('hold', `watching: ${counts.evaluable} of ${gate.minSample} updated devices watched long enough to tell (τ + ${t.watchReports} of their intervals; ${counts.updated} updated, ${counts.quiet} quiet)`);
    }
    if (p0 === null) {
      return out('hold', `waiting for a baseline: ${counts.baseline} of ${gate.minSample} devices not yet updated watched since the rollout started, and no earlier full sample`);
    }
    const high = wilsonUpper(counts.evaluableQuiet, counts.evaluable, t.passZ);
    if (high > p0) {
      return out('hold', `not yet shown healthy: ${counts.evaluableQuiet} of ${counts.evaluable} evaluable devices quiet, upper bound ${pct(high)} > ${pct(p0)} (${baselineText()})`);
    }
    return out(
      last ? 'complete' : 'advance',
      `health gate passed: ${counts.evaluableQuiet} of ${counts.evaluable} evaluable updated devices quiet (upper bound ${pct(high)} ≤ ${pct(p0)}; ${baselineText()})`,
    );
  }
  if (counts.transferred < gate.minSample) return out('hold', `waiting for transfers: ${counts.transferred} of ${gate.minSample} succeeded`);
  return out(last ? 'complete' : 'advance', `transfers succeeded: ${counts.transferred} devices installed (post-update health ignored by policy transfer-success)`);
}
