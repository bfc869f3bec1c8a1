import { createHash } from 'node:crypto';
import { DIVERGENCE_KINDS, type DivergenceKind, type MigrationState } from '../../../contract/legacy/dialect.ts';
import type { InvariantResult, ScenarioMetrics, ScenarioResult, ThresholdResult, TimelinePoint } from '../../../reports/types.ts';
import { resolveEnvironment } from '../../core/env/index.ts';
import type { StartedEnvironment } from '../../core/env/types.ts';
import type { ProgressOptions } from '../../core/fleet/progress.ts';
import { LEGACY_CHECKERS } from '../../core/checkers/checkers.ts';
import { checkLegacyPrivacy } from '../../core/checkers/priv-1-legacy-ids.ts';
import { withDatabase } from '../../core/checkers/_internals/db.ts';
import { readLegacyStores, type LegacyStores } from '../../core/checkers/_internals/legacy-stores.ts';
import { skipped } from '../../core/checkers/types.ts';
import { runLegacyEngine } from '../../core/legacy/engine.ts';
import type { LegacyRunRecord } from '../../core/legacy/types.ts';
import { INVARIANTS } from '../../core/scenario/invariants.ts';
import type { MigrationOrder, ResolvedScenario } from '../../core/scenario/types.ts';
import { emptyMetrics, runWithResult, type ScenarioRunParts } from './scenario-result.ts';

/** How to run a legacy scenario (the plain runner's options, plus how to start the counterfactual's environment). */
export interface RunLegacyScenarioOptions {
  environment: StartedEnvironment;
  /** Starts a fresh environment for the counterfactual order. Default: a fresh embedded one when `environment` is embedded; none otherwise. */
  startEnvironment?: () => Promise<StartedEnvironment>;
  replayFlags?: string[];
  progress?: ProgressOptions;
  log?: (line: string) => void;
}

/** One line of a legacy run, as `metrics.legacy.lines[]` reports it. */
export interface LegacyLineMetrics {
  line: string;
  migrating: boolean;
  /** Its position in the migration queue (1 first), or null for a line that does not migrate. */
  queuePosition: number | null;
  state: MigrationState;
  /** Drift events deployed to its old API while it was legacy-only (folded into its first mapping), and after dual-write began (reconciliation must surface them). */
  driftBeforeMigration: number;
  driftAfterMigration: number;
  /** Divergent rows reported over every night, by kind. */
  divergences: Record<DivergenceKind, number>;
  dirtyNights: number;
  /** Mapping updates the platform accepted after dual-write began. */
  mappingChanges: number;
  /** Days (1-based) of dual-write on which the first dual-write began / reads cut over, or null. */
  dualWriteDay: number | null;
  cutOverDay: number | null;
  /** The day of its dual-write on which reads cut over (31 for a clean line under a 30-night gate), or null. */
  nightsToCutover: number | null;
  /** Cutover requests the gate refused. */
  refusedCutovers: number;
}

/**
 * Run a legacy scenario: the legacy engine (harness/core/legacy) against
 * `environment`, both stores read after it (when the platform's database is
 * reachable), the LEG checkers over what it recorded, each line's `expect` as
 * `legacy_outcome` thresholds, and — with `legacy.migration.counterfactual` —
 * the same seed in the other order in a second, fresh environment. Per-line
 * metrics of both orders go to `metrics.legacy`; the verdict is the primary
 * run's. Never throws.
 */
export async function runLegacyScenario(scenario: ResolvedScenario, options: RunLegacyScenarioOptions): Promise<{ result: ScenarioResult; record?: LegacyRunRecord }> {
  const log = options.log ?? (() => {});
  const env = options.environment;
  const run = async (): Promise<{ parts: ScenarioRunParts; extra: LegacyRunRecord }> => {
    const record = await runLegacyEngine(scenario, { environment: env, ...(options.progress ? { progress: options.progress } : {}), log });
    const stores = env.databaseUrl ? await withDatabase(env.databaseUrl, (client) => readLegacyStores(client, scenario.legacy!.lines)) : null;
    const invariants = await checkLegacyInvariants(scenario, record, stores, env.databaseUrl);
    const thresholds = [...expectations(record), ...deprecationChecks(record)];
    const legacy: Record<string, unknown> = { ...summarize(record) };
    const orders: Record<string, LegacyLineMetrics[]> = { [record.order]: lineMetrics(record) };
    const cfOrder = scenario.legacy!.migration.counterfactual;
    if (cfOrder) {
      const cf = await runCounterfactual(scenario, cfOrder, options, log);
      if (typeof cf === 'string') legacy.counterfactualSkipped = cf;
      else {
        orders[cf.order] = lineMetrics(cf);
        legacy.counterfactual = summarize(cf);
      }
    }
    legacy.orders = orders;
    const t = record.totals;
    const metrics: ScenarioMetrics = {
      ...emptyMetrics(),
      uploads: t.uploads,
      recordsProduced: t.records,
      recordsStored: t.stored,
      duplicates: t.duplicates,
      rejected: t.refused,
      phases: record.phases,
      legacy,
    };
    return { extra: record, parts: { ledgerDigest: digest(record), invariants, thresholds, metrics, timeline: timeline(record) } };
  };
  const { result, extra: record } = await runWithResult(scenario, { simulatedSeconds: Math.max(1, Math.ceil(scenario.durationSeconds / 86_400)) * 86_400, replayFlags: options.replayFlags, run });
  return record ? { record, result } : { result };
}

