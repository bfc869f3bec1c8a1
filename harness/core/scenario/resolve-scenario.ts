import { FLEET_DEFAULTS } from '../../../simulators/fleet-options.ts';
import { checkMetricName, parseThreshold, THRESHOLD_FORM } from '../thresholds/parse-threshold.ts';
import { ThresholdError } from '../thresholds/errors.ts';
import { Check } from './_internals/check.ts';
import { deepFreeze } from './_internals/deep-freeze.ts';
import { solveMix } from './_internals/mix.ts';
import { SCENARIO_DEFAULTS } from './defaults.ts';
import { dayTimeSeconds, DURATION_EXPECTED, formatDuration, parseDuration } from './duration.ts';
import { INVARIANT_IDS, RUN_INVARIANTS, type InvariantId } from './invariants.ts';
import { resolveLegacy } from './resolve-legacy.ts';
import { parseSeed, SEED_EXPECTED } from './seed.ts';
import { didYouMean } from './_internals/suggest.ts';
import type { Behaviour, EnvHints, FaultKind, ProductMix, ResolvedFault, ResolvedScenario } from './types.ts';

/** Most devices a scenario may ask for. */
export const MAX_DEVICES = 1_000_000;
/** Longest simulated duration, in seconds (one year). */
export const MAX_DURATION_SECONDS = 365 * 86_400;
/** Largest gap between a requested product mix and what households can produce. */
export const MIX_TOLERANCE = 0.01;

const TOP_FIELDS = ['name', 'description', 'seed', 'fleet', 'duration', 'behaviour', 'faults', 'invariants', 'thresholds', 'env', 'ota', 'legacy'] as const;
const FAULT_KINDS: readonly FaultKind[] = ['restart-api', 'restart-postgres', 'kill-api', 'kill-postgres', 'connection-reset', 'latency', 'http-5xx', 'drop-response-after-commit', 'db-latency', 'db-connection-reset', 'db-reply-lost'];
const POINT_FAULTS: readonly FaultKind[] = ['restart-api', 'restart-postgres', 'kill-api', 'kill-postgres'];
const DB_FAULTS: readonly FaultKind[] = ['db-latency', 'db-connection-reset', 'db-reply-lost'];
const MIX_LINES = ['adultBrush', 'kidsBrush', 'interdental'] as const;
const PROBABILITIES = ['syncPerDay', 'latePhones', 'lateSyncPerDay', 'outOfRange', 'retryAfterCommit', 'reinstall', 'twoPhones', 'clockResetPerDay', 'unknownHead'] as const;
const MATCH_PARAMS = ['method', 'pathPrefix'] as const;
const PARAMS_BY_FAULT: Record<FaultKind, readonly string[]> = {
  'restart-api': [],
  'restart-postgres': [],
  'kill-api': [],
  'kill-postgres': ['mode'],
  'db-latency': ['ms', 'jitterMs'],
  'db-connection-reset': [],
  'db-reply-lost': [],
  'connection-reset': MATCH_PARAMS,
  'drop-response-after-commit': MATCH_PARAMS,
  latency: [...MATCH_PARAMS, 'ms', 'jitterMs'],
  'http-5xx': [...MATCH_PARAMS, 'status'],
};
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Fill the defaults of {@link SCENARIO_DEFAULTS} into `raw` and validate every field.
 * Returns a deeply frozen {@link ResolvedScenario}; throws {@link ScenarioError}
 * (`FLEETBED_SCENARIO_INVALID`) naming `source`, the field path, the bad value and what
 * was expected. Unknown fields are errors, with a suggestion when one is close.
 *
 * @param raw what a scenario file exported or contained
 * @param source the file it came from, relative to the working directory (used in messages and as `file`)
 */
