import { createFleet, type Fleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions, type FleetOptions } from '../../../simulators/fleet-options.ts';
import { Identities } from '../../../simulators/identities.ts';
import { Ledger, type LedgerTotals, type LedgerViolation, type PlatformRules } from '../../../simulators/ledger.ts';
import type { StartedEnvironment } from '../env/types.ts';
import { ensureAccess, REFRESH_MARGIN_MS, signUpHouseholds } from './accounts.ts';
import { AppState } from './app-state.ts';
import type { DriverStats, FleetContext, FleetHooks } from './context.ts';
import { driveDays, readClock, readTimeRules, setClock, type EdgeCounts, type HostileCounts } from './drive.ts';
import { FleetRunError } from './errors.ts';
import { FleetHttp, runWorkers } from './http.ts';
import { Progress, type ProgressOptions } from './progress.ts';
import { reconcileApi, reconcileSql, type Reconciliation } from './reconcile.ts';
import { provisionAndBond } from './setup.ts';

/** Defaults of a fleet run, in one place. */
export const FLEET_RUN_DEFAULTS = Object.freeze({
  /** Whole days of virtual time to simulate. */
  days: 1,
  /** After the last day, every household's first phone syncs what is left in the rings. */
  drain: true,
  /** Driver tasks (so HTTP requests) in flight at most. */
  workers: 64,
  /** Devices per bulk-provisioning request (whole households). */
  chunkDevices: 25_000,
  /** Devices listed through the sessions API when the platform's database is not reachable. */
  apiSample: 200,
});

export interface FleetRunOptions {
  /** A started environment: the platform to drive (its clock must be controllable: test mode). */
  environment: Pick<StartedEnvironment, 'apiUrl' | 'factorySecret' | 'databaseUrl'>;
  /** The simulated fleet (seed, devices, behaviour knobs). */
  fleet?: FleetOptions;
  days?: number;
  drain?: boolean;
  workers?: number;
  /** HTTP connections (default: `workers`). */
  connections?: number;
  chunkDevices?: number;
  apiSample?: number;
  /**
   * How to compare the ledger with the platform: `sql` (every device, needs the
   * database URL), `api` (a sample through the sessions API), `both`, or `auto`
   * (sql when the database URL is known, else api). Default auto.
   */
  reconcile?: 'auto' | 'sql' | 'api' | 'both';
  /**
   * The platform's time rules, overriding what it declares (GET /testbed/clock `timeRules`,
   * read at run start). Neither: the reference API's defaults, and no time edges can be aimed.
   */
  rules?: Partial<PlatformRules>;
  progress?: ProgressOptions;
  /** Observers the runner plugs in (fault timeline, upload history). */
  hooks?: FleetHooks;
  /** Reads CPU seconds used so far by named process groups (e.g. harness, api, postgres); each phase then reports its share. */
  cpuSampler?: () => Record<string, number>;
  /**
   * The fleet is already signed up, provisioned and bonded on this platform (a fleet fixture's
   * database): skip those phases and start from this state. Phones whose access token has
   * expired on the platform's clock refresh it (or sign in again) before anything else.
   */
  setup?: FleetSetupState;
}

/**
 * What the harness keeps of a set-up fleet besides the platform's database: the platform
 * clock the fleet was built at and the phones' app state (account ids, tokens,
 * {@link AppState.toBuffer}). A fleet fixture stores it; {@link FleetRunOptions.setup} takes it.
 */
export interface FleetSetupState {
  /** The platform clock (ms) when sign-up began: the fleet's time 0. */
  startMs: number;
  /** {@link AppState.toBuffer} after bonding. */
  app: Uint8Array;
  /** What the build sent (sign-ups, sign-ins, bonds), for the record. */
  stats: Pick<DriverStats, 'accounts' | 'signIns' | 'bonds'>;
}

/** Options of {@link setUpFleet}: the setup half of {@link FleetRunOptions}. */
export type FleetSetupOptions = Pick<FleetRunOptions, 'environment' | 'fleet' | 'workers' | 'connections' | 'chunkDevices' | 'progress'>;

/** What {@link setUpFleet} did: the state to keep, and how long each phase took. */
export interface FleetSetupResult extends FleetSetupState {
  /** Devices, households (accounts) and phones set up: the whole fleet's, or a sharded fleet's slice's. */
  devices: number;
  households: number;
  phones: number;
  /** Wall seconds of `accounts` and `provisionAndBond`. */
  phases: Record<string, number>;
}

