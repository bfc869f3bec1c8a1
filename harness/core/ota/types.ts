import type { Fleet } from '../../../simulators/fleet.ts';
import type { BootloaderState, ImageCatalog } from '../../../simulators/ota/index.ts';
import type { ResolvedOta, ResolvedScenario } from '../scenario/types.ts';

/** One offer the platform made to a device (through its phone), at simulated time `t`. */
export interface OtaOffer {
  /** Simulated seconds since the start. */
  t: number;
  /** Device index in the fleet. */
  d: number;
  deviceId: number;
  /** Index in `ota.rollouts`. */
  rollout: number;
  rolloutId: string;
  stageIndex: number;
  version: string;
  antiRollbackCounter: number;
  /** The device's anti-rollback counter when the offer arrived (simulator state). */
  deviceCounter: number;
  /** Whether the device's running version was already at or above the offered one. */
  notNewer: boolean;
  /** Whether the offered manifest and signature are the bytes of the image the release pipeline signed. */
  manifestMatches: boolean;
  /** The first offer this device got from this rollout (it joined the rollout then). */
  first: boolean;
}

/** One update a device ran after an offer: the bootloader's reports, in order. */
export interface OtaAttempt {
  t: number;
  d: number;
  rollout: number;
  image: number;
  /** A chunk of this download arrived corrupted. */
  corrupt: boolean;
  /** Report states (with detail and boot count), in order. */
  reports: Array<{ state: string; detail: string; bootCount: number }>;
  /** What the platform answered the relay: stored + duplicate, rejected. */
  accepted: number;
  rejected: number;
}

/** A device asked whether an update applies while its counter was above the rollout release's (a downgrade candidate). */
export interface OtaDowngradeAsk {
  t: number;
  d: number;
  rollout: number;
  deviceCounter: number;
  releaseCounter: number;
  offered: boolean;
  reason: string | null;
}

export interface OtaMonitorRun {
  t: number;
  rollouts: Array<{ rolloutId: string; before: { state: string; stageIndex: number }; after: { state: string; stageIndex: number }; decision: string; reason: string; evaluationMs: number }>;
}

export interface OtaRolloutTrack {
  index: number;
  rolloutId: string;
  releaseId: string;
  image: number;
  createdAt: number;
  policy: string;
  /** Latest GET /v2/ota/rollouts/:id. */
  status: RolloutStatus | null;
  /** Simulated time the harness first saw it halted. */
  haltAt: number | null;
  haltStage: number | null;
  haltReason: string | null;
  haltDetail: string | null;
  completedAt: number | null;
  /** Cohort of each stage, recomputed with contract cohortBucket over the eligible devices (caps applied). */
  cohortSizes: number[];
  /** Stage start times (simulated seconds) from the rollout's status. */
  stageStartedAt: Array<number | null>;
  stagePassedAt: Array<number | null>;
}

export interface RolloutStatus {
  rolloutId: string;
  state: string;
  stageIndex: number;
  policy: string;
  devices: number;
  counts: Record<string, number>;
  stages: Array<{ index: number; percent: number; maxDevices: number | null; soakSeconds: number; status: string; startedAt: string | null; passedAt: string | null; devices: number; counts: Record<string, number> }>;
  halt: null | { reason: string; by: string; at: string; detail: string };
  lastEvaluation: null | { decision: string; reason: string };
}

/** One point of the OTA history (per simulated hour). */
export interface OtaHourPoint {
  t: number;
  /** Devices of the target line running (confirmed) a rollout's image. */
  onNewImage: number;
  /** Devices that went quiet (bricked) so far. */
  bricked: number;
  /** Offers made in this hour. */
  offers: number;
  uploads: number;
  sessions: number;
  /** Per rollout: state and stage, when created. */
  rollouts: Array<{ state: string; stage: number } | null>;
}

/** Everything one OTA engine run saw: the checkers' input. */
export interface OtaRunRecord {
  scenario: ResolvedScenario;
  ota: ResolvedOta;
  /** The policy every rollout ran under (the scenario's, or the counterfactual's override). */
  policyOverride: 'health-gate' | 'transfer-success' | null;
  startMs: number;
  simulatedSeconds: number;
  stepSeconds: number;
  fleet: Fleet;
  catalog: ImageCatalog;
  /** Catalog index of each rollout's image. */
  rolloutImages: number[];
  boot: BootloaderState;
  /** Device indices of the target product line. */
  eligible: number[];
  /** Head type fitted on each device (null: unknown id). */
  headTypes: Array<string | null>;
  offers: OtaOffer[];
  attempts: OtaAttempt[];
  downgradeAsks: OtaDowngradeAsk[];
  monitor: OtaMonitorRun[];
  rollouts: OtaRolloutTrack[];
  hours: OtaHourPoint[];
  /** Simulated time each device first ran (installed, trial-booted) a rollout's image: `took[rollout]` maps device index → t. */
  took: Array<Map<number, number>>;
  totals: { uploads: number; sessions: number; stored: number; rejected: number; checks: number; reportsRelayed: number; reportsRejected: number; baselineSessions: number };
  wallSeconds: number;
  phases: Record<string, number>;
}