export function resolveScenario(raw: unknown, source = '<inline>'): ResolvedScenario {
  const c: Check = new Check(source); // annotated: calls to c.fail() then narrow types
  // Not an object at all: nothing else can be checked.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) c.fail('', 'a scenario object (export default defineScenario({ name, description, ... }))', raw);
  const s = c.object('', raw, TOP_FIELDS);

  // Each part is checked on its own, so one run reports every independent mistake.
  const name = c.part(() => {
    const name = c.string('name', s.name, NAME, 'a kebab-case name such as "late-uploads" (lowercase letters, digits, single hyphens)');
    if (name.length > 64) c.fail('name', 'at most 64 characters', name);
    return name;
  });
  const description = c.part(() => {
    if (typeof s.description !== 'string' || s.description.trim() === '') c.fail('description', 'a non-empty string saying what the scenario exercises', s.description);
    return s.description.trim();
  });
  const seed = c.part(() => {
    const seed = s.seed === undefined ? SCENARIO_DEFAULTS.seed : parseSeed(s.seed);
    if (seed === undefined) {
      const hint = typeof s.seed === 'number' && Number.isInteger(s.seed) && s.seed > Number.MAX_SAFE_INTEGER ? 'above 2^53 a number loses digits: write the seed as a string' : undefined;
      c.fail('seed', SEED_EXPECTED, s.seed, hint);
    }
    return seed;
  });
  const fleet = c.part(() => resolveFleet(c, s.fleet));
  const durationSeconds = c.part(() => {
    const duration = s.duration ?? SCENARIO_DEFAULTS.duration;
    const seconds = parseDuration(duration);
    if (seconds === undefined) c.fail('duration', DURATION_EXPECTED, duration);
    if (seconds < 3600 || seconds > MAX_DURATION_SECONDS || seconds % 3600 !== 0) {
      c.fail('duration', 'whole hours from "1h" to "365d" (the simulator steps an hour at a time)', duration);
    }
    return seconds;
  });
  // With no valid duration, times are checked against the longest one (their form still is).
  const timeLimit = durationSeconds ?? MAX_DURATION_SECONDS;
  const behaviour = resolveBehaviour(c, s.behaviour);
  const faults = resolveFaults(c, s.faults, timeLimit);
  const ota = s.ota === undefined ? undefined : c.part(() => resolveOta(c, s.ota, timeLimit));
  const legacy = s.legacy === undefined ? undefined : c.part(() => {
    if (s.ota !== undefined) c.fail('legacy', 'absent in an OTA scenario: a scenario is an OTA run or a legacy migration, not both (write two scenarios)', s.legacy);
    return resolveLegacy(c, s.legacy, durationSeconds ?? MAX_DURATION_SECONDS, legacyDevices(s.fleet, fleet?.devices));
  });
  const invariants = c.part(() =>
    s.invariants === undefined && s.ota !== undefined ? [...SCENARIO_DEFAULTS.ota.invariants] : s.invariants === undefined && s.legacy !== undefined ? [...SCENARIO_DEFAULTS.legacy.invariants] : resolveInvariants(c, s.invariants),
  );
  if (behaviour && behaviour.hostileRecords > 0) {
    c.part(() => {
      // Hostile records go out from the fleet engine; AUTH-1 and AUTH-2 judge their verdicts.
      if (s.ota !== undefined || s.legacy !== undefined) c.fail('behaviour.hostileRecords', `0 in ${s.ota !== undefined ? 'an OTA' : 'a legacy'} scenario: hostile records are sent by fleet scenarios${s.legacy !== undefined ? ' (legacy scenarios have legacy.hostile)' : ''}`, behaviour.hostileRecords);
      const missing = (['AUTH-1', 'AUTH-2'] as const).filter((id) => invariants && !invariants.includes(id));
      if (missing.length > 0) c.fail('invariants', `a list holding ${missing.join(' and ')} too: they judge the verdicts of the hostile records behaviour.hostileRecords sends`, s.invariants);
    });
  }
  const thresholds = resolveThresholds(c, s.thresholds);
  const env = c.part(() => resolveEnv(c, s.env));
  c.done();

  return deepFreeze({
    name: name!,
    description: description!,
    file: source,
    seed: seed!,
    fleet: legacy ? { ...fleet!, devices: legacyDevices(s.fleet, fleet!.devices)! } : fleet!,
    duration: formatDuration(durationSeconds!),
    durationSeconds: durationSeconds!,
    behaviour,
    faults,
    invariants: invariants!,
    thresholds,
    env: env!,
    requires: {
      restartApi: faults.some((f) => f.fault === 'restart-api'),
      restartDatabase: faults.some((f) => f.fault === 'restart-postgres'),
      faultProxy: faults.some((f) => f.durationSeconds > 0 && !DB_FAULTS.includes(f.fault)),
      killApi: faults.some((f) => f.fault === 'kill-api'),
      crashDatabase: faults.some((f) => f.fault === 'kill-postgres'),
      databaseProxy: faults.some((f) => DB_FAULTS.includes(f.fault)),
    },
    ...(ota ? { ota } : {}),
    ...(legacy ? { legacy } : {}),
  });
}

