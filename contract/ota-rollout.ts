import { uuidBytes } from './ota-report.ts';

/**
 * Staged rollouts: the vocabulary both the platform and the harness's checkers
 * use, so that a checker can recompute every cohort and gate decision.
 *
 * Policies (when a stage may advance):
 * - `health-gate`: the stage has soaked, no failure gate tripped, and the
 *   updated devices keep reporting sessions about as well as the devices not
 *   yet updated (see RolloutGate). Halts automatically when they do not.
 * - `transfer-success`: the stage has soaked, enough transfers succeeded
 *   (installed, booted or confirmed) and no failure gate tripped; post-update
 *   health is ignored. This is the counterfactual: it misses an image that
 *   boots fine and bricks later.
 */
export const ROLLOUT_POLICIES = Object.freeze(['health-gate', 'transfer-success'] as const);
export type RolloutPolicy = (typeof ROLLOUT_POLICIES)[number];

/** active → halted ⇄ active → completed; active|halted → cancelled. */
export const ROLLOUT_STATES = Object.freeze(['active', 'halted', 'completed', 'cancelled'] as const);
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const ROLLOUT_ACTIONS = Object.freeze(['advance', 'halt', 'resume', 'cancel'] as const);
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export const HALT_REASONS = Object.freeze(['health-gate', 'failure-threshold', 'manual'] as const);
export type HaltReason = (typeof HALT_REASONS)[number];

/**
 * The thresholds a rollout is judged by.
 *
 * The health gate watches each device against its own rhythm (SILENCE_TEST):
 * the platform knows, for every device, how many sessions it recorded over how
 * long (the sequence numbers and device times of its first and latest stored
 * session). At platform time T:
 *
 * - a device's *quiet threshold* τ is the silence its own rhythm makes as
 *   unlikely as missing `missedReports` reports in a row ({@link quietAfterSeconds}:
 *   the Gamma–Poisson predictive, shrunk towards the product line's rhythm, so a
 *   device with little history needs a longer silence);
 * - updated devices U: devices of the rollout whose latest signed report is
 *   `confirmed` on the release's version. One is *watched* once it confirmed at
 *   least τ ago, and *quiet* when it also has had no session for τ since it
 *   confirmed ("went quiet since the update");
 * - baseline devices B: devices of the line not running the release, active
 *   when the rollout started (a session within τ before it, or first heard
 *   after it), watched over the same hours: since the rollout started;
 * - the gate compares the quiet share of U with that of B by a one-sided exact
 *   binomial test: with p₀ = 1 − minHealthRatio × (1 − p_B) (p_B: the baseline's
 *   quiet share, at its upper confidence bound), it halts when
 *   P(X ≥ quiet | watched, p₀) < SILENCE_TEST.significance and
 *   |watched| ≥ minSample;
 * - it passes (a soaked stage may advance) once at least minSample updated
 *   devices have been watched for τ plus `watchReports` of their own intervals
 *   (so a device that died after the update has had time to show it) and the
 *   upper confidence bound of their quiet share is at most p₀.
 *
 * `windowSeconds` no longer decides anything: the health gate does not depend
 * on a window. It is kept in the API (and echoed in each evaluation) for the
 * clients that send it.
 *
 * The failure gate: among the rollout's devices that reported at all,
 * failureRate = (failed + rolled-back) / reported; it trips when
 * reported ≥ failureMinSample and failureRate > maxFailureRate (hawkBit's
 * error threshold, AWS IoT Jobs' abort criteria). It applies to every policy.
 */
export interface RolloutGate {
  windowSeconds: number;
  minSample: number;
  /** 0..1: the share of updated devices not quiet must be at least this fraction of the baseline's (the null hypothesis of the silence test). */
  minHealthRatio: number;
  /** 0..1. */
  maxFailureRate: number;
  failureMinSample: number;
}

/** The gate a rollout gets for every field it leaves out. */
export const ROLLOUT_GATE_DEFAULTS: Readonly<RolloutGate> = Object.freeze({
  windowSeconds: 24 * 3600,
  minSample: 50,
  minHealthRatio: 0.8,
  maxFailureRate: 0.05,
  failureMinSample: 20,
});

