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
 * The thresholds a rollout is judged by. Over a trailing window of W =
 * `windowSeconds` ending at platform time T:
 *
 * - updated devices U: devices of the rollout whose latest signed report is
 *   `confirmed` on the release's version, confirmed (device time) at or before
 *   T − W, and with a session before T − W;
 * - baseline devices B: devices of the product line running an older version,
 *   with a session before T − W and one after T − 2W (not long dormant);
 * - a device is *reporting* when it has a session (device time) in [T − W, T].
 *
 * healthRatio = share(U reporting) / share(B reporting). The health gate fails
 * when |U| ≥ minSample and healthRatio < minHealthRatio, and passes when
 * |U| ≥ minSample and healthRatio ≥ minHealthRatio. When |B| < minSample, the
 * last baseline share measured with a full sample stands in for it.
 *
 * The failure gate: among the rollout's devices that reported at all,
 * failureRate = (failed + rolled-back) / reported; it trips when
 * reported ≥ failureMinSample and failureRate > maxFailureRate (hawkBit's
 * error threshold, AWS IoT Jobs' abort criteria). It applies to every policy.
 */
export interface RolloutGate {
  windowSeconds: number;
  minSample: number;
  /** 0..1: updated devices' reporting share must be at least this fraction of the baseline's. */
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