/** A legacy scenario's world size is fleet.devices; left out, the legacy world's default (not the fleet's 1000). */
function legacyDevices(raw: unknown, resolved: number | undefined): number | undefined {
  const given = typeof raw === 'object' && raw !== null && (raw as { devices?: unknown }).devices !== undefined;
  return given ? resolved : SCENARIO_DEFAULTS.legacy.devices;
}

const OTA_LINES = ['adult-brush', 'kids-brush', 'interdental'] as const;
const OTA_BEHAVIOURS = ['good', 'corrupt-transfer', 'boot-loop', 'quiet-death', 'head-fault'] as const;
const HEAD_TYPE_NAMES = ['adult-clean', 'adult-sensitive', 'adult-whitening', 'kids', 'interdental-tip'] as const;
const VERSION = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,4})$/;

function resolveOtaDuration(c: Check, field: string, raw: unknown, min: number, max: number): number {
  const v = parseDuration(raw);
  if (v === undefined || v < min || v > max || v % 3600 !== 0) c.fail(field, `whole hours from ${formatDuration(min) || '0h'} to ${formatDuration(max)} (the OTA engine steps an hour at a time)`, raw);
  return v;
}

function resolveOta(c: Check, raw: unknown, durationSeconds: number): NonNullable<ResolvedScenario['ota']> {
  const d = SCENARIO_DEFAULTS.ota;
  const o = c.object('ota', raw, ['productLine', 'sessionsPerDay', 'monitorEvery', 'bootLimit', 'counterfactual', 'baseline', 'baselineCounterfactual', 'syncEvery', 'skipDays', 'rollouts']);
  const productLine = o.productLine === undefined ? d.productLine : c.oneOf('ota.productLine', o.productLine, OTA_LINES);
  const sessionsPerDay = o.sessionsPerDay === undefined ? d.sessionsPerDay : c.integer('ota.sessionsPerDay', o.sessionsPerDay, 1, 24);
  if (24 % sessionsPerDay !== 0) c.fail('ota.sessionsPerDay', 'a divisor of 24 (1, 2, 3, 4, 6, 8, 12 or 24): sessions are evenly spaced hours', o.sessionsPerDay);
  const monitorEverySeconds = resolveOtaDuration(c, 'ota.monitorEvery', o.monitorEvery ?? d.monitorEvery, 3600, 7 * 86_400);
  const bootLimit = o.bootLimit === undefined ? d.bootLimit : c.integer('ota.bootLimit', o.bootLimit, 1, 255);
  const baselineSeconds = resolveOtaDuration(c, 'ota.baseline', o.baseline ?? d.baseline, 0, 365 * 86_400);
  const cfList = o.baselineCounterfactual === undefined ? [] : c.array('ota.baselineCounterfactual', o.baselineCounterfactual, "baseline lengths to compare, e.g. ['0d', '7d', '60d']");
  const baselineCounterfactual = cfList.map((x, i) => resolveOtaDuration(c, `ota.baselineCounterfactual[${i}]`, x, 0, 365 * 86_400));
  const syncEverySeconds = resolveOtaDuration(c, 'ota.syncEvery', o.syncEvery ?? d.syncEvery, 3600, 7 * 86_400);
  const skipDayShare = o.skipDays === undefined ? d.skipDays : c.probability('ota.skipDays', o.skipDays);
  const list = c.array('ota.rollouts', o.rollouts, 'a non-empty array of rollouts { at?, image, policy?, stages?, gate?, expect? }');
  if (list.length === 0) c.fail('ota.rollouts', 'a non-empty array of rollouts', o.rollouts);
  const rollouts = list.map((entry, i) => {
    const path = `ota.rollouts[${i}]`;
    const r = c.object(path, entry, ['at', 'image', 'policy', 'stages', 'gate', 'expect']);
    const at = resolveOtaDuration(c, `${path}.at`, r.at ?? d.rollout.at, 0, Math.max(0, durationSeconds - 3600));
    const im = c.object(`${path}.image`, r.image, ['version', 'antiRollbackCounter', 'sizeBytes', 'behaviour']);
    const version = c.string(`${path}.image.version`, im.version, VERSION, 'a version "major.minor.patch"');
    const antiRollbackCounter = im.antiRollbackCounter === undefined ? d.image.antiRollbackCounter : c.integer(`${path}.image.antiRollbackCounter`, im.antiRollbackCounter, 0, 0xffff_ffff);
    const sizeBytes = im.sizeBytes === undefined ? d.image.sizeBytes : c.integer(`${path}.image.sizeBytes`, im.sizeBytes, 1, 16 * 1024 * 1024);
    const behaviour = resolveOtaBehaviour(c, `${path}.image.behaviour`, im.behaviour ?? d.image.behaviour);
    const policy = r.policy === undefined ? d.rollout.policy : c.oneOf(`${path}.policy`, r.policy, ['health-gate', 'transfer-success'] as const);
    const stageList = r.stages === undefined ? d.rollout.stages : c.array(`${path}.stages`, r.stages, 'an array of stages { percent?, maxDevices?, soak? }');
    if (stageList.length === 0) c.fail(`${path}.stages`, 'at least one stage', r.stages);
    let prevPercent = 0;
    const stages = stageList.map((st, k) => {
      const sp = `${path}.stages[${k}]`;
      const s = c.object(sp, st, ['percent', 'maxDevices', 'soak']);
      if (s.percent === undefined && s.maxDevices === undefined) c.fail(sp, 'a percent, a maxDevices cap, or both', st);
      const out: { percent?: number; maxDevices?: number; soakSeconds: number } = { soakSeconds: resolveOtaDuration(c, `${sp}.soak`, s.soak ?? '0h', 0, MAX_DURATION_SECONDS) };
      if (s.percent !== undefined) {
        if (typeof s.percent !== 'number' || !(s.percent > 0 && s.percent <= 100) || Math.abs(s.percent * 100 - Math.round(s.percent * 100)) > 1e-6) c.fail(`${sp}.percent`, 'a percent in (0, 100] with 0.01 resolution', s.percent);
        if (s.percent < prevPercent) c.fail(`${sp}.percent`, `at least the previous stage's ${prevPercent} (cohorts only grow)`, s.percent);
        prevPercent = s.percent;
        out.percent = s.percent;
      }
      if (s.maxDevices !== undefined) out.maxDevices = c.integer(`${sp}.maxDevices`, s.maxDevices, 1, MAX_DEVICES);
      return out;
    });
    const g = c.object(`${path}.gate`, r.gate ?? {}, ['window', 'minSample', 'minHealthRatio', 'maxFailureRate', 'failureMinSample']);
    const gate = {
      windowSeconds: resolveOtaDuration(c, `${path}.gate.window`, g.window ?? '24h', 3600, 30 * 86_400),
      minSample: g.minSample === undefined ? 50 : c.integer(`${path}.gate.minSample`, g.minSample, 1, MAX_DEVICES),
      minHealthRatio: g.minHealthRatio === undefined ? 0.8 : c.probability(`${path}.gate.minHealthRatio`, g.minHealthRatio),
      maxFailureRate: g.maxFailureRate === undefined ? 0.05 : c.probability(`${path}.gate.maxFailureRate`, g.maxFailureRate),
      failureMinSample: g.failureMinSample === undefined ? 20 : c.integer(`${path}.gate.failureMinSample`, g.failureMinSample, 1, MAX_DEVICES),
    };
    const e = c.object(`${path}.expect`, r.expect ?? {}, ['state', 'haltStage', 'haltReason', 'maxOffers']);
    const expect: { state?: 'active' | 'halted' | 'completed'; haltStage?: number; haltReason?: string; maxOffers?: number } = {};
    if (e.state !== undefined) expect.state = c.oneOf(`${path}.expect.state`, e.state, ['active', 'halted', 'completed'] as const);
    if (e.haltStage !== undefined) expect.haltStage = c.integer(`${path}.expect.haltStage`, e.haltStage, 0, stages.length - 1);
    if (e.haltReason !== undefined) expect.haltReason = c.oneOf(`${path}.expect.haltReason`, e.haltReason, ['health-gate', 'failure-threshold'] as const);
    if (e.maxOffers !== undefined) expect.maxOffers = c.integer(`${path}.expect.maxOffers`, e.maxOffers, 0, MAX_DEVICES);
    return { at, image: { version, antiRollbackCounter, sizeBytes, behaviour }, policy, stages, gate, expect };
  });
  const quiet = rollouts.some((r) => r.image.behaviour.kind === 'quiet-death' || (r.image.behaviour.kind === 'head-fault' && r.image.behaviour.effect === 'quiet'));
  const counterfactual = o.counterfactual === undefined ? quiet : c.boolean('ota.counterfactual', o.counterfactual);
  return { productLine, sessionsPerDay, monitorEverySeconds, bootLimit, counterfactual, baselineSeconds, baselineCounterfactual, syncEverySeconds, skipDayShare, rollouts };
}

