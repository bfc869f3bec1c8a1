import type { Dialect, DriftChange, MigrationState } from '../../../contract/legacy/dialect.ts';
import type { DayTime, Duration } from './duration.ts';
import type { InvariantId } from './invariants.ts';
import type { SeedInput } from './seed.ts';

/**
 * Shares of the fleet per product line. Need not sum to 1 (they are normalized); a line
 * left out has no devices.
 */
export interface ProductMix {
  adultBrush: number;
  kidsBrush: number;
  interdental: number;
}

/**
 * How the fleet and its phones behave. Every field maps onto one knob of the fleet
 * simulator (simulators/fleet-options.ts); the default is that knob's default. Rates are
 * probabilities in [0, 1].
 *
 * Duplicates have no knob of their own: they come from `twoPhones` (both phones relay the
 * same records), `retryAfterCommit` (same Idempotency-Key, same body) and `reinstall` (an app
 * that forgot what it relayed sends it again under new keys).
 */
export interface Behaviour {
  /** Chance per day that an ordinary phone opens the app and syncs. → `phones.openPerDay` */
  syncPerDay: number;
  /** Fraction of phones that go days without syncing, so their uploads arrive late. → `phones.lazyFraction` */
  latePhones: number;
  /** Chance per day that one of the late phones syncs. → `phones.lazyOpenPerDay` */
  lateSyncPerDay: number;
  /** Chance that a device is out of BLE range when its phone syncs (its records wait, or are lost when its memory fills). → `1 - phones.inRange` */
  outOfRange: number;
  /** Chance per upload that the phone times out after the server committed and retries the same request. → `phones.timeoutAfterCommit` */
  retryAfterCommit: number;
  /** Chance per sync that the app was reinstalled: fresh sign-in, no memory of what it relayed. → `phones.reinstallPerSync` */
  reinstall: number;
  /** Phones shuffle a sync's records and send the newest batch first. → `phones.reorder` */
  reorder: boolean;
  /** In a household with two adults, the chance that both run the app (two phones relay the same devices). → `household.secondPhoneProbability` */
  twoPhones: number;
  /** A device clock starts off by up to ± this many seconds. → `clock.maxInitialOffsetS` */
  clockOffsetS: number;
  /** A device crystal drifts by up to ± this many parts per million. → `clock.maxDriftPpm` */
  clockDriftPpm: number;
  /** Chance per device per day that its clock resets (flat battery). → `clock.resetPerDay` */
  clockResetPerDay: number;
  /** Chance that a new brush head carries an id outside every known range. → `heads.unknownHeadProbability` */
  unknownHead: number;
  /** Records a device keeps (1–32); older ones not yet collected are lost at the device. → `device.ringCapacity` */
  ringSize: number;
  /**
   * Records aimed at each edge of the platform's declared time rules after the last day (0: none):
   * late at window −1 h, −1 s, 0, +1 s, +1 d; device clocks ahead by skew −1 min, 0, +1 s, +1 min, +1 d
   * (simulators/edges.ts). → `edges.recordsPerEdge`
   */
  timeEdges: number;
  /**
   * Hostile records per simulated day (0: none): forged, tampered and replayed under another
   * account, uploaded by hostile phones at the end of each day; every one must be refused
   * (AUTH-1, AUTH-2) and none may change what an honest party stores (simulators/hostile-records.ts).
   * → `hostile.recordsPerDay`
   */
  hostileRecords: number;
}

/** The faults a scenario timeline can hold. */
export type FaultKind =
  | 'restart-api'
  | 'restart-postgres'
  | 'kill-api'
  | 'kill-postgres'
  | 'connection-reset'
  | 'latency'
  | 'http-5xx'
  | 'drop-response-after-commit'
  | DbFaultKind;

/**
 * Faults executed by the runner through the environment: they happen once, at `at`.
 * `restart-*` are graceful (SIGTERM, a clean PostgreSQL shutdown); `kill-*` are crashes
 * (SIGKILL of every API process; PostgreSQL's immediate shutdown or SIGKILL, then crash recovery).
 */
export type RestartFaultKind = 'restart-api' | 'restart-postgres' | 'kill-api' | 'kill-postgres';

/**
 * Faults of the PostgreSQL-protocol proxy between the API and its database, during a
 * window (harness/core/faults/pg-fault-proxy.ts): a statement delayed; the connection
 * dropped before a statement reaches PostgreSQL; a write committed and its reply lost.
 */
