import type { ScenarioResult, ScenarioMetrics } from '../../../reports/types.ts';
import type { StartedEnvironment } from '../../core/env/types.ts';
import { runFleet, type FleetRunResult, type FleetSetupState } from '../../core/fleet/run-fleet.ts';
import type { ProgressOptions } from '../../core/fleet/progress.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultSchedule, startFaultProxy, type FaultProxy, type PgFaultProxy } from '../../core/faults/index.ts';
import { toFleetOptions } from '../../core/scenario/to-fleet-options.ts';
import type { ResolvedScenario } from '../../core/scenario/types.ts';
import { evaluateThresholds } from '../../core/thresholds/index.ts';
import { runCareQueries, runCheckers, runTokenLifecycleProbe, snapshotEvents } from '../../core/checkers/index.ts';
import { RunHistory } from '../../core/history.ts';
import { runLegacyScenario } from './run-legacy-scenario.ts';
import { runOtaScenario } from './run-ota-scenario.ts';
import { round, runWithResult, type ScenarioRunParts } from './scenario-result.ts';

/** How to run one scenario: against which started environment, with which replay flags, progress and log. */
export interface RunScenarioOptions {
  environment: StartedEnvironment;
  /** Extra replay flags (e.g. `--env url --target-url …`). */
  replayFlags?: string[];
  progress?: ProgressOptions;
  /** Log one line (fault actions, phases). */
  log?: (line: string) => void;
  /** The fleet is already set up on this platform (a fleet fixture): `runFleet`'s `setup`. */
  setup?: FleetSetupState;
}

/** A scenario's result, and the fleet run behind it (absent when the run did not complete, or for an OTA or legacy scenario). */
export interface RunScenarioOutcome {
  result: ScenarioResult;
  fleet?: FleetRunResult;
}

/**
 * Run one scenario against a started environment: drive the fleet through
 * simulated time (behind the fault proxy when the scenario has proxy faults),
 * fire restart faults on the timeline, record the history, run the checkers,
 * evaluate the thresholds. Never throws for a failing platform: a scenario that
 * cannot run is a `fail` with its error.
 */