function resolveOtaBehaviour(c: Check, path: string, raw: unknown): { kind: string; [k: string]: unknown } {
  const kind = c.oneOf(`${path}.kind`, (raw as { kind?: unknown } | null)?.kind, OTA_BEHAVIOURS);
  const fields: Record<string, readonly string[]> = {
    good: ['kind'],
    'corrupt-transfer': ['kind', 'chunk', 'probability'],
    'boot-loop': ['kind', 'probability'],
    'quiet-death': ['kind', 'hoursAfterFirstCharge', 'batteryBelowPct', 'hoursAfterBoot', 'affectedShare'],
    'head-fault': ['kind', 'headType', 'effect'],
  };
  const b = c.object(path, raw, fields[kind]!);
  const out: { kind: string; [k: string]: unknown } = { kind };
  if (b.probability !== undefined) out.probability = c.probability(`${path}.probability`, b.probability);
  if (b.affectedShare !== undefined) out.affectedShare = c.probability(`${path}.affectedShare`, b.affectedShare);
  if (b.chunk !== undefined) out.chunk = c.integer(`${path}.chunk`, b.chunk, 0, 4096);
  for (const k of ['hoursAfterFirstCharge', 'hoursAfterBoot'] as const) if (b[k] !== undefined) out[k] = c.integer(`${path}.${k}`, b[k], 0, 24 * 365);
  if (b.batteryBelowPct !== undefined) out.batteryBelowPct = c.integer(`${path}.batteryBelowPct`, b.batteryBelowPct, 1, 100);
  if (kind === 'quiet-death' && out.hoursAfterFirstCharge === undefined && out.hoursAfterBoot === undefined && out.batteryBelowPct === undefined) {
    c.fail(path, 'a quiet-death condition: hoursAfterBoot, hoursAfterFirstCharge or batteryBelowPct', raw);
  }
  if (kind === 'head-fault') {
    out.headType = c.oneOf(`${path}.headType`, b.headType, HEAD_TYPE_NAMES);
    out.effect = c.oneOf(`${path}.effect`, b.effect, ['quiet', 'boot-loop'] as const);
  }
  return out;
}