/** What a run did, how long each phase took, and whether the books balance. */
export interface FleetRunResult {
  ok: boolean;
  seed: number;
  devices: number;
  households: number;
  phones: number;
  simulatedDays: number;
  ledgerDigest: string;
  totals: LedgerTotals;
  violations: LedgerViolation[];
  reconciliation: Reconciliation;
  /** The sessions-API sample reconciliation, when `reconcile` was `both`. */
  apiReconciliation?: Reconciliation;
  stats: DriverStats;
  requests: number;
  /** Bytes of simulator state (fleet + ledger columns) per device. */
  bytesPerDevice: number;
  /** Heap + array-buffer growth (after GC when exposed) from building fleet and ledger, per device. */
  heapBytesPerDevice: number;
  /** Driver-side app state (tokens, account ids) per device. */
  appBytesPerDevice: number;
  /** Wall seconds per phase. */
  phases: Record<string, number>;
  /** CPU seconds per phase and process group, when a cpuSampler was given. */
  phaseCpu: Record<string, Record<string, number>>;
  wallSeconds: number;
  /** The replay line: run this again to get the same world. */
  replay: string;
  /** The time rules every verdict was judged by, and where they came from. */
  rules: PlatformRules & { source: 'declared' | 'options' | 'defaults' };
  /** Records aimed at each time-rule edge and the verdicts they got (fleet option `edges`). */
  edges?: EdgeCounts;
  /** Hostile records by kind and the verdicts they got (fleet option `hostile`). */
  hostile?: HostileCounts;
  fleet: Fleet;
  ledger: Ledger;
}

/**
 * Drive a simulated fleet against a platform: build the fleet (columns), sign
 * up its households, provision and bond every device, simulate `days` days of
 * brushing and syncing as real uploads, then reconcile the ledger with what
 * the platform stored (SQL when the database URL is known, else a sample
 * through the sessions API).
 */
