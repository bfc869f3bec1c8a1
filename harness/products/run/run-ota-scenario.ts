import { createHash } from 'node:crypto';
import type { InvariantResult, OtaBaselineRun, ScenarioMetrics, ScenarioResult, ThresholdResult } from '../../../reports/types.ts';
import { resolveEnvironment } from '../../core/env/index.ts';
import type { StartedEnvironment } from '../../core/env/types.ts';
import type { ProgressOptions } from '../../core/fleet/progress.ts';
import { emptyMetrics, round, runWithResult, type ScenarioRunParts } from './scenario-result.ts';
import { INVARIANTS } from '../../core/scenario/invariants.ts';
import type { ResolvedScenario } from '../../core/scenario/types.ts';
import { skipped } from '../../core/checkers/types.ts';
import { OTA_CHECKERS } from '../../core/checkers/checkers.ts';
import { blastRadiusOf } from '../../core/checkers/ota-5-blast-radius.ts';
import { otaOnset } from '../../core/checkers/ota-7-quiet-brick-halted.ts';
import { runOtaEngine } from '../../core/ota/engine.ts';
import type { OtaRunRecord } from '../../core/ota/types.ts';

/** How to run an OTA scenario (the plain runner's options, plus how to start the counterfactual's environment). */
export interface RunOtaScenarioOptions {
  environment: StartedEnvironment;
  /** Starts a fresh environment for the counterfactual run. Default: a fresh embedded one when `environment` is embedded; none otherwise. */
  startEnvironment?: () => Promise<StartedEnvironment>;
  replayFlags?: string[];
  progress?: ProgressOptions;
  log?: (line: string) => void;
  /** Stop each run (the counterfactual too) once its outcome is settled (harness/core/ota/engine.ts OtaEngineOptions.stopWhenSettled). */
  stopWhenSettled?: boolean;
}

const hours = (t: number | null) => (t === null ? null : round(t / 3600));

/**
 * Run an OTA scenario: the engine against `environment` under the scenario's
 * policies, the OTA checkers over what it recorded, the rollouts' expectations
 * (as `ota_outcome` thresholds), and — for a quietly bricking image — the
 * counterfactual: the same seed under policy 'transfer-success' in a second,
 * fresh environment. Both blast radii go to metrics.ota.blastRadius; the
 * verdict is the primary run's. Never throws.
 */
export async function runOtaScenario(scenario: ResolvedScenario, options: RunOtaScenarioOptions): Promise<{ result: ScenarioResult; record?: OtaRunRecord }> {
  const log = options.log ?? (() => {});
  const run = async (): Promise<{ parts: ScenarioRunParts; extra: OtaRunRecord }> => {
    const record = await runOtaEngine(scenario, { environment: options.environment, stopWhenSettled: options.stopWhenSettled ?? false, ...(options.progress ? { progress: options.progress } : {}), log });
    const invariants = checkOtaInvariants(scenario, record);
    const thresholds = expectations(record);
    const ota: Record<string, unknown> & { blastRadius: Record<string, number> } = { blastRadius: {}, ...summarize(record) };
    const primaryPolicy = policyOf(record);
    ota.blastRadius[primaryPolicy] = badTakers(record);
    const haltedAtHours: Record<string, number | null> = { [primaryPolicy]: firstHalt(record) };
    if (scenario.ota!.counterfactual && primaryPolicy !== 'transfer-success') {
      const cf = await runCounterfactual(scenario, options, log);
      if (typeof cf === 'string') {
        ota.counterfactualSkipped = cf;
      } else {
        ota.blastRadius['transfer-success'] = badTakers(cf);
        haltedAtHours['transfer-success'] = firstHalt(cf);
        ota.counterfactual = summarize(cf);
      }
    }
    ota.haltedAtHours = haltedAtHours;
    if (scenario.ota!.baselineCounterfactual.length > 0) ota.baselineCounterfactual = await runBaselineCounterfactual(scenario, record, options, log);
    const metrics: ScenarioMetrics = {
      ...emptyMetrics(),
      uploads: record.totals.uploads,
      recordsProduced: record.totals.sessions,
      recordsStored: record.totals.stored,
      rejected: record.totals.rejected,
      phases: record.phases,
      ota,
    };
    const timeline = record.hours.map((p) => ({ t: p.t, uploads: p.uploads, recordsStored: p.sessions, duplicates: 0, late: 0, rejected: 0, p99Ms: 0 }));
    return { extra: record, parts: { ledgerDigest: digest(record), invariants, thresholds, metrics, timeline } };
  };
  const simulatedSeconds = Math.max(1, Math.ceil(scenario.durationSeconds / 3600)) * 3600;
  const { result, extra: record } = await runWithResult(scenario, { simulatedSeconds, replayFlags: options.replayFlags, run });
  return record ? { record, result } : { result };
}