/**
 * The silence test's fixed parameters (see RolloutGate).
 *
 * - missedReports k: a device is quiet once its silence is as unlikely, under
 *   its own rhythm, as k missed reports in a row (e^−k under a Poisson rhythm).
 *   Three at two brushings a day is 36 h or more: a device that merely skips a
 *   day (a 36 h gap) is at most briefly "quiet", and the baseline skips days too.
 * - watchReports: how many of its own intervals an updated device must be
 *   watched beyond τ before it counts towards a pass.
 * - priorReports: the product line's rhythm counts as this many reports of
 *   each device's history (shrinkage for devices with little history).
 * - significance: the one-sided test's level (the monitor runs hourly, so a
 *   small level keeps false halts rare over a week of runs).
 * - passZ: the z of the upper confidence bound a pass needs (one-sided 95 %).
 */
export const SILENCE_TEST = Object.freeze({
  missedReports: 3,
  watchReports: 2,
  priorReports: 2,
  significance: 0.001,
  passZ: 1.645,
});

/**
 * A device's quiet threshold τ in seconds: the silence after which "no session"
 * is as unlikely as `missedReports` missed reports, for a device that recorded
 * `intervals` sessions after its first over `spanSeconds`, on a product line
 * whose mean interval between sessions is `lineIntervalSeconds`. Gamma–Poisson
 * predictive: with shape a = intervals + priorReports and scale
 * b = spanSeconds + priorReports × lineIntervalSeconds,
 * P(no session in τ) = (b / (b + τ))^a = e^−k, so τ = b (e^(k/a) − 1).
 * The health query (reference-api/src/ota/health.ts) computes the same in SQL.
 */
export function quietAfterSeconds(intervals: number, spanSeconds: number, lineIntervalSeconds: number, t: Readonly<typeof SILENCE_TEST> = SILENCE_TEST): number {
  const a = intervals + t.priorReports;
  const b = spanSeconds + t.priorReports * lineIntervalSeconds;
  return b * (Math.exp(t.missedReports / a) - 1);
}

/** How long past τ an updated device is watched before it counts towards a pass: `watchReports` of its mean intervals. */
export function watchSeconds(intervals: number, spanSeconds: number, lineIntervalSeconds: number, t: Readonly<typeof SILENCE_TEST> = SILENCE_TEST): number {
  const a = intervals + t.priorReports;
  const b = spanSeconds + t.priorReports * lineIntervalSeconds;
  return (t.watchReports * b) / a;
}

/**
 * One stage: its cohort is every device whose cohortBucket() is below
 * `percent` × 100 (percent of the eligible fleet; default 100), and of those
 * at most `maxDevices` (counted over the whole rollout, first come first
 * served; default no cap). The stage may advance once it has run
 * `soakSeconds` and its policy's gate passes.
 */
export interface RolloutStage {
  percent?: number;
  maxDevices?: number;
  soakSeconds: number;
}

/** Buckets of the cohort hash: a percent p admits buckets [0, p × 100). */
export const COHORT_BUCKETS = 10_000;

/** The bucket bound of a stage percent (0.01 % resolution). */
export function percentToBuckets(percent: number): number {
  return Math.round(percent * 100);
}

/**
 * The cohort bucket of a device in a rollout, in [0, COHORT_BUCKETS): stable
 * for a (rollout, device) pair, independent between rollouts. Stages are
 * nested: a device in a stage's cohort is in every later stage's.
 *
 *   h = FNV-1a-32 over uuidBytes(rolloutId) || u64be(deviceId), then murmur3's fmix32
 *   bucket = h mod 10000
 */
export function cohortBucket(rolloutId: string, deviceId: number): number {
  if (!Number.isSafeInteger(deviceId) || deviceId < 0) throw new RangeError(`deviceId must be a non-negative safe integer, got ${String(deviceId)}`);
  const id = uuidBytes(rolloutId);
  let h = 0x811c_9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ id[i]!, 0x0100_0193);
  const high = Math.floor(deviceId / 0x1_0000_0000);
  const low = deviceId >>> 0;
  for (const word of [high, low]) {
    for (let shift = 24; shift >= 0; shift -= 8) h = Math.imul(h ^ ((word >>> shift) & 0xff), 0x0100_0193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return (h >>> 0) % COHORT_BUCKETS;
}