function resolveFleet(c: Check, raw: unknown): ResolvedScenario['fleet'] {
  const f = c.object('fleet', raw ?? {}, ['devices', 'mix']);
  const devices = f.devices === undefined ? SCENARIO_DEFAULTS.fleet.devices : c.integer('fleet.devices', f.devices, 1, MAX_DEVICES);
  if (f.mix === undefined || f.mix === 'households') return { devices, mix: SCENARIO_DEFAULTS.fleet.mix };
  const expected = `"households" or shares per product line, e.g. { adultBrush: 0.6, kidsBrush: 0.3, interdental: 0.1 }`;
  if (typeof f.mix === 'string') c.fail('fleet.mix', expected, f.mix);
  const m = c.object('fleet.mix', f.mix, MIX_LINES, expected);
  const shares = MIX_LINES.map((line) => {
    const v = m[line] ?? 0;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) c.fail(`fleet.mix.${line}`, 'a share ≥ 0 (shares are normalized; a line left out has no devices)', v);
    return v;
  });
  const sum = shares[0]! + shares[1]! + shares[2]!;
  if (sum <= 0) c.fail('fleet.mix', 'shares with a positive sum', f.mix);
  const share = (i: number) => Math.round((shares[i]! / sum) * 1e12) / 1e12; // no floating dust: normalizing twice changes nothing
  const mix: ProductMix = { adultBrush: share(0), kidsBrush: share(1), interdental: share(2) };
  const h = FLEET_DEFAULTS.household;
  const { error, reached } = solveMix(mix, h, h);
  if (error > MIX_TOLERANCE) {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    c.fail(
      'fleet.mix',
      'a mix the simulated households can own',
      f.mix,
      `the closest reachable is adultBrush ${pct(reached.adultBrush)}, kidsBrush ${pct(reached.kidsBrush)}, interdental ${pct(reached.interdental)} (a household owning nothing else gets an adult brush, so adult brushes cannot be rare)`,
    );
  }
  return { devices, mix };
}