export async function runFleet(options: FleetRunOptions): Promise<FleetRunResult> {
  const o = { ...FLEET_RUN_DEFAULTS, ...stripUndefined(options) };
  for (const k of ['days', 'workers', 'chunkDevices', 'apiSample'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new FleetRunError('FLEETBED_FLEET_RUN_OPTIONS_INVALID', `${k} must be an integer ≥ 1, got ${JSON.stringify(o[k])}. Nothing was started.`);
  }
  const fleetOptions = resolveFleetOptions(options.fleet ?? {});
  const started = performance.now();
  const phases: Record<string, number> = {};
  const phaseCpu: Record<string, Record<string, number>> = {};
  let cpuMark = options.cpuSampler?.();
  const cpuPhase = (name: string) => {
    if (!options.cpuSampler || !cpuMark) return;
    const now = options.cpuSampler();
    phaseCpu[name] = Object.fromEntries(Object.keys(now).map((k) => [k, round(now[k]! - (cpuMark![k] ?? 0))]));
    cpuMark = now;
  };
  const progress = new Progress(o.progress);
  const http = new FleetHttp(options.environment.apiUrl, o.connections ?? o.workers);
  try {
    // A fixture's fleet began at its build's clock: the platform's clock must be there or later.
    const startMs = options.setup ? await clockAtLeast(http, options.setup.startMs) : await readClockWith(http);
    // The time rules the platform declares, read now: every verdict is judged by them, and time edges aimed at them.
    const declared = await readTimeRules({ http } as FleetContext);
    if (!declared && !o.rules && fleetOptions.edges.recordsPerEdge > 0) {
      throw new FleetRunError('FLEETBED_FLEET_RUN_OPTIONS_INVALID', `time edges (fleet option edges.recordsPerEdge ${fleetOptions.edges.recordsPerEdge}) are aimed at the platform's declared time rules, and GET /testbed/clock at ${options.environment.apiUrl} declares none (no timeRules): declare them, or pass rules. Nothing was simulated.`);
    }
    const source = o.rules ? 'options' : declared ? 'declared' : 'defaults';
    let t = performance.now();
    gc();
    const before = memory();
    const fleet = createFleet(fleetOptions, Math.ceil(startMs / 1000));
    const ledger = new Ledger(fleet, { ...declared, ...o.rules });
    progress.log(`time rules (${source}): late window ${ledger.rules.lateWindowSeconds} s, future skew ${ledger.rules.futureSkewSeconds} s`);
    gc();
    const heapBytesPerDevice = Math.max(0, memory() - before) / fleet.deviceCount;
    const identities = new Identities(fleet.seed);
    const app = options.setup ? AppState.fromBuffer(fleet, options.setup.app) : new AppState(fleet);
    phases.buildFleet = seconds(t);
    cpuPhase('buildFleet');
    progress.log(`fleet: ${fleet.deviceCount.toLocaleString('en-US')} devices in ${fleet.householdCount.toLocaleString('en-US')} households with ${fleet.phoneCount.toLocaleString('en-US')} phones (seed ${fleet.seed}), ${((fleet.stateBytes() + ledger.stateBytes()) / fleet.deviceCount).toFixed(1)} bytes/device`);

    const stats: DriverStats = { accounts: 0, signIns: 0, refreshes: 0, bonds: 0, uploads: 0, uploadRetries: 0, replays: 0, reinstalls: 0, recordsSent: 0 };
    const ctx: FleetContext = { http, fleet, ledger, app, identities, progress, factorySecret: options.environment.factorySecret, workers: o.workers, nowMs: startMs, stats, ...(options.hooks ? { hooks: options.hooks } : {}), ...(fleet.options.hostile.recordsPerDay > 0 ? { captured: [] } : {}) };

    if (options.setup) {
      t = performance.now();
      const refreshed = await renewExpiredTokens(ctx);
      phases.restoreAppState = seconds(t);
      cpuPhase('restoreAppState');
      progress.log(`fleet restored from a fixture: ${fleet.householdCount.toLocaleString('en-US')} accounts and ${fleet.deviceCount.toLocaleString('en-US')} bonded devices, ${refreshed.toLocaleString('en-US')} expired tokens renewed`);
    } else {
      t = performance.now();
      await signUpHouseholds(ctx);
      phases.accounts = seconds(t);
      cpuPhase('accounts');

      t = performance.now();
      const { provisionSeconds } = await provisionAndBond(ctx, o.chunkDevices);
      phases.provisionAndBond = seconds(t);
      phases.provisionRequests = round(provisionSeconds);
      cpuPhase('provisionAndBond');
    }

    t = performance.now();
    const drive = await driveDays(ctx, { days: o.days, drain: o.drain });
    phases.simulate = seconds(t);
    drive.daySeconds.forEach((s, i) => (phases[`day${i + 1}`] = round(s)));
    if (o.drain) phases.drain = round(drive.drainSeconds);
    if (drive.edgeSeconds !== undefined) phases.timeEdges = round(drive.edgeSeconds);
    cpuPhase('simulate');

    ledger.close();
    t = performance.now();
    const mode = options.reconcile ?? 'auto';
    const databaseUrl = options.environment.databaseUrl;
    if ((mode === 'sql' || mode === 'both') && !databaseUrl) {
      throw new FleetRunError('FLEETBED_FLEET_RUN_OPTIONS_INVALID', `reconcile: '${mode}' needs the platform's database URL (DATABASE_URL), and the environment has none; use 'api' or 'auto'.`);
    }
    const reconciliation = databaseUrl && mode !== 'api' ? await reconcileSql(ledger, databaseUrl) : await reconcileApi(ctx, o.apiSample);
    const apiReconciliation = mode === 'both' ? await reconcileApi(ctx, o.apiSample) : undefined;
    phases.reconcile = seconds(t);
    cpuPhase('reconcile');
    const totals = ledger.totals();
    progress.log(
      `reconciled (${reconciliation.method}): ${reconciliation.storedOnPlatform.toLocaleString('en-US')} stored on the platform, ${reconciliation.storedInLedger.toLocaleString('en-US')} in the ledger, ${reconciliation.mismatches} mismatched devices, ${totals.violations} ledger violations`,
    );
    return {
      ok: reconciliation.ok && (apiReconciliation?.ok ?? true) && totals.violations === 0,
      seed: fleet.seed,
      devices: fleet.deviceCount,
      households: fleet.householdCount,
      phones: fleet.phoneCount,
      simulatedDays: o.days,
      ledgerDigest: ledger.digest(),
      totals,
      violations: ledger.violations(),
      reconciliation,
      ...(apiReconciliation ? { apiReconciliation } : {}),
      stats,
      requests: http.requests,
      bytesPerDevice: round((fleet.stateBytes() + ledger.stateBytes()) / fleet.deviceCount),
      heapBytesPerDevice: round(heapBytesPerDevice),
      appBytesPerDevice: round(app.stateBytes() / fleet.deviceCount),
      phases,
      phaseCpu,
      wallSeconds: seconds(started),
      rules: { ...ledger.rules, source },
      ...(drive.edges ? { edges: drive.edges } : {}),
      ...(drive.hostile ? { hostile: drive.hostile } : {}),
      replay: `npm run bench:fleet -- --devices ${fleet.deviceCount} --seed ${fleet.seed} --days ${o.days}${fleet.sharded ? ` --shard ${fleetOptions.shard.index}/${fleetOptions.shard.count}` : ''}`,
      fleet,
      ledger,
    };
  } finally {
    await http.close();
  }
}

/**
 * Sign up, provision and bond a fleet on a platform, and stop there: the state a fleet
 * fixture keeps. The platform's database then holds the accounts, tokens and bonded devices;
 * the result holds what the phones know. `runFleet({ setup })` continues from both.
 */
export async function setUpFleet(options: FleetSetupOptions): Promise<FleetSetupResult> {
  const o = { ...FLEET_RUN_DEFAULTS, ...stripUndefined(options) };
  for (const k of ['workers', 'chunkDevices'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new FleetRunError('FLEETBED_FLEET_RUN_OPTIONS_INVALID', `${k} must be an integer ≥ 1, got ${JSON.stringify(o[k])}. Nothing was started.`);
  }
  const fleetOptions = resolveFleetOptions(options.fleet ?? {});
  const progress = new Progress(o.progress);
  const http = new FleetHttp(options.environment.apiUrl, o.connections ?? o.workers);
  const phases: Record<string, number> = {};
  try {
    const startMs = await readClockWith(http);
    const fleet = createFleet(fleetOptions, Math.ceil(startMs / 1000));
    const ledger = new Ledger(fleet, {});
    const app = new AppState(fleet);
    const stats: DriverStats = { accounts: 0, signIns: 0, refreshes: 0, bonds: 0, uploads: 0, uploadRetries: 0, replays: 0, reinstalls: 0, recordsSent: 0 };
    const ctx: FleetContext = { http, fleet, ledger, app, identities: new Identities(fleet.seed), progress, factorySecret: options.environment.factorySecret, workers: o.workers, nowMs: startMs, stats };
    let t = performance.now();
    await signUpHouseholds(ctx);
    phases.accounts = seconds(t);
    t = performance.now();
    await provisionAndBond(ctx, o.chunkDevices);
    phases.provisionAndBond = seconds(t);
    // What the platform now holds: the whole fleet, or a shard's slice (`fleet.shard`), whose fixture a restore checks against these counts.
    return { startMs, app: app.toBuffer(), stats: { accounts: stats.accounts, signIns: stats.signIns, bonds: stats.bonds }, devices: fleet.sliceDevices, households: fleet.hhTo - fleet.hhFrom, phones: fleet.phoneTo - fleet.phoneFrom, phases };
  } finally {
    await http.close();
  }
}

/**
 * A restored fleet's tokens are not trusted: every phone whose access token has expired (or
 * is about to) on the platform's clock renews it now, through the API (a refresh, or a new
 * sign-in when the refresh token is refused). Returns how many phones did.
 */
async function renewExpiredTokens(ctx: FleetContext): Promise<number> {
  const { fleet, app } = ctx;
  const before = ctx.stats.refreshes + ctx.stats.signIns;
  let p = fleet.phoneFrom;
  await runWorkers(ctx.workers, () => {
    while (p < fleet.phoneTo && !(app.signedIn(p) && app.accessExpiresMs[p]! - REFRESH_MARGIN_MS <= ctx.nowMs)) p++;
    if (p >= fleet.phoneTo) return undefined;
    const phone = p++;
    return () => ensureAccess(ctx, phone);
  });
  return ctx.stats.refreshes + ctx.stats.signIns - before;
}

/** The platform clock, moved forward to `atLeastMs` first if it is earlier (it never goes back). */
async function clockAtLeast(http: FleetHttp, atLeastMs: number): Promise<number> {
  const ctx = { http, nowMs: await readClockWith(http) } as FleetContext;
  if (ctx.nowMs < atLeastMs) await setClock(ctx, atLeastMs);
  return ctx.nowMs;
}

async function readClockWith(http: FleetHttp): Promise<number> {
  const ctx = { http } as FleetContext;
  return readClock(ctx);
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function seconds(since: number): number {
  return round((performance.now() - since) / 1000);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
