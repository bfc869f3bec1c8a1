import { createFleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { Identities } from '../../../simulators/identities.ts';
import type { Ledger } from '../../../simulators/ledger.ts';
import type { StartedEnvironment } from '../env/types.ts';
import { signUpHouseholds } from '../fleet/accounts.ts';
import { AppState } from '../fleet/app-state.ts';
import type { DriverStats, FleetContext } from '../fleet/context.ts';
import { readClock, setClock } from '../fleet/drive.ts';
import { FleetHttp, runWorkers } from '../fleet/http.ts';
import { Progress, type ProgressOptions } from '../fleet/progress.ts';
import { provisionAndBond } from '../fleet/setup.ts';
import { toFleetOptions } from '../scenario/to-fleet-options.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { runBaselineSync, runHouseholdHour } from './household-hour.ts';
import { Operator } from './operator.ts';
import { OtaPlatform } from './platform-calls.ts';
import { OtaRecorder } from './run-recorder.ts';
import { stepRunningImages } from './simulation-step.ts';
import type { OtaRunRecord } from './types.ts';
import { createWorld } from './world.ts';

/**
 * How to run the OTA engine. `policyOverride` runs every rollout under another
 * policy (the counterfactual).
 */
export interface OtaEngineOptions {
  environment: Pick<StartedEnvironment, 'apiUrl' | 'factorySecret'>;
  policyOverride?: 'health-gate' | 'transfer-success';
  /**
   * Stop stepping time once the outcome is settled: every rollout has been created and is
   * either halted (or cancelled) or completed with every eligible device on its image, and
   * `settleSeconds` (default 24 h) have passed since, for the devices that took an image to
   * show what it does. After that no offer, update or gate decision can happen. The record
   * then covers only the hours simulated (bench:ota uses it; scenarios run their whole duration).
   */
  stopWhenSettled?: boolean;
  settleSeconds?: number;
  workers?: number;
  progress?: ProgressOptions;
  log?: (line: string) => void;
}

const HOUR = 3600;

/**
 * The OTA scenario engine. Against a started platform (test mode):
 *
 * 1. build the fleet (simulators/fleet.ts columns), sign up its households, provision
 *    (bulk NDJSON) and bond (the real button-press flow) every device — harness/core/fleet;
 * 2. build the world (world.ts): each rollout's image (real bytes, signed with the TEST
 *    release key), every device's bootloader, the brushing schedule;
 * 3. the baseline: for `ota.baseline` before the rollouts' time 0 the devices brush and
 *    their phones upload the signed sessions (a week per upload), so the platform knows
 *    each device's rhythm before any rollout starts;
 * 4. step virtual time an hour at a time. In each hour: the operator creates the rollouts
 *    that are due (operator.ts); every device's running image is stepped (simulation-step.ts:
 *    a quiet-death image latches its onset); each household whose phone syncs this hour
 *    (every `ota.syncEvery`) uploads its devices' sessions since its last sync, asks for
 *    offers and relays the reports of the updates they run (household-hour.ts); every
 *    `monitorEvery` the health monitor runs and the rollouts' status is read back.
 *
 * The HTTP calls are in platform-calls.ts; everything the run saw is written down by the
 * recorder (run-recorder.ts) into the record the OTA checkers read.
 */
export async function runOtaEngine(scenario: ResolvedScenario, options: OtaEngineOptions): Promise<OtaRunRecord> {
  const ota = scenario.ota;
  if (!ota) throw new Error(`scenario ${scenario.name} has no ota section`);
  const started = performance.now();
  const log = options.log ?? (() => {});
  const workers = options.workers ?? scenario.env.harnessWorkers ?? 16;
  const http = new FleetHttp(options.environment.apiUrl, workers);
  const progress = new Progress(options.progress);
  try {
    // ------------------------------------------------------------ fleet, accounts, bonds
    const startMs = await readClock({ http } as FleetContext);
    const startS = Math.ceil(startMs / 1000);
    // Every device starts on its line's factory image (the OTA world's premise): none left the factory on newer firmware.
    const base = toFleetOptions(scenario);
    const fleet = createFleet(resolveFleetOptions({ ...base, device: { ...base.device, newerFactoryShare: 0 } }), startS);
    const stats: DriverStats = { accounts: 0, signIns: 0, refreshes: 0, bonds: 0, uploads: 0, uploadRetries: 0, replays: 0, reinstalls: 0, recordsSent: 0 };
    const ctx: FleetContext = {
      http,
      fleet,
      ledger: {} as Ledger, // setup never books anything: the OTA engine keeps its own records
      app: new AppState(fleet),
      identities: new Identities(fleet.seed),
      progress,
      factorySecret: options.environment.factorySecret,
      workers,
      nowMs: startMs,
      stats,
    };
    let t0 = performance.now();
    await signUpHouseholds(ctx);
    await provisionAndBond(ctx, 25_000);
    const setupSeconds = secondsSince(t0);

    // ------------------------------------------------------------ world, recorder, operator
    // The rollouts' time 0 is after the baseline: the platform collects fleet-health
    // telemetry for ota.baselineSeconds before the first rollout can start.
    const otaStartMs = startMs + ota.baselineSeconds * 1000;
    const otaStartS = startS + ota.baselineSeconds;
    const world = createWorld(ota, fleet, otaStartS);
    const recorder = new OtaRecorder(scenario, world, { startMs: otaStartMs, policyOverride: options.policyOverride ?? null, log });
    const record = recorder.record;
    record.phases.setup = setupSeconds;
    const platform = new OtaPlatform(http, options.environment.factorySecret);
    const operator = new Operator(ota, world, platform, recorder, { seed: scenario.seed, policyOverride: options.policyOverride, log });

    // ------------------------------------------------------------ baseline
    t0 = performance.now();
    const baselineHours = ota.baselineSeconds / HOUR;
    if (baselineHours > 0) {
      const chunk = 7 * 24; // a phone that syncs weekly: within the platform's late window, ≤ 256 records for a household
      progress.start('ota baseline days', baselineHours / 24, () => `${record.totals.sessions} sessions`);
      for (let from = -baselineHours; from < 0; from += chunk) {
        const to = Math.min(0, from + chunk);
        await setClock(ctx, otaStartMs + to * HOUR * 1000);
        let next = 0;
        await runWorkers(workers, () => {
          if (next >= fleet.householdCount) return undefined;
          const household = next++;
          return () => runBaselineSync({ world, platform, recorder, fleet: ctx, seed: scenario.seed }, household, to - 1);
        });
        progress.add((to - from) / 24);
      }
      progress.end(`${record.totals.sessions} baseline sessions over ${baselineHours / 24} days`);
    }
    record.phases.baseline = secondsSince(t0);
    record.totals.baselineSessions = record.totals.sessions;

    // ------------------------------------------------------------ virtual time
    const hours = record.simulatedSeconds / HOUR;
    const monitorEvery = ota.monitorEverySeconds / HOUR;
    // Households by sync hour: only those that sync in an hour are visited in it.
    const bySync: number[][] = Array.from({ length: world.syncEvery }, () => []);
    for (let hh = 0; hh < fleet.householdCount; hh++) bySync[world.syncOffset[hh]!]!.push(hh);
    t0 = performance.now();
    progress.start('ota hours', hours, () => `${record.offers.length} offers · ${record.hours.at(-1)?.bricked ?? 0} bricked`);
    for (let k = 0; k < hours; k++) {
      const tEnd = (k + 1) * HOUR;
      await setClock(ctx, otaStartMs + tEnd * 1000);
      await operator.createDueRollouts(k, tEnd);
      const hourS = otaStartS + k * HOUR;
      stepRunningImages(world, hourS);
      recorder.hourStarted(tEnd);
      const hour = { world, platform, recorder, fleet: ctx, seed: scenario.seed, k, hourS, tEnd };
      const syncing = bySync[(world.syncEvery - (k % world.syncEvery)) % world.syncEvery]!;
      let next = 0;
      await runWorkers(workers, () => {
        if (next >= syncing.length) return undefined;
        const household = syncing[next++]!;
        return () => runHouseholdHour(hour, household);
      });
      if ((k + 1) % monitorEvery === 0) await operator.runMonitor(tEnd);
      recorder.hourEnded();
      progress.add();
      if (options.stopWhenSettled && settled(record, tEnd, options.settleSeconds ?? 24 * HOUR)) {
        log(`ota: every rollout settled (halted, or completed on every eligible device); stopping at ${tEnd / HOUR} h of ${hours} h: nothing can be offered or decided after`);
        record.simulatedSeconds = tEnd;
        break;
      }
    }
    await operator.refreshStatus(record.simulatedSeconds);
    record.phases.simulate = secondsSince(t0);
    progress.end(`${record.offers.length} offers, ${record.attempts.length} updates, ${record.hours.at(-1)?.bricked ?? 0} bricked`);
    record.wallSeconds = secondsSince(started);
    return record;
  } finally {
    await http.close();
  }
}

/** Every rollout created and, at least `settleS` before `t`, halted or completed with every eligible device having taken its image. */
function settled(r: OtaRunRecord, t: number, settleS: number): boolean {
  if (r.rollouts.filter(Boolean).length < r.ota.rollouts.length) return false;
  return r.rollouts.every((x) => {
    if (x.status?.state === 'halted') return x.haltAt !== null && t - x.haltAt >= settleS;
    if (x.status?.state !== 'completed' || x.completedAt === null || t - x.completedAt < settleS) return false;
    const took = r.took[x.index]!;
    if (took.size < r.eligible.length) return false;
    let last = 0;
    for (const at of took.values()) last = Math.max(last, at);
    return t - last >= settleS;
  });
}

function secondsSince(t: number): number {
  return Math.round((performance.now() - t) / 10) / 100;
}
