import type { FixtureUse } from './fleet-source.ts';
import type { DiurnalCurve } from './diurnal.ts';
import type { RouteLatency, WindowPoint } from './measure.ts';
import type { TableSize } from './db-growth.ts';

/** Version of the `metrics.load` object of a load run's summary.json (docs/load.md); bumped on any incompatible change. */
export const LOAD_SUMMARY_VERSION = 1;

export type LoadVerdictKind = 'kept-up' | 'platform-saturated' | 'generator-saturated';

/** One step of `--find-max`. */
export interface FindMaxStep {
  phase: 'ramp' | 'bisect';
  targetSyncsPerSecond: number;
  achievedSyncsPerSecond: number;
  recordsPerSecond: number;
  p99Ms: number;
  errorRate: number;
  couldNotStartInTime: number;
  generatorSaturated: boolean;
  pass: boolean;
  /** Why it failed: the SLO expressions that broke, or the generator. */
  reason?: string;
}

export interface FindMaxResult {
  slo: Record<string, readonly string[]>;
  steps: FindMaxStep[];
  /** Highest rate that met the SLO (0 when none did). */
  maxSyncsPerSecond: number;
  recordsPerSecond: number;
  p99Ms: number;
  /** Lowest rate that broke it: the knee lies between. */
  kneeSyncsPerSecond: number | null;
  /** True when the search stopped because the generator, not the platform, saturated. */
  limitedByGenerator: boolean;
  fleet: { peakFactor: number; peakHour: number; devicesAtPeak: number; morningFactor: number; devicesAt0700: number; text: string };
}

/** `metrics.load` of summary.json: everything a capacity planner reads about one load run. */
export interface LoadSummary {
  schemaVersion: typeof LOAD_SUMMARY_VERSION;
  plan: { name: string; file: string; shape: string; describe: string; devices: number; seed: string; maxInFlight: number };
  fixture: FixtureUse;
  wallSeconds: number;
  target: { arrivals: number; syncsPerSecond: number | null };
  achieved: { completed: number; syncsPerSecond: number; ratio: number | null; recordsPerSecond: number; recordsStored: number };
  /** Arrivals that started more than `lateStartMs` after their intended time (sent anyway, timed from the intended time). */
  couldNotStartInTime: { count: number; atInFlightCap: number; generatorLate: number; lateStartMs: number };
  routes: RouteLatency[];
  syncDurationMs: { p50: number; p99: number; max: number };
  errors: { rate: number; byOutcome: Record<string, number> };
  cpu: { secondsByGroup: Record<string, number>; microsPerUploadByGroup: Record<string, number> };
  generator: { cpuMicrosPerUpload: number; cpuCores: number; lagP99Ms: number; peakInFlight: number; saturated: boolean };
  database: { reachable: true; growth: TableSize[]; bytesPerRecord: number; bytesPerSimulatedDay: number; simulatedDays: number } | { reachable: false; reason: string };
  diurnal: DiurnalCurve & { recordsPerSync: number };
  verdict: { kind: LoadVerdictKind; text: string };
  findMax?: FindMaxResult;
  ledger: { digest: string; ok: boolean; method: string; storedOnPlatform: number; storedInLedger: number; mismatches: number; violations: number; settledUploads: number };
  timeline: WindowPoint[];
}