/** The LEG checkers over the record and PRIV-1 over the platform's database, in the scenario's order; a checker that throws fails its invariant with the error as the witness. */
async function checkLegacyInvariants(scenario: ResolvedScenario, record: LegacyRunRecord, stores: LegacyStores | null, databaseUrl: string | undefined): Promise<InvariantResult[]> {
  const out: InvariantResult[] = [];
  for (const id of scenario.invariants) {
    if (id !== 'PRIV-1') {
      out.push(checkOne(id, record, stores));
      continue;
    }
    try {
      out.push(await checkLegacyPrivacy(record, databaseUrl));
    } catch (error) {
      out.push({ id, title: INVARIANTS[id], verdict: 'fail', checked: 0, violations: 1, witnesses: [{ expected: 'the check runs to completion', found: `the checker failed: ${(error as Error).message.slice(0, 500)}` }] });
    }
  }
  return out;
}

function checkOne(id: ResolvedScenario['invariants'][number], record: LegacyRunRecord, stores: LegacyStores | null): InvariantResult {
  const check = LEGACY_CHECKERS[id];
  if (!check) return skipped(id, INVARIANTS[id], 'a legacy scenario checks the legacy invariants and PRIV-1 only');
  try {
    return check(record, stores);
  } catch (error) {
    return { id, title: INVARIANTS[id], verdict: 'fail' as const, checked: 0, violations: 1, witnesses: [{ expected: 'the check runs to completion', found: `the checker failed: ${(error as Error).message.slice(0, 500)}` }] };
  }
}

