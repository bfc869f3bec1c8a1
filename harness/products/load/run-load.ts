import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createFleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { Identities } from '../../../simulators/identities.ts';
import { Ledger, type LedgerPart } from '../../../simulators/ledger.ts';
import { LOAD_SUMMARY_VERSION, type FindMaxResult, type LoadSummary, type LoadVerdictKind, type TableSize, type WindowPoint } from '../../../reports/load-summary.ts';
import { REPORT_SCHEMA_VERSION, type InvariantResult, type RunReport, type ScenarioResult } from '../../../reports/types.ts';
import { resolveEnvironment } from '../../core/env/index.ts';
import type { EnvironmentOptions, StartedEnvironment } from '../../core/env/types.ts';
import { AppState } from '../../core/fleet/app-state.ts';
import type { DriverStats, FleetContext } from '../../core/fleet/context.ts';
import { readClock, setClock } from '../../core/fleet/drive.ts';
import { startFleetEnvironment, type FixturePolicy } from '../../core/fixtures/index.ts';
import { FleetHttp } from '../../core/fleet/http.ts';
import { Progress, type ProgressOptions } from '../../core/fleet/progress.ts';
import { reconcileApi, reconcileSql, type Reconciliation } from '../../core/fleet/reconcile.ts';
import { gitCommit } from '../../core/git-commit.ts';
import { fleetSeed } from '../../core/scenario/seed.ts';
import { evaluateThresholds } from '../../core/thresholds/evaluate-thresholds.ts';
import { buildSchedule, type Schedule } from './arrivals.ts';
import { growth, tableSizes } from './db-growth.ts';
import { diurnalCurve } from './diurnal.ts';
import { playPrelude, playSchedule, type PlayResult } from './engine.ts';
import { findMax } from './find-max.ts';
import { generatorHealth } from './generator-health.ts';
import { bondThroughApi, type FleetSource } from './fleet-source.ts';
import { LoadMeasure, round } from './measure.ts';
import { checkShardable, planDigest, type LoadShard } from './shard-plan.ts';
import { SyncDriver } from './sync-driver.ts';
import type { ResolvedLoadPlan } from './types.ts';
import { cpuSecondsByGroup } from '../../core/cpu-usage.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Live events of a load run, for the dashboard and the terminal. */
export interface LoadObserver {
  phase?(name: string, detail: string): void;
  window?(point: WindowPoint): void;
  findMaxStep?(step: FindMaxResult['steps'][number]): void;
}

export interface LoadRunOptions {
  plan: ResolvedLoadPlan;
  /** Environment options (embedded by default); or `started`, an environment the caller owns. */
  environment?: EnvironmentOptions;
  started?: StartedEnvironment;
  /** Search the highest rate that meets the plan's SLO instead of playing its arrival shape. */
  findMax?: boolean;
  command: string;
  /** Flags for the replay line beside the plan file and seed (--target-url …). */
  replayFlags?: string[];
  fleetSource?: FleetSource;
  /** Fleet fixtures (embedded environment only): `reuse` a matching one (default), `build` one when none matches, or `none`. */
  fixture?: FixturePolicy;
  observer?: LoadObserver;
  progress?: ProgressOptions;
  log?: (line: string) => void;
  /**
   * `--shard i/n`: drive only the i-th of n slices of the fleet's households, playing the
   * whole plan's schedule for the slice's phones (arrivals.ts). Refused for a closed plan
   * and with `findMax` (`FLEETBED_LOAD_SHARD_UNSUPPORTED`), before anything starts.
   */
  shard?: LoadShard;
}

export interface LoadRunResult {
  report: RunReport;
  load: LoadSummary;
  /** A sharded run's share of the books, for `fleetbed merge` (write it with `encodeLedgerPart`). */
  part?: LedgerPart;
}

/**
 * Run one load plan: start (or use) the platform, build and bond the seeded fleet, play
 * the fleet's life up to the plan's event unmeasured, then the measured phase as an open
 * model (or the closed model, or the `--find-max` search), relay whatever the platform
 * failed to answer, reconcile the ledger with what the platform stored (ING-1), and
 * evaluate the plan's thresholds. Returns the run report (summary.json, junit.xml) and
 * the load summary (`metrics.load`, report.html).
 */