export type DbFaultKind = 'db-latency' | 'db-connection-reset' | 'db-reply-lost';

/** Faults the in-process TCP proxy injects into HTTP requests during a window of simulated time. */
export type ProxyFaultKind = Exclude<FaultKind, RestartFaultKind | DbFaultKind>;

/** Which requests a proxy fault may hit. Default: every request. */
export interface RequestMatch {
  /** HTTP method, e.g. `POST`. */
  method?: string;
  /** Request-target prefix, e.g. `/v2/uploads`. */
  pathPrefix?: string;
}

interface FaultAt {
  /** When: an offset from the start (`'12h'`, `'1d6h'`) or a calendar point (`{ day: 2, hour: 3 }`, day 1 is the first day). */
  at: Duration | DayTime;
}

interface WindowFault extends FaultAt {
  /** Chance that each matching request is hit while the window is open. Default 1. */
  probability?: number;
  /** How long the window stays open. Default `'1h'`. */
  duration?: Duration;
  /** Hit at most this many requests in the window. Default: no limit. */
  count?: number;
}

/** One entry of a scenario's fault timeline, as written. */
export type FaultInput =
  | (FaultAt & {
      fault: 'restart-api' | 'restart-postgres' | 'kill-api';
      /** Chance that the restart happens at all (a seeded draw). Default 1. */
      probability?: number;
    })
  | (FaultAt & {
      fault: 'kill-postgres';
      probability?: number;
      /** `immediate` (default): PostgreSQL's immediate shutdown (SIGQUIT). `sigkill`: SIGKILL of the postmaster and every backend. */
      params?: { mode?: 'immediate' | 'sigkill' };
    })
  | (WindowFault & { fault: 'db-latency'; params?: { /** Added delay per statement in ms. Default 200. */ ms?: number; /** Extra delay drawn from [0, jitterMs]. Default 0. */ jitterMs?: number } })
  | (WindowFault & { fault: 'db-connection-reset' | 'db-reply-lost' })
  | (WindowFault & { fault: 'latency'; params?: RequestMatch & { /** Added delay in ms. Default 200. */ ms?: number; /** Extra delay drawn uniformly from [0, jitterMs]. Default 0. */ jitterMs?: number } })
  | (WindowFault & { fault: 'http-5xx'; params?: RequestMatch & { /** Status answered instead of forwarding. Default 503. */ status?: number } })
  | (WindowFault & { fault: 'connection-reset' | 'drop-response-after-commit'; params?: RequestMatch });

/** Hints to the runner about the environment; the command line wins over each. */
export interface EnvHints {
  /** Preferred provider when the command line names none. */
  provider?: 'embedded' | 'url' | 'containers';
  /** `FLEETBED_WORKERS` for an API the harness starts. */
  apiWorkers?: number;
  /** Extra environment variables for an API the harness starts. */
  apiEnv?: Record<string, string>;
  /** Requests the harness keeps in flight at most. */
  harnessWorkers?: number;
}

/** A scenario as written in `scenarios/**` (`export default defineScenario({...})`, or a JSON/YAML twin). */
export interface Scenario {
  /** kebab-case, unique in a suite: `late-and-duplicate-uploads`. */
  name: string;
  /** One or two sentences: what this scenario exercises. Shown in reports. */
  description: string;
  /** Default root seed (u64); `--seed` overrides it. Default 1. */
  seed?: SeedInput;
  fleet?: {
    /** Number of devices, 1 to 1,000,000; `--devices` overrides it. Default 1000. */
    devices?: number;
    /** Product-line shares, or `'households'` (default): whatever ordinary households own. */
    mix?: Partial<ProductMix> | 'households';
  };
  /** Simulated time to run, in whole hours: `'3d'`, `'36h'`. Default `'1d'`. */
  duration?: Duration;
  /** Behaviour rates; each defaults to the fleet simulator's. */
  behaviour?: Partial<Behaviour>;
  /** Fault timeline. Default: none (every fault is off). */
  faults?: FaultInput[];
  /** Invariants to check, or `'all'` (default): every one `fleetbed run` checks. */
  invariants?: 'all' | InvariantId[];
  /** k6-style thresholds: `{ http_req_duration: ['p(99)<250'], upload_errors: ['rate<0.01'] }`. */
  thresholds?: Record<string, string[]>;
  env?: EnvHints;
  /** OTA scenario: rollouts of firmware images against a reporting fleet (harness/core/ota). */
  ota?: OtaInput;
  /** Legacy scenario: the v1 lines' apps, their drift, and a strangler-fig migration to v2 (harness/core/legacy, docs/legacy.md). */
  legacy?: LegacyInput;
}

