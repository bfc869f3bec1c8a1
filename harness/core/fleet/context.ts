import type { Fleet } from '../../../simulators/fleet.ts';
import type { Identities } from '../../../simulators/identities.ts';
import type { Ledger } from '../../../simulators/ledger.ts';
import type { AppState } from './app-state.ts';
import type { FleetHttp } from './http.ts';
import type { Progress } from './progress.ts';

/** Counters of what the driver sent (not part of the ledger: they depend on timing, e.g. token refreshes). */
export interface DriverStats {
  accounts: number;
  signIns: number;
  refreshes: number;
  bonds: number;
  uploads: number;
  uploadRetries: number;
  replays: number;
  /** Syncs that began with a reinstalled app (fresh sign-in, no memory of what it relayed). */
  reinstalls: number;
  recordsSent: number;
}

/** One upload as the driver saw it (for the runner's history; timing-dependent, not in the ledger). */
export interface UploadEvent {
  /** The platform clock when it was sent, in ms. */
  platformMs: number;
  latencyMs: number;
  /** HTTP status of the answer the driver acted on. */
  status: number;
  counts: { stored: number; duplicate: number; rejected: number };
  /** Records of this upload rejected as too-late. */
  late: number;
  replayed: boolean;
}

/** Optional observers a runner plugs into the driver. */
export interface FleetHooks {
  /** Before each slot of simulated time is driven (the clock is about to be set to `platformMs`). */
  beforeSlot?(platformMs: number): Promise<void>;
  /** After each upload's answer arrived. */
  upload?(event: UploadEvent): void;
}

/** Everything the driver's phases share. */
export interface FleetContext {
  readonly http: FleetHttp;
  readonly fleet: Fleet;
  readonly ledger: Ledger;
  readonly app: AppState;
  readonly identities: Identities;
  readonly progress: Progress;
  readonly factorySecret: string;
  /** Tasks (and so requests) in flight at most. */
  readonly workers: number;
  /** The platform's clock as the driver last set it, in ms. */
  nowMs: number;
  readonly stats: DriverStats;
  readonly hooks?: FleetHooks;
  /**
   * Honest uploads a hostile phone overheard today (fleet option `hostile`): the first upload of
   * each relay, key and body, in the order the relays start (the simulation's order, not the
   * network's), at most {@link CAPTURE_RING} of them. Absent without hostile records.
   */
  captured?: CapturedUpload[];
}

/** An honest upload as a hostile phone captured it: whose it was, its Idempotency-Key and its body. */
export interface CapturedUpload {
  phone: number;
  key: string;
  body: string;
}

/** Captured uploads kept per day. */
export const CAPTURE_RING = 64;

export const CLIENT_ID = 'fleetbed-phone';
