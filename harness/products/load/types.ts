import type { SeedInput } from '../../core/scenario/seed.ts';

/** A real (wall-clock) duration: `"30s"`, `"5m"`, `"1m30s"`, `"500ms"`, or a number of seconds. */
export type RealDuration = string | number;

/** Phone syncs arrive at `rate` per second for `duration`. */
export interface ConstantArrival {
  shape: 'constant';
  /** Phone syncs per second. */
  rate: number;
  duration: RealDuration;
}

/** Piecewise-linear rate: from `startRate` (default 0) to each stage's `target` over its `duration` (k6's ramping-arrival-rate). */
export interface RampingArrival {
  shape: 'ramping';
  startRate?: number;
  stages: ReadonlyArray<{ target: number; duration: RealDuration }>;
}

/**
 * The fleet's own day: every sync the behaviour model makes over `days` days
 * (morning and evening peaks), played with virtual time compressed `compress`
 * times (288: a day in 5 minutes).
 */
export interface FleetDayArrival {
  shape: 'fleet-day';
  days?: number;
  compress?: number;
}

/**
 * After an app release every phone opens the app at `at` (virtual, default 07:00 of the
 * next day): all of them sync within `over`, most right away (the rate falls linearly to
 * zero). The day before is played first, unmeasured, so phones hold a night's records.
 */
export interface ThunderingHerdArrival {
  shape: 'thundering-herd';
  at?: string;
  over: RealDuration;
  /** Share of phones that open the app (default 1: every phone). */
  share?: number;
}

/**
 * The platform was down for `hours` from `from` (virtual, default 20:00 of the first
 * day): every phone that missed a sync in that time returns within `over` with everything
 * it held; then the fleet's day goes on for `afterHours`, compressed `compress` times.
 */
export interface OutageBacklogArrival {
  shape: 'outage-backlog';
  from?: string;
  hours: number;
  over: RealDuration;
  afterHours?: number;
  compress?: number;
}

/** A closed model for comparison: `concurrency` phones sync back to back for `duration`. */
export interface ClosedArrival {
  shape: 'closed';
  concurrency: number;
  duration: RealDuration;
}

export type ArrivalInput = ConstantArrival | RampingArrival | FleetDayArrival | ThunderingHerdArrival | OutageBacklogArrival | ClosedArrival;
export type ArrivalShape = ArrivalInput['shape'];

/** `--find-max`: ramp the rate up by `factor` each step until the SLO breaks, then bisect. */
export interface FindMaxInput {
  /** First rate tried, syncs per second. */
  startRate?: number;
  /** Each ramp step multiplies the rate by this. */
  factor?: number;
  /** How long each step holds its rate. */
  stepDuration?: RealDuration;
  /** Stop when the bracket is narrower than this share of its upper end. */
  precision?: number;
  /** Never try above this rate. */
  maxRate?: number;
}

/** A load plan: `export default defineLoadPlan({...})` in `scenarios/load/*.ts`. */
export interface LoadPlan {
  /** Kebab-case, unique among plans. */
  name: string;
  description: string;
  seed?: SeedInput;
  fleet?: { devices?: number };
  arrival: ArrivalInput;
  /** Requests the generator keeps in flight at most; an arrival that finds them all busy starts late and is counted. */
  maxInFlight?: number;
  /** An arrival that starts more than this many ms after its intended time "could not start in time". */
  lateStartMs?: number;
  /** k6-style thresholds on the load metrics (docs/load.md lists them). */
  thresholds?: Record<string, string[]>;
  /** The service-level objective `--find-max` holds: thresholds on upload_duration and http_req_failed. */
  slo?: Record<string, string[]>;
  findMax?: FindMaxInput;
}

/** A validated plan: every default filled in, durations in ms, frozen. */
export interface ResolvedLoadPlan {
  name: string;
  description: string;
  file: string;
  seed: string;
  devices: number;
  arrival: ResolvedArrival;
  maxInFlight: number;
  lateStartMs: number;
  thresholds: Readonly<Record<string, readonly string[]>>;
  slo: Readonly<Record<string, readonly string[]>>;
  findMax: Required<Omit<FindMaxInput, 'stepDuration'>> & { stepMs: number };
}

export type ResolvedArrival =
  | { shape: 'constant'; rate: number; durationMs: number }
  | { shape: 'ramping'; startRate: number; stages: ReadonlyArray<{ target: number; durationMs: number }> }
  | { shape: 'fleet-day'; days: number; compress: number }
  | { shape: 'thundering-herd'; atS: number; overMs: number; share: number }
  | { shape: 'outage-backlog'; fromS: number; hours: number; overMs: number; afterHours: number; compress: number }
  | { shape: 'closed'; concurrency: number; durationMs: number };