/** A fault of the timeline after validation, times in simulated seconds since the start. */
export interface ResolvedFault {
  /** Position in the scenario's `faults` array. */
  readonly index: number;
  readonly fault: FaultKind;
  readonly at: number;
  /** Restart: chance it happens. Proxy fault: chance per matching request. */
  readonly probability: number;
  /** Window length in seconds; 0 for restarts. */
  readonly durationSeconds: number;
  /** Most requests hit in the window; `null`: no limit (and always for restarts). */
  readonly count: number | null;
  /** Kind-specific parameters with defaults filled: latency `ms`/`jitterMs`, http-5xx `status`; `method`/`pathPrefix` when given. */
  readonly params: Readonly<{ method?: string; pathPrefix?: string; ms?: number; jitterMs?: number; status?: number; mode?: 'immediate' | 'sigkill' }>;
}

/** A scenario after defaults are filled and every field validated. Deeply frozen. */
export interface ResolvedScenario {
  /** `--shard i/n`: simulate only the i-th of n slices of the fleet's households (docs/sharding.md). */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly name: string;
  readonly description: string;
  /** Where it came from (path relative to the working directory), or `<inline>`. */
  readonly file: string;
  /** Canonical decimal u64. */
  readonly seed: string;
  readonly fleet: { readonly devices: number; readonly mix: Readonly<ProductMix> | 'households' };
  /** Canonical form, e.g. `'1d12h'`. */
  readonly duration: Duration;
  readonly durationSeconds: number;
  readonly behaviour: Readonly<Behaviour>;
  /** In file order (`index` is the position); the fault schedule (harness/core/faults) orders them in time. */
  readonly faults: readonly ResolvedFault[];
  readonly invariants: readonly InvariantId[];
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  readonly env: Readonly<EnvHints>;
  /** What the environment must offer, derived from the fault timeline. */
  readonly requires: Readonly<{ restartApi: boolean; restartDatabase: boolean; faultProxy: boolean; killApi: boolean; crashDatabase: boolean; databaseProxy: boolean }>;
  /** Present for an OTA scenario: `fleetbed run` hands it to harness/core/ota. */
  readonly ota?: ResolvedOta;
  /** Present for a legacy scenario: `fleetbed run` hands it to harness/core/legacy. */
  readonly legacy?: ResolvedLegacy;
}

/**
 * An OTA scenario (`ota` section): a fleet that brushes and reports while the
 * platform rolls firmware out to one product line. The section's format is in
 * docs/scenarios.md; harness/core/ota/engine.ts drives it.
 */
export interface OtaImageInput {
  /** "major.minor.patch"; must be newer than the line's factory image to be offered. */
  version: string;
  /** Anti-rollback counter the image carries. Default 2 (factory images carry 1). */
  antiRollbackCounter?: number;
  /** Image size in bytes (chunks of 4 KiB through the phone). Default 65536. */
  sizeBytes?: number;
  /** The latent behaviour the testbed plants (simulators/ota/behaviour.ts). Default good. */
  behaviour?:
    | { kind: 'good' }
    | { kind: 'corrupt-transfer'; chunk?: number; probability?: number }
    | { kind: 'boot-loop'; probability?: number }
    | { kind: 'quiet-death'; hoursAfterFirstCharge?: number; batteryBelowPct?: number; hoursAfterBoot?: number; affectedShare?: number }
    | { kind: 'head-fault'; headType: 'adult-clean' | 'adult-sensitive' | 'adult-whitening' | 'kids' | 'interdental-tip'; effect: 'quiet' | 'boot-loop' };
}

