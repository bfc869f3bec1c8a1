/**
 * The load summary: `metrics.load` of a `fleetbed load` run's summary.json (docs/load.md).
 * Its type lives here, beside the report types, because two products read it — the load
 * product writes it, `fleetbed merge` adds the summaries of a sharded load run into one —
 * and products may share only the machinery.
 */

/** Version of the `metrics.load` object (docs/load.md); bumped on any incompatible change. */
export const LOAD_SUMMARY_VERSION = 1;

export type LoadVerdictKind = 'kept-up' | 'platform-saturated' | 'generator-saturated';

/** Where the load's bonded fleet came from: built through the real flows, reused from a fixture, or built and kept as one. */
export type FixtureUse = 'built' | 'reused' | 'none';

/** Percentiles of one route (ms), from an HDR histogram (3 significant digits). */
export interface RouteLatency {
  route: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The routes a load run times, by the short name the timeline uses. */
export type RouteName = 'upload' | 'token';

/** One real second of a measured phase: what the charts plot and the dashboard streams. */
export interface WindowPoint {
  /** Seconds since the measured phase began. */
  t: number;
  /** Syncs intended to start in this second (the target rate); null for the closed model. */
  target: number | null;
  started: number;
  completed: number;
  /** Requests that failed (network error, 5xx, or any status but 200/422). */
  errors: number;
  requests: number;
  inFlight: number;
  recordsStored: number;
  /** p50 and p99 per route, ms from the intended send time. */
  p50: Partial<Record<RouteName, number>>;
  p99: Partial<Record<RouteName, number>>;
  /** The generator's CPU in this second, as a share of one core. */
  generatorCpu: number;
  /** Worst delay between an arrival's intended time and its start, ms. */
  lagMaxMs: number;
}

/** Bytes of one table and its indexes. */
export interface TableSize {
  table: string;
  tableBytes: number;
  indexBytes: number;
}

/** The fleet's day as the behaviour model makes it: syncs per hour of the (UTC) day. */
export interface DiurnalCurve {
  /** Mean syncs in each hour 0–23 over the sampled days. */
  hourly: number[];
  syncsPerDevicePerDay: number;
  /** Busiest hour's rate over the day's mean rate. */
  peakFactor: number;
  peakHour: number;
  /** The 07:00–08:00 hour's rate over the day's mean rate. */
  morningFactor: number;
}

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

/**
 * `--shard i/n`: the slice of the fleet this load run drove and its share of the plan. The
 * shard played the whole plan's schedule keeping the arrivals of its own phones, so the
 * shards' `arrivals` add up to `planArrivals` exactly.
 */
export interface LoadShardInfo {
  index: number;
  count: number;
  /** SHA-256 of the resolved plan (canonical JSON): shards of one load run share it. */
  planDigest: string;
  households: number;
  devices: number;
  phones: number;
  /** Measured arrivals of this shard, and of the whole plan. */
  arrivals: number;
  planArrivals: number;
  /** Real length of the measured phase, ms (the plan's, the same on every shard). */
  durationMs: number;
  /** Upload requests of the measured phase, and the generator's CPU over it (µs): what per-upload costs divide. */
  uploadsMeasured: number;
  generatorCpuMicros: number;
}

/** A merged load summary: what was added exactly, what is an upper bound, and each shard's own figures. */
export interface LoadMergeInfo {
  count: number;
  /** How each figure was merged, in words (percentiles are an upper bound). */
  notes: Record<string, string>;
  shards: Array<{ shard: number; verdict: LoadVerdictKind; arrivals: number; completed: number; targetSyncsPerSecond: number | null; achievedSyncsPerSecond: number; wallSeconds: number; ledgerDigest: string }>;
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
  /** `rate` = `failed` / `requests` (every request of the measured phase, each route). */
  errors: { rate: number; byOutcome: Record<string, number>; requests: number; failed: number };
  cpu: { secondsByGroup: Record<string, number>; microsPerUploadByGroup: Record<string, number> };
  generator: { cpuMicrosPerUpload: number; cpuCores: number; lagP99Ms: number; peakInFlight: number; saturated: boolean };
  database: { reachable: true; growth: TableSize[]; bytesPerRecord: number; bytesPerSimulatedDay: number; simulatedDays: number } | { reachable: false; reason: string };
  diurnal: DiurnalCurve & { recordsPerSync: number };
  verdict: { kind: LoadVerdictKind; text: string };
  findMax?: FindMaxResult;
  ledger: { digest: string; ok: boolean; method: string; storedOnPlatform: number; storedInLedger: number; mismatches: number; violations: number; settledUploads: number };
  timeline: WindowPoint[];
  /** A shard's report (`--shard i/n`): its slice and share. */
  shard?: LoadShardInfo;
  /** A merged report (`fleetbed merge` of the shards): how it was added up. */
  merged?: LoadMergeInfo;
}
