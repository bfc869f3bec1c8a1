/**
 * The run report: what `fleetbed run` (and later `load` and `attack`) produce,
 * and what every writer (summary.json, junit.xml, report.html, the terminal
 * table) renders. `summary.json` is this object, serialized; its
 * `schemaVersion` changes on any incompatible change.
 */
export const REPORT_SCHEMA_VERSION = 1;

export type Verdict = 'pass' | 'fail';

/** One concrete counter-example of an invariant. */
export interface Witness {
  /** Device number / id the witness is about, when there is one. */
  device?: number;
  seq?: number;
  /** What the invariant required. */
  expected: string;
  /** What was observed instead. */
  found: string;
  /** Anything else that helps (request id, idempotency key, table, time). */
  detail?: string;
}

export interface InvariantResult {
  /** Stable id from docs/design.md: ING-1, AUTH-2, OTA-5, … */
  id: string;
  /** One-line statement of the invariant. */
  title: string;
  verdict: Verdict | 'skip';
  /** How many things were checked (records, devices, requests…). */
  checked: number;
  /** How many violated the invariant. */
  violations: number;
  /** Up to 20 concrete witnesses. */
  witnesses: Witness[];
  /** Why it was skipped, when verdict is skip. */
  skipReason?: string;
}

/** A k6-style threshold, e.g. metric "http_req_duration", expression "p(99)<250". */
export interface ThresholdResult {
  metric: string;
  expression: string;
  verdict: Verdict;
  /** The measured value the expression compared. */
  actual: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

/** Counters over one step of simulated time (charts plot these). */
export interface TimelinePoint {
  /** Simulated seconds since the scenario started. */
  t: number;
  uploads: number;
  recordsStored: number;
  duplicates: number;
  late: number;
  rejected: number;
  p99Ms: number;
}

export interface ScenarioMetrics {
  uploads: number;
  recordsProduced: number;
  recordsStored: number;
  duplicates: number;
  late: number;
  rejected: number;
  lostAtDevice: number;
  /** Upload request latency in ms. */
  latencyMs: LatencySummary;
  /** OTA: devices bricked per rollout policy, and anything else OTA reports. */
  ota?: { blastRadius: Record<string, number>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ScenarioResult {
  name: string;
  description: string;
  /** Path of the scenario file, relative to the repository root. */
  file: string;
  verdict: Verdict;
  seed: string;
  devices: number;
  simulatedSeconds: number;
  wallSeconds: number;
  ledgerDigest: string;
  /** One shell line that reproduces this scenario's run. */
  replay: string;
  invariants: InvariantResult[];
  thresholds: ThresholdResult[];
  metrics: ScenarioMetrics;
  timeline: TimelinePoint[];
  /** A scenario that could not run: the error, and the verdict is fail. */
  error?: string;
  /** Where the fleet came from: a fixture built for this run, one reused from the cache, or `none` (set up through the API). */
  fixture?: 'built' | 'reused' | 'none';
  /** In a sharded run: the slice of the fleet this result covers (absent when the scenario ran whole, as OTA scenarios do on shard 1). */
  shard?: { index: number; count: number };
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'fleetbed'; version: string };
  runId: string;
  command: string;
  seed: string;
  commit: string;
  /** Digest over every scenario's ledger digest, in order. */
  ledgerDigest: string;
  verdict: Verdict;
  /** Wall-clock start (ISO) — the harness may read real time; simulators may not. */
  startedAt: string;
  wallSeconds: number;
  environment: { kind: string; apiUrl: string };
  scenarios: ScenarioResult[];
  /** `fleetbed attack`: one entry per attack case tried (absent for `run` and `load`). */
  attacks?: AttackResult[];
  /**
   * `--shard i/n`: this report covers the i-th of n slices of each fleet's households;
   * `fleetbed merge` adds the n reports into the whole run's, which has `count` and no `index`.
   */
  shard?: { count: number; index?: number };
}

/** An HTTP request as sent, secrets redacted. */
export interface AttackRequest {
  method: string;
  /** Path and query (or the full URL). */
  url: string;
  headers?: Record<string, string>;
  /** The body as sent: a string is shown verbatim, anything else as JSON. */
  body?: unknown;
}

/** An HTTP response as received, secrets redacted. */
export interface AttackResponse {
  status: number;
  headers?: Record<string, string>;
  /** The body as received: a string is shown verbatim, anything else as JSON. */
  body?: unknown;
}

/**
 * One attack case of `fleetbed attack`. It passes when the platform refused it
 * and its state digest is unchanged; anything else is a finding.
 */
export interface AttackResult {
  /** Stable case id, e.g. `bola-read-other-device`. */
  id: string;
  /**
   * What the case probes: an OWASP API Security Top 10 2023 class (`API1:2023`)
   * or an invariant id (`AUTH-3`).
   */
  class: string;
  /** One line saying what the forged phone tries. */
  title: string;
  verdict: 'refused' | 'got-through';
  /** The refusal the case expects, e.g. `403 FLEETBED_NOT_BONDED`. */
  expected: string;
  /** What the platform answered, in the same form. */
  got: string;
  /** The platform's state digest was the same before and after the request. */
  stateUnchanged: boolean;
  /** The request, for a case that got through (or changed state). */
  request?: AttackRequest;
  /** The response, for a case that got through (or changed state). */
  response?: AttackResponse;
  /** `fleetbed run` with a security suite in its directory: the line that replays this case alone. */
  replay?: string;
}

/** One run of an OTA scenario's baseline counterfactual (`metrics.ota.baselineCounterfactual[]`): the same seed and images with `baselineDays` of fleet-health telemetry before the rollout. */
export interface OtaBaselineRun {
  baselineDays: number;
  policy: string;
  state: string;
  haltedAtHours: number | null;
  haltStage: number | null;
  onsetHours: number | null;
  onsetToHaltHours: number | null;
  blastRadius: number;
  canaryDevices: number;
  bricked: number;
  /** How the last monitor run judged the first rollout. */
  lastReason: string | null;
}

/**
 * One product line of one migration order of a legacy scenario (`metrics.legacy.orders[order][]`,
 * and `metrics.legacy.lines` for the scenario's own order): where the strangler-fig migration
 * left it and what it cost on the way. Older summaries may lack any field; readers check.
 */
export interface LegacyLineResult {
  line: string;
  migrating: boolean;
  /** Its position in the migration queue (1 first), or null for a line that does not migrate. */
  queuePosition: number | null;
  /** `legacy-only`, `dual-write`, `reads-cut-over` or `v2-only` at the end of the run. */
  state: string;
  /** Drift events deployed to its old API while it was legacy-only, and after dual-write began. */
  driftBeforeMigration: number;
  driftAfterMigration: number;
  /** Divergent rows reconciliation reported over every night, by kind. */
  divergences: Record<string, number>;
  dirtyNights: number;
  mappingChanges: number;
  /** Days (1-based) on which dual-write began / reads cut over, or null. */
  dualWriteDay: number | null;
  cutOverDay: number | null;
  /** The night of its dual-write on which reads cut over, or null. */
  nightsToCutover: number | null;
  refusedCutovers: number;
}

/** One night of a legacy scenario (`metrics.legacy.nights[]`): each line reconciled that night. */
export interface LegacyNight {
  /** 1-based. */
  day: number;
  lines: Record<string, { clean: boolean; cleanNights: number; divergences: number }>;
}