export interface OtaRolloutInput {
  /** When the operator creates it (offset from the start). Default '0h'. */
  at?: Duration;
  image: OtaImageInput;
  /** Default 'health-gate'. */
  policy?: 'health-gate' | 'transfer-success';
  /** Stages: percent of the eligible fleet and/or a device cap, and a soak. Default one stage: 100 %, no soak. */
  stages?: Array<{ percent?: number; maxDevices?: number; soak?: Duration }>;
  /** Gate parameters (contract/ota-rollout.ts RolloutGate); `window` replaces windowSeconds. */
  gate?: { window?: Duration; minSample?: number; minHealthRatio?: number; maxFailureRate?: number; failureMinSample?: number };
  /** What the rollout must end as; checked as `ota_outcome` thresholds. */
  expect?: { state?: 'active' | 'halted' | 'completed'; haltStage?: number; haltReason?: 'health-gate' | 'failure-threshold'; maxOffers?: number };
}

export interface OtaInput {
  /** The product line the rollouts target. Default 'adult-brush'. */
  productLine?: 'adult-brush' | 'kids-brush' | 'interdental';
  /** Sessions each device brushes per day, evenly spaced (a divisor of 24). Default 2. */
  sessionsPerDay?: number;
  /** How often the harness runs POST /testbed/jobs/ota-health-monitor. Default '1h'. */
  monitorEvery?: Duration;
  /** Boot attempts before the bootloader rolls back. Default 3. */
  bootLimit?: number;
  /** Also run the same seed under policy 'transfer-success' (fresh environment) and chart both blast radii. Default: true when an image goes quiet. */
  counterfactual?: boolean;
  /** Fleet-health telemetry collected before the first rollout: the devices brush and upload for this long first. Default '7d'. */
  baseline?: Duration;
  /** Also run the same seed and images with each of these baseline lengths (fresh environments) and report onset → halt and blast radius for each, e.g. ['0d', '7d', '60d']. Default none. */
  baselineCounterfactual?: Duration[];
  /** How often each household's phone syncs (uploads its devices' sessions, asks for offers, relays reports). Default '12h'. */
  syncEvery?: Duration;
  /** Share of device-days on which a device does not brush at all (0..1). Default 0.03. */
  skipDays?: number;
  rollouts: OtaRolloutInput[];
}

export interface ResolvedOtaRollout {
  readonly at: number;
  readonly image: { readonly version: string; readonly antiRollbackCounter: number; readonly sizeBytes: number; readonly behaviour: Readonly<Record<string, unknown>> & { readonly kind: string } };
  readonly policy: 'health-gate' | 'transfer-success';
  readonly stages: ReadonlyArray<{ readonly percent?: number; readonly maxDevices?: number; readonly soakSeconds: number }>;
  readonly gate: Readonly<{ windowSeconds: number; minSample: number; minHealthRatio: number; maxFailureRate: number; failureMinSample: number }>;
  readonly expect: Readonly<{ state?: 'active' | 'halted' | 'completed'; haltStage?: number; haltReason?: string; maxOffers?: number }>;
}

export interface ResolvedOta {
  readonly productLine: 'adult-brush' | 'kids-brush' | 'interdental';
  readonly sessionsPerDay: number;
  readonly monitorEverySeconds: number;
  readonly bootLimit: number;
  readonly counterfactual: boolean;
  readonly baselineSeconds: number;
  readonly baselineCounterfactual: readonly number[];
  readonly syncEverySeconds: number;
  readonly skipDayShare: number;
  readonly rollouts: readonly ResolvedOtaRollout[];
}

export type { Dialect, DriftChange, MigrationState };

/** In which order the migration team takes the lines: as listed, the biggest (most users) first, or the cheapest (fewest) first. */
export type MigrationOrder = 'as-listed' | 'big-first' | 'cheap-first';

/** A drift event a legacy scenario names: on `day` (day 1 is the first) the line's app release brings `change`. */
export interface LegacyDriftInput {
  line: string;
  day: number;
  change: DriftChange;
}

/** What a legacy line must end as; checked as `legacy_outcome` thresholds. */
export interface LegacyExpectInput {
  /** The line's migration state at the end. */
  state?: MigrationState;
  /** Reads cut over on exactly this day of the line's dual-write (31 for a clean line and the default 30-night gate: nights 1–30 clean, cut over the next morning). */
  nightsToCutover?: number;
  /** …or on this day at the latest. */
  maxNightsToCutover?: number;
  /** At least this many mapping changes after dual-write began. */
  minMappingChanges?: number;
}