function resolveBehaviour(c: Check, raw: unknown): Behaviour {
  const defaults = SCENARIO_DEFAULTS.behaviour;
  const out: Behaviour = { ...defaults };
  const b = c.part(() => c.object('behaviour', raw ?? {}, Object.keys(defaults)));
  if (!b) return out;
  const set = <K extends keyof Behaviour>(k: K, check: (field: string, value: unknown) => Behaviour[K]) => {
    if (b[k] === undefined) return;
    const v = c.part(() => check(`behaviour.${k}`, b[k]));
    if (v !== undefined) out[k] = v;
  };
  for (const k of PROBABILITIES) set(k, (f, v) => c.probability(f, v));
  set('reorder', (f, v) => c.boolean(f, v));
  set('clockOffsetS', (f, v) => c.integer(f, v, 0, 86_400));
  set('clockDriftPpm', (f, v) => c.integer(f, v, 0, 1000));
  set('ringSize', (f, v) => c.integer(f, v, 1, 32));
  set('timeEdges', (f, v) => c.integer(f, v, 0, 100_000));
  set('hostileRecords', (f, v) => c.integer(f, v, 0, 100_000));
  return out;
}

function resolveAt(c: Check, field: string, raw: unknown, durationSeconds: number): number {
  let at: number | undefined;
  const expected = `${DURATION_EXPECTED.replace(/^a duration/, 'an offset from the start')}, or { day, hour, minute? } with day 1 the first day`;
  if (typeof raw === 'string') at = parseDuration(raw);
  else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = c.object(field, raw, ['day', 'hour', 'minute'], expected);
    const day = c.integer(`${field}.day`, o.day, 1, 366);
    const hour = c.integer(`${field}.hour`, o.hour, 0, 23);
    const minute = o.minute === undefined ? 0 : c.integer(`${field}.minute`, o.minute, 0, 59);
    at = dayTimeSeconds({ day, hour, minute });
  }
  if (at === undefined) c.fail(field, expected, raw);
  if (at >= durationSeconds) c.fail(field, `a time before the end of the scenario (duration ${formatDuration(durationSeconds)})`, raw);
  return at;
}