/** The OTA checkers over the engine's record, in the scenario's order; a checker that throws fails its invariant with the error as the witness. */
function checkOtaInvariants(scenario: ResolvedScenario, record: OtaRunRecord): InvariantResult[] {
  return scenario.invariants.map((id) => {
    const check = OTA_CHECKERS[id];
    if (!check) return skipped(id, INVARIANTS[id], 'an OTA scenario checks the OTA invariants only');
    try {
      return check(record);
    } catch (error) {
      return { id, title: INVARIANTS[id], verdict: 'fail' as const, checked: 0, violations: 1, witnesses: [{ expected: 'the check runs to completion', found: `the checker failed: ${(error as Error).message.slice(0, 500)}` }] };
    }
  });
}

/** The counterfactual: the same seed under policy transfer-success, in a fresh environment stopped afterwards; or why it cannot run. */
async function runCounterfactual(scenario: ResolvedScenario, options: RunOtaScenarioOptions, log: (line: string) => void): Promise<OtaRunRecord | string> {
  const start = options.startEnvironment ?? (options.environment.kind === 'embedded' ? () => resolveEnvironment({ env: 'embedded', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' } }).start() : undefined);
  if (!start) return `the ${options.environment.kind} environment cannot start a second, fresh platform; run with --env embedded`;
  log('ota: counterfactual — the same seed under policy transfer-success, in a fresh environment');
  const env2 = await start();
  try {
    return await runOtaEngine(scenario, { environment: env2, policyOverride: 'transfer-success', stopWhenSettled: options.stopWhenSettled ?? false, ...(options.progress ? { progress: options.progress } : {}), log: (l) => log(`[counterfactual] ${l}`) });
  } finally {
    await env2.stop();
  }
}


/**
 * The baseline counterfactual: the scenario again for each baseline length in
 * `ota.baselineCounterfactual` (the primary run stands for its own length), each
 * in a fresh environment; the time from onset to halt and the blast radius of
 * each. A length whose environment cannot be started is left out, with the
 * reason in the log.
 */
async function runBaselineCounterfactual(scenario: ResolvedScenario, primary: OtaRunRecord, options: RunOtaScenarioOptions, log: (line: string) => void): Promise<OtaBaselineRun[]> {
  const out: OtaBaselineRun[] = [];
  const start = options.startEnvironment ?? (options.environment.kind === 'embedded' ? () => resolveEnvironment({ env: 'embedded', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' } }).start() : undefined);
  for (const seconds of scenario.ota!.baselineCounterfactual) {
    let record = primary;
    if (seconds !== scenario.ota!.baselineSeconds) {
      if (!start) {
        log(`ota: baseline counterfactual ${seconds / 86_400} d skipped: the ${options.environment.kind} environment cannot start a fresh platform`);
        continue;
      }
      log(`ota: baseline counterfactual — the same seed with ${seconds / 86_400} days of baseline, in a fresh environment`);
      const variant: ResolvedScenario = { ...scenario, ota: { ...scenario.ota!, baselineSeconds: seconds } };
      const env = await start();
      try {
        record = await runOtaEngine(variant, { environment: env, ...(options.progress ? { progress: options.progress } : {}), log: (l) => log(`[baseline ${seconds / 86_400} d] ${l}`) });
      } finally {
        await env.stop();
      }
    }
    out.push(baselineRunOf(record, seconds));
  }
  return out;
}

function baselineRunOf(r: OtaRunRecord, seconds: number): OtaBaselineRun {
  const i = r.ota.rollouts.findIndex((x) => x.image.behaviour.kind !== 'good');
  const k = i < 0 ? 0 : i;
  const t = r.rollouts[k];
  const onset = otaOnset(r, k).onset;
  const br = blastRadiusOf(r, k);
  const last = r.monitor.at(-1)?.rollouts.find((x) => x.rolloutId === t?.rolloutId);
  return {
    baselineDays: seconds / 86_400,
    policy: policyOf(r),
    state: t?.status?.state ?? 'not-created',
    haltedAtHours: hours(t?.haltAt ?? null),
    haltStage: t?.haltStage ?? null,
    onsetHours: hours(onset),
    onsetToHaltHours: onset !== null && t?.haltAt != null ? hours(t.haltAt - onset) : null,
    blastRadius: badTakers(r),
    canaryDevices: br.canary,
    bricked: br.bricked,
    lastReason: t?.haltDetail ?? last?.reason ?? null,
  };
}

/** The policy the platform actually ran (from its status), so a platform that ignores the request is named for what it did. */
function policyOf(r: OtaRunRecord): string {
  return r.rollouts.find((t) => t?.status)?.status?.policy ?? r.policyOverride ?? r.ota.rollouts[0]!.policy;
}

/** Devices that took (installed) a bad image, over every rollout. */
function badTakers(r: OtaRunRecord): number {
  let n = 0;
  r.ota.rollouts.forEach((x, i) => {
    if (x.image.behaviour.kind !== 'good') n += r.took[i]!.size;
  });
  return n;
}

function firstHalt(r: OtaRunRecord): number | null {
  const t = r.rollouts.map((x) => x?.haltAt ?? null).find((x) => x !== null);
  return t === undefined ? null : hours(t);
}

function summarize(r: OtaRunRecord) {
  return {
    policy: policyOf(r),
    eligibleDevices: r.eligible.length,
    offers: r.offers.length,
    updates: r.attempts.length,
    checks: r.totals.checks,
    bricked: r.hours.at(-1)?.bricked ?? 0,
    rollouts: r.rollouts.map((t, i) => {
      const br = blastRadiusOf(r, i);
      const onset = otaOnset(r, i);
      return {
        rolloutId: t?.rolloutId,
        version: r.ota.rollouts[i]!.image.version,
        behaviour: r.ota.rollouts[i]!.image.behaviour.kind,
        policy: t?.policy,
        state: t?.status?.state ?? 'not-created',
        stageIndex: t?.status?.stageIndex ?? null,
        cohorts: t?.cohortSizes ?? [],
        haltedAtHours: hours(t?.haltAt ?? null),
        haltStage: t?.haltStage ?? null,
        haltReason: t?.haltReason ?? null,
        completedAtHours: hours(t?.completedAt ?? null),
        tookImage: br.took,
        bricked: br.bricked,
        inFlightSlack: br.slack,
        onsetHours: hours(onset.onset),
        onsetToHaltHours: onset.onset !== null && t?.haltAt != null ? hours(t.haltAt - onset.onset) : null,
        offers: r.offers.filter((o) => o.rollout === i).length,
      };
    }),
    monitorMs: r.monitor.flatMap((m) => m.rollouts.map((x) => x.evaluationMs)).reduce((a, b) => Math.max(a, b), 0),
    history: r.hours.map((p) => ({ hour: p.t / 3600, onNewImage: p.onNewImage, bricked: p.bricked, offers: p.offers, rollouts: p.rollouts })),
  };
}

/** The rollouts' `expect` as thresholds named ota_outcome (actual: 1 met, 0 not). */
function expectations(r: OtaRunRecord): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  r.ota.rollouts.forEach((x, i) => {
    const t = r.rollouts[i];
    const e = x.expect;
    const push = (expression: string, ok: boolean) => out.push({ metric: `ota_outcome`, expression: `rollout[${i}] ${expression}`, verdict: ok ? 'pass' : 'fail', actual: ok ? 1 : 0 });
    if (e.state !== undefined) push(`state==${e.state} (was ${t?.status?.state ?? 'not created'})`, t?.status?.state === e.state);
    if (e.haltStage !== undefined) push(`haltStage==${e.haltStage} (was ${t?.haltStage ?? 'none'})`, t?.haltStage === e.haltStage);
    if (e.haltReason !== undefined) push(`haltReason==${e.haltReason} (was ${t?.haltReason ?? 'none'})`, t?.haltReason === e.haltReason);
    if (e.maxOffers !== undefined) {
      const n = r.offers.filter((o) => o.rollout === i).length;
      push(`offers<=${e.maxOffers} (was ${n})`, n <= e.maxOffers);
    }
  });
  return out;
}

/** A digest of what the run did (offers, updates, halts): the same seed and code give the same value. */
function digest(r: OtaRunRecord): string {
  // Households run concurrently, so offers and attempts are recorded in the order their
  // responses arrive; sorted, the lines name what happened, not which answer came first.
  const lines = [
    ...r.offers.map((o) => `o ${o.t} ${o.deviceId} ${o.rollout} ${o.stageIndex}`),
    ...r.attempts.map((a) => `a ${a.t} ${a.d} ${a.rollout} ${a.reports.map((x) => x.state).join(',')}`),
  ].sort();
  const h = createHash('sha256');
  for (const line of lines) h.update(`${line}\n`);
  for (const t of r.rollouts) h.update(`r ${t?.rolloutId} ${t?.status?.state} ${t?.haltAt} ${t?.completedAt}\n`);
  return h.digest('hex');
}