export async function runLoad(o: LoadRunOptions): Promise<LoadRunResult> {
  const { plan, shard } = o;
  if (shard) checkShardable(plan, { findMax: Boolean(o.findMax), shard });
  const log = o.log ?? (() => {});
  const startedAt = new Date();
  const t0 = performance.now();
  const phase = (name: string, detail: string) => {
    log(`${name}: ${detail}`);
    o.observer?.phase?.(name, detail);
  };
  const fleetOptions = { seed: fleetSeed(plan.seed), devices: plan.devices, ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}) };
  const envOptions = { apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_LOG_LEVEL: 'silent' }, ...(o.environment ?? {}) } as EnvironmentOptions;
  const embedded = !o.started && !o.fleetSource && (envOptions.env ?? 'embedded') === 'embedded' && !('targetUrl' in envOptions && envOptions.targetUrl) && !('databaseUrl' in envOptions && envOptions.databaseUrl);
  const fe = embedded ? await startFleetEnvironment({ fleet: fleetOptions, environment: envOptions as never, policy: o.fixture ?? 'reuse', log: (l) => phase('fixture', l) }) : undefined;
  const env: StartedEnvironment = o.started ?? fe?.environment ?? (await resolveEnvironment(envOptions).start());
  const http = new FleetHttp(env.apiUrl, plan.maxInFlight + 8);
  try {
    const progress = new Progress(o.progress);
    let startMs = await readClock({ http } as FleetContext);
    if (fe?.setup && startMs < fe.setup.startMs) {
      // A fixture's fleet began at its build's clock: the platform's clock must be there or later.
      const c = { http, nowMs: startMs } as FleetContext;
      await setClock(c, fe.setup.startMs);
      startMs = c.nowMs;
    }
    const fleet = createFleet(resolveFleetOptions(fleetOptions), Math.ceil((fe?.setup?.startMs ?? startMs) / 1000));
    const ledger = new Ledger(fleet);
    const stats: DriverStats = { accounts: 0, signIns: 0, refreshes: 0, bonds: 0, uploads: 0, uploadRetries: 0, replays: 0, reinstalls: 0, recordsSent: 0 };
    const app = fe?.setup ? AppState.fromBuffer(fleet, fe.setup.app) : new AppState(fleet);
    const ctx: FleetContext = { http, fleet, ledger, app, identities: new Identities(fleet.seed), progress, factorySecret: env.factorySecret, workers: Math.min(64, plan.maxInFlight), nowMs: startMs, stats };
    phase('fleet', `${fleet.deviceCount} devices, ${fleet.householdCount} households, ${fleet.phoneCount} phones (seed ${plan.seed})${fleet.sharded ? `; shard ${shard!.index}/${shard!.count} drives households ${fleet.hhFrom}..${fleet.hhTo - 1}: ${fleet.sliceDevices} devices, ${fleet.phoneTo - fleet.phoneFrom} phones` : ''}`);
    // Expired tokens of a fixture's phones are renewed lazily: each phone refreshes or signs in at its first sync.
    const fixture = fe && fe.fixture !== 'none' ? fe.fixture : await (o.fleetSource ?? bondThroughApi).prepare(ctx, env.databaseUrl);
    phase('fleet', fixture === 'reused' ? 'bonded fleet reused from a fixture' : 'provisioned and bonded through the API');

    const driver = new SyncDriver(ctx);
    const schedule = buildSchedule(fleet, plan.arrival, fleet.seed);
    if (fleet.sharded) phase('shard', `${schedule.arrivals.count} of the plan's ${schedule.planArrivals} arrivals fall to this shard's phones (${schedule.planArrivals > 0 ? round((100 * schedule.arrivals.count) / schedule.planArrivals, 1) : 0} %)`);
    if (schedule.prelude.length > 0 && !o.findMax) {
      phase('prelude', `${schedule.prelude.length} syncs of the fleet's life before the event (unmeasured)`);
      await playPrelude(schedule.prelude, driver, Math.min(64, plan.maxInFlight));
    }
    const groups = platformGroups(env);
    const cpuBefore = cpuSecondsByGroup(groups);
    const dbBefore = env.databaseUrl ? await tableSizes(env.databaseUrl).catch(() => undefined) : undefined;
    const uploadsBefore = driver.uploads;

    let measure: LoadMeasure;
    let played: PlayResult;
    let fm: FindMaxResult | undefined;
    let measured: Schedule = schedule;
    const curve = diurnalCurve(fleet);
    if (o.findMax) {
      phase('find-max', `SLO ${Object.entries(plan.slo).map(([k, v]) => `${k} ${v.join(', ')}`).join('; ')}`);
      const r = await findMax(fleet, driver, plan, curve, o.observer);
      measure = r.measure;
      played = r.played;
      fm = r.result;
      measured = r.schedule;
    } else {
      phase('load', schedule.describe);
      measure = new LoadMeasure();
      played = await playSchedule(schedule, driver, measure, { maxInFlight: plan.maxInFlight, lateStartMs: plan.lateStartMs, onWindow: (p) => o.observer?.window?.(p) });
    }
    const cpuAfter = cpuSecondsByGroup(groups);
    const dbAfter = env.databaseUrl && dbBefore ? await tableSizes(env.databaseUrl).catch(() => undefined) : undefined;
    const uploadsMeasured = Math.max(1, driver.uploads - uploadsBefore);

    const held = driver.held.length;
    if (held > 0) phase('settle', `relaying ${held} uploads the platform did not answer during the load`);
    const settled = await driver.settle();
    ledger.close();
    phase('reconcile', env.databaseUrl ? 'every device, through the database' : 'a sample of devices, through the sessions API');
    const reconciliation: Reconciliation = env.databaseUrl ? await reconcileSql(ledger, env.databaseUrl) : await reconcileApi(ctx, 200);
    const totals = ledger.totals();

    // What was achieved, against what was asked.
    const seconds = Math.max(played.wallMs, measured.durationMs) / 1000;
    const achieved = played.completed / Math.max(0.001, seconds);
    const target = measured.closed ? null : measured.arrivals.count / Math.max(0.001, measured.durationMs / 1000);
    const ratio = target ? achieved / target : null;
    const stored = measure.metrics.metric('records_stored');
    const recordsStored = stored?.type === 'counter' ? stored.count : 0;
    const gen = generatorHealth(played, measure);
    const cpuCores = gen.cores;
    const lagP99 = measure.lag.percentile(99);
    const generatorLate = gen.late;
    const generatorSaturated = gen.saturated;
    measure.metrics.gauge('achieved_rate_ratio').set(ratio ?? 1);
    measure.metrics.gauge('generator_saturated').set(generatorSaturated ? 1 : 0);
    const verdict = loadVerdict({ generatorSaturated, hostDelayed: gen.hostDelayed, generatorLate, busiestSecond: gen.busiestSecond, ratio, atCap: measure.lateStartsAtCap, started: played.started, errorRate: measure.errorRate(), cpuCores, lagP99, fm });

    const cpuDelta = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, round(cpuAfter[k]! - (cpuBefore[k] ?? 0), 2)]));
    const virtualSpanS = measured.arrivals.virtualSpanS();
    const days = virtualSpanS / 86_400;
    const g = dbBefore && dbAfter ? growth(dbBefore, dbAfter) : undefined;
    const grew = g ? g.reduce((n, t) => n + t.tableBytes + t.indexBytes, 0) : 0;
    const routes = measure.routeLatency();
    const upload = routes.find((r) => r.route === 'POST /v2/uploads')!;
    const sync = measure.metrics.metric('sync_duration');
    const thresholds = evaluateThresholds(plan.thresholds, measure.metrics).map(({ metric, expression, verdict: v, actual }) => ({ metric, expression, verdict: v, actual: Number.isNaN(actual) ? -1 : round(actual, 4) }));
    const load: LoadSummary = {
      schemaVersion: LOAD_SUMMARY_VERSION,
      plan: { name: plan.name, file: plan.file, shape: plan.arrival.shape, describe: measured.describe, devices: fleet.deviceCount, seed: plan.seed, maxInFlight: plan.maxInFlight },
      fixture,
      wallSeconds: round(played.wallMs / 1000, 2),
      target: { arrivals: measured.closed ? played.started : measured.arrivals.count, syncsPerSecond: target === null ? null : round(target, 2) },
      achieved: { completed: played.completed, syncsPerSecond: round(achieved, 2), ratio: ratio === null ? null : round(ratio, 3), recordsPerSecond: round(recordsStored / Math.max(0.001, seconds), 1), recordsStored },
      couldNotStartInTime: { count: measure.lateStarts, atInFlightCap: measure.lateStartsAtCap, generatorLate, lateStartMs: plan.lateStartMs },
      routes,
      syncDurationMs: sync?.type === 'trend' ? { p50: round(sync.percentile(50), 3), p99: round(sync.percentile(99), 3), max: round(sync.max, 3) } : { p50: 0, p99: 0, max: 0 },
      errors: { rate: round(measure.errorRate(), 5), byOutcome: { ...measure.statuses }, ...measure.requestCounts() },
      cpu: { secondsByGroup: cpuDelta, microsPerUploadByGroup: Object.fromEntries(Object.entries(cpuDelta).map(([k, v]) => [k, Math.round((v * 1e6) / uploadsMeasured)])) },
      generator: { cpuMicrosPerUpload: Math.round(played.generatorCpuMicros / uploadsMeasured), cpuCores: round(cpuCores, 3), lagP99Ms: round(lagP99, 2), peakInFlight: played.peakInFlight, saturated: generatorSaturated },
      database: g
        ? { reachable: true, growth: g, bytesPerRecord: recordsStored > 0 ? Math.round(grew / recordsStored) : 0, bytesPerSimulatedDay: days >= 1 / 24 ? Math.round(grew / days) : 0, simulatedDays: round(days, 3) }
        : { reachable: false, reason: env.databaseUrl ? 'the database did not answer the size queries' : 'no database URL (a --target-url platform): set DATABASE_URL to measure table and index growth' },
      diurnal: { ...curve, recordsPerSync: played.completed > 0 ? round(recordsStored / played.completed, 2) : 0 },
      verdict,
      ...(fm ? { findMax: fm } : {}),
      ledger: { digest: ledger.digest(), ok: reconciliation.ok && totals.violations === 0, method: reconciliation.method, storedOnPlatform: reconciliation.storedOnPlatform, storedInLedger: reconciliation.storedInLedger, mismatches: reconciliation.mismatches, violations: totals.violations, settledUploads: settled },
      timeline: measure.timeline,
      ...(shard
        ? {
            shard: {
              index: shard.index,
              count: shard.count,
              planDigest: planDigest(plan),
              households: fleet.hhTo - fleet.hhFrom,
              devices: fleet.sliceDevices,
              phones: fleet.phoneTo - fleet.phoneFrom,
              arrivals: measured.arrivals.count,
              planArrivals: measured.planArrivals,
              durationMs: measured.durationMs,
              uploadsMeasured,
              generatorCpuMicros: played.generatorCpuMicros,
            },
          }
        : {}),
    };
    const ing1: InvariantResult = {
      id: 'ING-1',
      title: 'exactly once: every record a device produced and a phone relayed at least once is stored exactly once',
      verdict: load.ledger.ok ? 'pass' : 'fail',
      checked: reconciliation.devicesChecked,
      violations: reconciliation.mismatches + totals.violations,
      witnesses: [...reconciliation.examples.map((e) => ({ expected: 'the platform holds what the ledger booked', found: e })), ...ledger.violations().map((v) => ({ ...(v.deviceId !== undefined ? { device: v.deviceId } : {}), ...(v.seq !== undefined ? { seq: v.seq } : {}), expected: v.check, found: v.detail }))].slice(0, 20),
    };
    const pass = ing1.verdict === 'pass' && thresholds.every((t) => t.verdict === 'pass') && (!fm || fm.maxSyncsPerSecond > 0);
    const replay = ['npx fleetbed load', plan.file, '--seed', plan.seed, '--devices', plan.devices, ...(o.findMax ? ['--find-max'] : []), ...(o.replayFlags ?? []), ...(shard ? ['--shard', `${shard.index}/${shard.count}`] : [])].join(' ');
    const scenario: ScenarioResult = {
      name: plan.name,
      description: plan.description,
      file: plan.file,
      verdict: pass ? 'pass' : 'fail',
      seed: plan.seed,
      devices: fleet.deviceCount,
      simulatedSeconds: virtualSpanS,
      wallSeconds: round((performance.now() - t0) / 1000, 2),
      ledgerDigest: load.ledger.digest,
      replay,
      invariants: [ing1],
      thresholds,
      metrics: {
        uploads: driver.uploads,
        recordsProduced: totals.produced,
        recordsStored: totals.stored,
        duplicates: totals.duplicateVerdicts,
        late: totals.lateCopies,
        rejected: totals.rejected,
        lostAtDevice: totals.lostAtDevice,
        latencyMs: { p50: upload.p50, p90: upload.p90, p99: upload.p99, max: upload.max, count: upload.count },
        rejectionsByCode: totals.rejectionsByCode,
        replays: totals.replays,
        load,
      },
      timeline: measure.timeline.map((w) => ({ t: w.t, uploads: w.requests, recordsStored: w.recordsStored, duplicates: 0, late: 0, rejected: 0, p99Ms: w.p99.upload ?? 0 })),
      ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    };
    const report: RunReport = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: 'fleetbed', version: pkg.version },
      runId: runId(startedAt),
      command: o.command,
      seed: plan.seed,
      commit: gitCommit(),
      ledgerDigest: load.ledger.digest,
      verdict: scenario.verdict,
      startedAt: startedAt.toISOString(),
      wallSeconds: round((performance.now() - t0) / 1000, 2),
      environment: { kind: env.kind, apiUrl: env.apiUrl },
      scenarios: [scenario],
      ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    };
    return { report, load, ...(shard ? { part: ledger.part() } : {}) };
  } finally {
    await http.close();
    if (!o.started) await (fe ?? env).stop();
  }
}