function resolveFaults(c: Check, raw: unknown, durationSeconds: number): ResolvedFault[] {
  if (raw === undefined) return [];
  const list = c.part(() => c.array('faults', raw, 'an array of { at, fault, probability?, duration?, count?, params? }'));
  if (!list) return [];
  const d = SCENARIO_DEFAULTS.fault;
  const entry = (entry: unknown, index: number) => c.part((): ResolvedFault => {
    const path = `faults[${index}]`;
    const f = c.object(path, entry, ['at', 'fault', 'probability', 'duration', 'count', 'params']);
    const fault = c.oneOf(`${path}.fault`, f.fault, FAULT_KINDS);
    const at = resolveAt(c, `${path}.at`, f.at, durationSeconds);
    const probability = f.probability === undefined ? d.probability : c.probability(`${path}.probability`, f.probability);
    const restart = POINT_FAULTS.includes(fault);
    if (restart && f.duration !== undefined) c.fail(`${path}.duration`, `absent: ${fault} happens once, at "at"`, f.duration);
    if (restart && f.count !== undefined) c.fail(`${path}.count`, `absent: ${fault} happens once (use several timeline entries for several restarts)`, f.count);
    let windowSeconds = 0;
    if (!restart) {
      const text = f.duration ?? d.duration;
      const parsed = parseDuration(text);
      if (parsed === undefined || parsed < 1) c.fail(`${path}.duration`, `the window length: ${DURATION_EXPECTED}, at least "1s"`, text);
      windowSeconds = Math.min(parsed, durationSeconds - at);
    }
    const count = f.count === undefined || restart ? d.count : c.integer(`${path}.count`, f.count, 1, 1_000_000_000);
    const params = resolveParams(c, `${path}.params`, fault, f.params);
    return { index, fault, at, probability, durationSeconds: windowSeconds, count, params };
  });
  const out = list.map(entry).filter((f) => f !== undefined);
  // Windows of one proxy fault may not overlap: the proxy holds one setting per fault.
  for (const a of out) {
    for (const b of out) {
      if (b.index <= a.index || a.fault !== b.fault || a.durationSeconds === 0) continue;
      if (a.at < b.at + b.durationSeconds && b.at < a.at + a.durationSeconds) {
        c.part(() => c.fail(
          `faults[${b.index}].at`,
          `a time outside the ${a.fault} window of faults[${a.index}] (${formatDuration(a.at)} to ${formatDuration(a.at + a.durationSeconds)}); windows of one fault must not overlap`,
          (list[b.index] as Record<string, unknown>).at,
        ));
      }
    }
  }
  return out;
}

function resolveParams(c: Check, path: string, fault: FaultKind, raw: unknown): ResolvedFault['params'] {
  const allowed = PARAMS_BY_FAULT[fault];
  if (raw === undefined) raw = {};
  if (allowed.length === 0 && typeof raw === 'object' && raw !== null && Object.keys(raw).length > 0) {
    c.fail(path, `absent: ${fault} takes no params`, raw);
  }
  const p = c.object(path, raw, allowed, `an object with fields ${allowed.join(', ')}`);
  const out: { method?: string; pathPrefix?: string; ms?: number; jitterMs?: number; status?: number; mode?: 'immediate' | 'sigkill' } = {};
  if (p.method !== undefined) out.method = c.string(`${path}.method`, p.method, /^[A-Z]+$/, 'an HTTP method in capitals, e.g. "POST"');
  if (p.pathPrefix !== undefined) out.pathPrefix = c.string(`${path}.pathPrefix`, p.pathPrefix, /^\/\S*$/, 'a request path prefix starting with "/", e.g. "/v2/uploads"');
  if (fault === 'kill-postgres') out.mode = p.mode === undefined ? 'immediate' : c.oneOf(`${path}.mode`, p.mode, ['immediate', 'sigkill'] as const);
  if (fault === 'latency' || fault === 'db-latency') {
    out.ms = p.ms === undefined ? SCENARIO_DEFAULTS.fault.latency.ms : c.integer(`${path}.ms`, p.ms, 0, 60_000);
    out.jitterMs = p.jitterMs === undefined ? SCENARIO_DEFAULTS.fault.latency.jitterMs : c.integer(`${path}.jitterMs`, p.jitterMs, 0, 60_000);
  }
  if (fault === 'http-5xx') out.status = p.status === undefined ? SCENARIO_DEFAULTS.fault['http-5xx'].status : c.integer(`${path}.status`, p.status, 500, 599);
  return out;
}