/**
 * A legacy scenario (`legacy` section): users of the old v1 apps on their
 * lines, the apps' drift over simulated time, hostile legacy traffic, and the
 * migration team moving lines onto v2 (dual-write, nightly reconciliation, the
 * cutover gate, retirement). The world's size is `fleet.devices` (legacy
 * devices, over the lines by weight). Runs in whole days. docs/legacy.md.
 */
export interface LegacyInput {
  /** The lines of the world: catalogue ids (contract/legacy/dialects.ts) or lines of `dialects`. Default: the eight of the catalogue. */
  lines?: string[];
  /** Dialect specs of your own lines (or a replacement of a catalogue line of the same id). The platform under test must serve them. */
  dialects?: Dialect[];
  /** Sessions a device brushes a day (1–4). Default 2. */
  sessionsPerDay?: number;
  /** Share of users with two devices. Default 0.3. */
  twoDevices?: number;
  /** Share of users whose app never upgrades. Default 0.15. */
  neverUpgrade?: number;
  /** Others run a release after a seeded 0 to this many days. Default 10. */
  upgradeLagDays?: number;
  /** Share of e-mail-line users who are a person already on another e-mail line. Default 0.25. */
  sharedEmails?: number;
  /** Share of uploads the app sends twice. Default 0.03. */
  retries?: number;
  /** Share of records carrying the coverage sentinel once a revision overloads it. Default 0.3. */
  sentinelShare?: number;
  drift?: {
    /** Seeded drift events per line per 30 days: one rate, or by line (a line left out: 0). Default 1. */
    perLinePerMonth?: number | Record<string, number>;
    /** Dated drift events, e.g. `{ line: 'kids-club', day: 12, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }`. */
    events?: LegacyDriftInput[];
  };
  migration?: {
    /** The lines that migrate. Default: every line of `lines`. */
    lines?: string[];
    /** Default 'as-listed'. */
    order?: MigrationOrder;
    /** Lines in dual-write at once. Default 1. */
    concurrent?: number;
    /** The day (day 1 is the first) the first lines start dual-write. Default 1. */
    startDay?: number;
    /** Consecutive clean nights a line needs before reads cut over (set on the platform's gate). Default 30. */
    requiredCleanNights?: number;
    /** Days after a dirty night before the team updates the mapping. Default 1. */
    mappingLagDays?: number;
    /** Days after cutover before the legacy path is retired (v2-only); null: never. Default 3. */
    retireAfterDays?: number | null;
    /** Also run the same seed with this order, in a fresh environment, and report both side by side. Default none. */
    counterfactual?: MigrationOrder;
  };
  faults?: {
    /** Share of rows, per thousand, whose first v2 write fails after the legacy commit. Default 0. */
    v2WriteFailurePerMille?: number;
  };
  hostile?: {
    /** Legacy devices that turn into (signing) v2 devices. Default 2. */
    v2Devices?: number;
    /** Hostile legacy actions a day. Default 1. */
    actionsPerDay?: number;
  };
  /** What each line must end as, by line. */
  expect?: Record<string, LegacyExpectInput>;
}

export interface ResolvedLegacy {
  /** The lines of the world, in the scenario's order. */
  readonly lines: readonly string[];
  /** The dialect of each of `lines`, in that order. */
  readonly dialects: readonly Dialect[];
  /** Lines whose dialect the scenario supplied. */
  readonly customLines: readonly string[];
  readonly sessionsPerDay: number;
  readonly twoDeviceShare: number;
  readonly neverUpgradeShare: number;
  readonly maxUpgradeLagDays: number;
  readonly sharedEmailShare: number;
  readonly retryShare: number;
  readonly sentinelShare: number;
  readonly drift: { readonly perLinePerMonth: Readonly<Record<string, number>>; readonly events: ReadonlyArray<{ readonly line: string; /** 0-based */ readonly day: number; readonly change: DriftChange }> };
  readonly migration: {
    readonly lines: readonly string[];
    readonly order: MigrationOrder;
    readonly concurrent: number;
    /** 0-based day index. */
    readonly startDay: number;
    readonly requiredCleanNights: number;
    readonly mappingLagDays: number;
    readonly retireAfterDays: number | null;
    readonly counterfactual: MigrationOrder | null;
  };
  readonly faults: { readonly v2WriteFailurePerMille: number };
  readonly hostile: { readonly v2Devices: number; readonly actionsPerDay: number };
  readonly expect: Readonly<Record<string, Readonly<LegacyExpectInput>>>;
}