export async function runScenario(scenario: ResolvedScenario, options: RunScenarioOptions): Promise<RunScenarioOutcome> {
  // OTA scenarios have their own engine (harness/core/ota): rollouts against a reporting fleet.
  if (scenario.ota) return { result: (await runOtaScenario(scenario, options)).result };
  // Legacy scenarios too (harness/core/legacy): v1 apps, drift and a migration, night by night.
  if (scenario.legacy) return { result: (await runLegacyScenario(scenario, options)).result };
  const env = options.environment;
  const log = options.log ?? (() => {});
  const days = Math.max(1, Math.ceil(scenario.durationSeconds / 86_400));
  const simulatedSeconds = days * 86_400;
  const history = new RunHistory(simulatedSeconds > 4 * 86_400 ? 6 * 3600 : 3600);
  const schedule = FaultSchedule.of(scenario);
  let proxy: FaultProxy | undefined;
  let dbProxy: PgFaultProxy | undefined;
  let startMs: number | undefined;
  let lastT = 0;
  /** A restart in progress: it overlaps the uploads of the next slot (mid-upload), and is awaited before the next fault. */
  let restarting: Promise<void> | undefined;
  const run = async (): Promise<{ parts: ScenarioRunParts; extra: FleetRunResult }> => {
    if (scenario.requires.restartApi && !env.restartApi) throw new Error(`scenario ${scenario.name} restarts the API, which the ${env.kind} environment cannot do; use --env embedded`);
    if (scenario.requires.restartDatabase && !env.restartDatabase) throw new Error(`scenario ${scenario.name} restarts PostgreSQL, which the ${env.kind} environment cannot do; use --env embedded`);
    if (scenario.requires.killApi && !env.killApi) throw new Error(`scenario ${scenario.name} kills the API, which the ${env.kind} environment cannot do; use --env embedded`);
    if (scenario.requires.crashDatabase && !env.crashDatabase) throw new Error(`scenario ${scenario.name} crashes PostgreSQL, which the ${env.kind} environment cannot do; use --env embedded`);
    if (scenario.requires.databaseProxy && !env.attachDatabaseProxy) throw new Error(`scenario ${scenario.name} faults the API's database connections, which needs a proxy between them that only the embedded environment sets up; use --env embedded`);
    if (scenario.requires.faultProxy) proxy = await startFaultProxy({ target: env.apiUrl, seed: scenario.seed });
    if (scenario.requires.databaseProxy) dbProxy = await env.attachDatabaseProxy!(scenario.seed);
    // Simulated time 0 is the platform clock when the scenario starts (the fleet starts there too).
    startMs = await platformClock(env.apiUrl);
    const halfway = simulatedSeconds / 2;

    const fleet = await runFleet({
      environment: { apiUrl: proxy?.url ?? env.apiUrl, factorySecret: env.factorySecret, ...(env.databaseUrl ? { databaseUrl: env.databaseUrl } : {}) },
      fleet: toFleetOptions(scenario),
      days,
      ...(scenario.env.harnessWorkers ? { workers: scenario.env.harnessWorkers } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.setup ? { setup: options.setup } : {}),
      hooks: {
        beforeSlot: async (platformMs) => {
          startMs ??= platformMs;
          const t = (platformMs - startMs) / 1000;
          if (t <= lastT && lastT > 0) return;
          for (const f of schedule.between(lastT, t)) {
            history.faults.push({ t: f.at, label: f.label });
            log(`fault: ${f.label}`);
            if (f.action !== 'open' && f.action !== 'close') {
              await restarting;
              restarting = pointFault(env, f.action, scenario.faults.find((x) => x.index === f.index)?.params.mode ?? 'immediate');
            }
          }
          if (proxy) proxy.setFaults(schedule.proxyFaultsDuring(lastT, Math.max(t, lastT + 1)));
          if (dbProxy) dbProxy.setFaults(schedule.dbFaultsDuring(lastT, Math.max(t, lastT + 1)));
          if (env.databaseUrl && history.eventSnapshot === undefined && t >= halfway) {
            history.eventSnapshot = await snapshotEvents(env.databaseUrl);
            history.eventSnapshotAt = t;
          }
          lastT = t;
        },
        upload: (e) => {
          startMs ??= e.platformMs;
          history.upload({ t: (e.platformMs - startMs) / 1000, latencyMs: e.latencyMs, status: e.status, stored: e.counts.stored, duplicate: e.counts.duplicate, rejected: e.counts.rejected, late: e.late, replayed: e.replayed });
        },
      },
    });
    await restarting;
    proxy?.clearFaults();
    dbProxy?.clearFaults();

    const ctxEnv = { apiUrl: env.apiUrl, ...(env.databaseUrl ? { databaseUrl: env.databaseUrl } : {}) };
    if (scenario.invariants.includes('PRIV-2') || scenario.invariants.includes('AUTH-5')) {
      await runCareQueries({ env: ctxEnv, factorySecret: env.factorySecret, fleet, history, scenario });
    }
    if (scenario.invariants.includes('AUTH-5')) await runTokenLifecycleProbe({ env: ctxEnv, fleet, history });
    const invariants = await runCheckers(scenario.invariants, { scenario, fleet, history, env: ctxEnv });
    const thresholds = evaluateThresholds(scenario.thresholds, history.metrics).map(({ metric, expression, verdict, actual }) => ({ metric, expression, verdict, actual }));
    const t = fleet.totals;
    const latency = history.metrics.trend('http_req_duration').summary();
    const metrics: ScenarioMetrics = {
      uploads: history.uploads,
      recordsProduced: t.produced,
      recordsStored: t.stored,
      duplicates: t.duplicateVerdicts,
      late: t.lateCopies,
      rejected: t.rejected,
      lostAtDevice: t.lostAtDevice,
      latencyMs: { p50: round(latency.p50), p90: round(latency.p90), p99: round(latency.p99), max: round(latency.max), count: latency.count },
      rejectionsByCode: t.rejectionsByCode,
      replays: t.replays,
      faults: history.faults,
      ...(proxy ? { faultProxy: { ...proxy.stats } } : {}),
      ...(dbProxy ? { databaseFaultProxy: { ...dbProxy.stats } } : {}),
      phases: fleet.phases,
      ...(fleet.hostile ? { hostile: fleet.hostile } : {}),
      ...(fleet.edges ? { timeEdges: fleet.edges } : {}),
    };
    return { extra: fleet, parts: { ledgerDigest: fleet.ledgerDigest, invariants, thresholds, metrics, timeline: history.timeline(simulatedSeconds) } };
  };
  const { result, extra: fleet } = await runWithResult(scenario, {
    simulatedSeconds,
    replayFlags: options.replayFlags,
    run,
    timelineSoFar: () => history.timeline(simulatedSeconds),
    cleanup: async () => {
      await restarting?.catch((err: Error) => log(`a restart fault did not complete: ${err.message}`));
      await proxy?.close().catch(() => {});
    },
  });
  return fleet ? { fleet, result } : { result };
}

/**
 * Start a point fault through the environment. A kill happens a moment into the next
 * slot's uploads (they overlap it: requests and group commits are in flight when it lands).
 */
function pointFault(env: StartedEnvironment, action: 'restart-api' | 'restart-database' | 'kill-api' | 'kill-database', mode: 'immediate' | 'sigkill'): Promise<void> {
  switch (action) {
    case 'restart-api':
      return env.restartApi!();
    case 'restart-database':
      return env.restartDatabase!();
    case 'kill-api':
      return sleep(KILL_DELAY_MS).then(() => env.killApi!());
    case 'kill-database':
      return sleep(KILL_DELAY_MS).then(() => env.crashDatabase!(mode));
  }
}

/** How far into a slot's uploads a kill lands, ms. */
const KILL_DELAY_MS = 30;

async function platformClock(apiUrl: string): Promise<number> {
  const res = await fetch(`${apiUrl}/testbed/clock`);
  if (res.status !== 200) throw new Error(`GET ${apiUrl}/testbed/clock answered ${res.status}: the platform must run in test mode (its virtual clock drives the scenario)`);
  return ((await res.json()) as { epochMs: number }).epochMs;
}

export { runDigest } from '../../core/run-digest.ts';