function resolveInvariants(c: Check, raw: unknown): InvariantId[] {
  if (raw === undefined || raw === SCENARIO_DEFAULTS.invariants) return [...RUN_INVARIANTS];
  const expected = `"all" or a list of invariant ids (${INVARIANT_IDS.join(', ')})`;
  if (!Array.isArray(raw)) {
    c.fail('invariants', expected, raw, typeof raw === 'string' ? didYouMean(raw, ['all']).trim().replace(/^\(|\)$/g, '') || undefined : undefined);
  }
  if (raw.length === 0) c.fail('invariants', `${expected}, not empty`, raw);
  const seen = new Set<string>();
  return raw.map((id, i) => {
    const v = c.oneOf(`invariants[${i}]`, id, INVARIANT_IDS);
    if (seen.has(v)) c.fail(`invariants[${i}]`, 'an id not listed before', id);
    seen.add(v);
    return v;
  });
}

function resolveThresholds(c: Check, raw: unknown): Record<string, string[]> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    c.part(() => c.fail('thresholds', `an object of metric name → list of expressions, e.g. { http_req_duration: ['p(99)<250'] }`, raw));
    return {};
  }
  const out: Record<string, string[]> = {};
  for (const [metric, list] of Object.entries(raw)) c.part(() => {
    const path = `thresholds.${metric}`;
    const nameProblem = checkMetricName(metric);
    if (nameProblem) c.fail(`thresholds[${JSON.stringify(metric)}]`, nameProblem, metric);
    const exprs = typeof list === 'string' ? c.fail(path, `a list of expressions: [${JSON.stringify(list)}]`, list) : c.array(path, list, `a list of expressions, e.g. ['p(99)<250']`);
    if (exprs.length === 0) c.fail(path, 'a non-empty list of expressions', list);
    out[metric] = exprs.map((e, i) => {
      if (typeof e !== 'string') c.fail(`${path}[${i}]`, THRESHOLD_FORM, e);
      try {
        parseThreshold(e);
      } catch (err) {
        if (err instanceof ThresholdError) c.fail(`${path}[${i}]`, 'a k6 threshold expression', e, err.reason);
        throw err;
      }
      return e;
    });
  });
  return out;
}

function resolveEnv(c: Check, raw: unknown): EnvHints {
  const e = c.object('env', raw ?? {}, ['provider', 'apiWorkers', 'apiEnv', 'harnessWorkers']);
  const out: EnvHints = {};
  if (e.provider !== undefined) out.provider = c.oneOf('env.provider', e.provider, ['embedded', 'url', 'containers'] as const);
  if (e.apiWorkers !== undefined) out.apiWorkers = c.integer('env.apiWorkers', e.apiWorkers, 1, 256);
  if (e.harnessWorkers !== undefined) out.harnessWorkers = c.integer('env.harnessWorkers', e.harnessWorkers, 1, 10_000);
  if (e.apiEnv !== undefined) {
    if (typeof e.apiEnv !== 'object' || e.apiEnv === null || Array.isArray(e.apiEnv)) c.fail('env.apiEnv', 'an object of environment variable name → string value', e.apiEnv);
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.apiEnv)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) c.fail(`env.apiEnv[${JSON.stringify(k)}]`, 'an environment variable name (letters, digits, _)', k);
      if (typeof v !== 'string') c.fail(`env.apiEnv.${k}`, 'a string', v);
      vars[k] = v;
    }
    out.apiEnv = vars;
  }
  return out;
}