function loadVerdict(x: { generatorSaturated: boolean; hostDelayed: boolean; generatorLate: number; busiestSecond: number; ratio: number | null; atCap: number; started: number; errorRate: number; cpuCores: number; lagP99: number; fm: FindMaxResult | undefined }): LoadSummary['verdict'] {
  let kind: LoadVerdictKind = 'kept-up';
  let text: string;
  if (x.generatorSaturated || x.fm?.limitedByGenerator) {
    kind = 'generator-saturated';
    text = `the generator, not the platform, was the bottleneck (${x.cpuCores.toFixed(2)} cores, start lag p99 ${x.lagP99.toFixed(1)} ms): the platform's figures are a lower bound; run the generator on more cores or lower the rate`;
  } else if ((x.ratio !== null && x.ratio < 0.95) || x.atCap > 0.01 * x.started || x.errorRate > 0.01) {
    kind = 'platform-saturated';
    text = `the platform fell behind: ${x.ratio === null ? '' : `achieved ${(x.ratio * 100).toFixed(1)} % of the target rate, `}${x.atCap} arrivals waited for a free slot, ${(x.errorRate * 100).toFixed(2)} % of requests failed`;
  } else text = `the platform kept up${x.ratio === null ? '' : ` (${(x.ratio * 100).toFixed(1)} % of the target rate)`}, and the generator had headroom (${x.cpuCores.toFixed(2)} cores)`;
  if (x.hostDelayed) text += `; ${x.generatorLate} arrivals started late (start lag p99 ${x.lagP99.toFixed(1)} ms) while the generator had headroom (busiest second ${Math.round(x.busiestSecond * 100)} % of a core): the host was busy, and their latency counts from the intended time`;
  return { kind, text };
}

/** Process groups whose CPU the report shows: the platform's API and PostgreSQL when this machine runs them, and the generator. */
function platformGroups(env: StartedEnvironment): Record<string, number[]> {
  const pids = (env as { pids?: { api?: number; postgres?: number } }).pids ?? {};
  const groups: Record<string, number[]> = { generator: [process.pid] };
  if (pids.api) groups.api = [pids.api];
  if (pids.postgres) groups.postgres = [pids.postgres];
  return groups;
}

function runId(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}

export type { TableSize };