async function runCounterfactual(scenario: ResolvedScenario, order: MigrationOrder, options: RunLegacyScenarioOptions, log: (line: string) => void): Promise<LegacyRunRecord | string> {
  const start = options.startEnvironment ?? (options.environment.kind === 'embedded' ? () => resolveEnvironment({ env: 'embedded', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' } }).start() : undefined);
  if (!start) return `the ${options.environment.kind} environment cannot start a second, fresh platform; run with --env embedded`;
  log(`legacy: counterfactual — the same seed migrating ${order}, in a fresh environment`);
  const env2 = await start();
  try {
    return await runLegacyEngine(scenario, { environment: env2, orderOverride: order, ...(options.progress ? { progress: options.progress } : {}), log: (l) => log(`[counterfactual] ${l}`) });
  } finally {
    await env2.stop();
  }
}

/** Per line: drift before and after its migration began, divergences by kind, mapping changes, the days it moved, nights to cutover. */
export function lineMetrics(r: LegacyRunRecord): LegacyLineMetrics[] {
  const last = r.nights.at(-1);
  return r.legacy.lines.map((line) => {
    const granted = (to: MigrationState) => r.transitions.find((x) => x.line === line && x.granted && x.to === to)?.day ?? null;
    const dw = granted('dual-write');
    const co = granted('reads-cut-over');
    const divergences = Object.fromEntries(DIVERGENCE_KINDS.map((k) => [k, 0])) as Record<DivergenceKind, number>;
    let dirtyNights = 0;
    for (const n of r.nights) {
      const rep = n.reports.find((x) => x.line === line);
      if (!rep || rep.clean) continue;
      dirtyNights++;
      for (const k of DIVERGENCE_KINDS) divergences[k] += rep.divergences[k] ?? 0;
    }
    const deployments = r.deployments.filter((d) => d.event.line === line);
    const q = r.queue.indexOf(line);
    return {
      line,
      migrating: q >= 0,
      queuePosition: q >= 0 ? q + 1 : null,
      state: last?.statuses.find((s) => s.line === line)?.state ?? 'legacy-only',
      driftBeforeMigration: deployments.filter((d) => d.beforeMigration).length,
      driftAfterMigration: deployments.filter((d) => !d.beforeMigration).length,
      divergences,
      dirtyNights,
      mappingChanges: r.mappings.filter((m) => m.line === line && m.reason === 'update' && m.answer !== null).length,
      dualWriteDay: dw === null ? null : dw + 1,
      cutOverDay: co === null ? null : co + 1,
      nightsToCutover: dw !== null && co !== null ? co - dw + 1 : null,
      refusedCutovers: r.transitions.filter((x) => x.line === line && x.to === 'reads-cut-over' && !x.granted).length,
    };
  });
}

function summarize(r: LegacyRunRecord) {
  return {
    order: r.order,
    queue: r.queue,
    days: r.days,
    requiredCleanNights: r.requiredCleanNights,
    v2WriteFailurePerMille: r.v2WriteFailurePerMille,
    users: r.world.users.length,
    devices: r.world.devices.length,
    hostileActions: r.totals.hostile,
    repaired: r.nights.reduce((s, n) => s + n.repair.repaired, 0),
    lines: lineMetrics(r),
    nights: r.nights.map((n) => ({ day: n.day + 1, lines: Object.fromEntries(n.reports.map((x) => [x.line, { clean: x.clean, cleanNights: x.cleanNights, divergences: x.rows.length }])) })),
    wallSeconds: r.wallSeconds,
  };
}

/** Each line's `expect` as thresholds named legacy_outcome (actual: 1 met, 0 not). */
function expectations(r: LegacyRunRecord): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  const metrics = new Map(lineMetrics(r).map((m) => [m.line, m]));
  for (const [line, e] of Object.entries(r.legacy.expect)) {
    const m = metrics.get(line)!;
    const push = (expression: string, ok: boolean) => out.push({ metric: 'legacy_outcome', expression: `${line} ${expression}`, verdict: ok ? 'pass' : 'fail', actual: ok ? 1 : 0 });
    if (e.state !== undefined) push(`state==${e.state} (was ${m.state})`, m.state === e.state);
    if (e.nightsToCutover !== undefined) push(`nightsToCutover==${e.nightsToCutover} (was ${m.nightsToCutover ?? 'never'})`, m.nightsToCutover === e.nightsToCutover);
    if (e.maxNightsToCutover !== undefined) push(`nightsToCutover<=${e.maxNightsToCutover} (was ${m.nightsToCutover ?? 'never'})`, m.nightsToCutover !== null && m.nightsToCutover <= e.maxNightsToCutover);
    if (e.minMappingChanges !== undefined) push(`mappingChanges>=${e.minMappingChanges} (was ${m.mappingChanges})`, m.mappingChanges >= e.minMappingChanges);
  }
  return out;
}

/**
 * Deprecated-but-live lines, as thresholds named legacy_deprecated_traffic
 * (actual: the count that was checked): every answer of a deprecated line
 * carried Deprecation and Sunset and no other line's did; and the platform's
 * traffic report of each line (its last night's status) counted at least every
 * request the world sent it by then — as deprecated requests where the line is
 * deprecated, none where it is not.
 */
function deprecationChecks(r: LegacyRunRecord): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  const last = r.nights.at(-1);
  for (const d of r.legacy.dialects) {
    const sent = r.uploads.filter((u) => u.line === d.line);
    if (sent.length === 0) continue;
    const push = (expression: string, ok: boolean, actual: number) =>
      out.push({ metric: 'legacy_deprecated_traffic', expression: `${d.line} ${expression}`, verdict: ok ? 'pass' : 'fail', actual });
    const headed = sent.filter((u) => u.deprecation && u.sunset).length;
    const anyHeader = sent.filter((u) => u.deprecation || u.sunset).length;
    if (d.deprecated) push(`answers with Deprecation and Sunset == ${sent.length} (was ${headed})`, headed === sent.length, headed);
    else push(`answers with Deprecation or Sunset == 0 (was ${anyHeader})`, anyHeader === 0, anyHeader);
    const status = last?.statuses.find((s) => s.line === d.line);
    if (!last || !status) continue;
    const byNight = sent.filter((u) => u.t <= last.t).length;
    const counted = status.traffic.requests;
    const deprecatedCounted = status.traffic.deprecatedRequests;
    push(`platform counted requests >= ${byNight} (was ${counted})`, counted >= byNight, counted);
    if (d.deprecated) push(`platform counted deprecated requests == requests (${deprecatedCounted} of ${counted})`, deprecatedCounted === counted, deprecatedCounted);
    else push(`platform counted deprecated requests == 0 (was ${deprecatedCounted})`, deprecatedCounted === 0, deprecatedCounted);
  }
  return out;
}

/** One point a day: uploads, rows stored, duplicates and refusals of that day. */
function timeline(r: LegacyRunRecord): TimelinePoint[] {
  const out: TimelinePoint[] = Array.from({ length: r.days }, (_, d) => ({ t: (d + 1) * 86_400, uploads: 0, recordsStored: 0, duplicates: 0, late: 0, rejected: 0, p99Ms: 0 }));
  for (const u of r.uploads) {
    const p = out[u.day];
    if (!p) continue;
    p.uploads++;
    for (const row of u.rows) {
      if (row.status === 'stored') p.recordsStored++;
      else if (row.status === 'duplicate') p.duplicates++;
      else p.rejected++;
    }
  }
  return out;
}

/** A digest of what the run did (every answer, transition and night): the same seed and code give the same value. */
function digest(r: LegacyRunRecord): string {
  // Uploads of one hour run concurrently: sorted, the lines name what happened, not which answer came first.
  const lines = r.uploads.flatMap((u) => u.rows.map((x) => `u ${u.t} ${u.kind} ${x.rowKey} ${x.status} ${x.code} ${u.http}`)).sort();
  const h = createHash('sha256');
  for (const line of lines) h.update(`${line}\n`);
  for (const x of r.transitions) h.update(`t ${x.t} ${x.line} ${x.to} ${x.granted}\n`);
  for (const n of r.nights) for (const x of n.reports) h.update(`n ${n.day} ${x.line} ${x.rowsCompared} ${x.clean} ${x.cleanNights} ${x.rows.length}\n`);
  return h.digest('hex');
}
