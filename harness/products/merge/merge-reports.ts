import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_SCHEMA_VERSION, type InvariantResult, type RunReport, type ScenarioResult, type ThresholdResult, type TimelinePoint } from '../../../reports/types.ts';
import { mergeLedgerParts, type LedgerPart } from '../../../simulators/ledger.ts';
import { runDigest } from '../../core/run-digest.ts';
import { MergeError } from './errors.ts';
import { readLedgerParts } from './ledger-parts.ts';

/** One shard's report directory as read: its summary.json and its ledger parts by scenario name. */
export interface ShardInput {
  dir: string;
  report: RunReport;
  parts: Map<string, LedgerPart>;
}

const MAX_WITNESSES = 20;

/** Read a shard's report directory (summary.json, ledger/*.part); a MergeError names what is missing. */
export function readShard(dir: string): ShardInput {
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${dir} has no summary.json: give the --report-dir of a \`fleetbed run --shard i/N\` or \`fleetbed load --shard i/N\`.`);
  let report: RunReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
  } catch (err) {
    throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${file} is not JSON (${(err as Error).message}).`);
  }
  if (report.schemaVersion !== REPORT_SCHEMA_VERSION) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${file} has report schema ${report.schemaVersion}, this fleetbed writes ${REPORT_SCHEMA_VERSION}: merge with the version that ran the shards.`);
  if (!report.shard || report.shard.index === undefined) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${file} is not a shard's report (no "shard" with an index): it was run without --shard, or it is a merged report already.`);
  return { dir, report, parts: readLedgerParts(dir) };
}

/** What wrote a shard's report: `fleetbed load --shard` (its one scenario carries `metrics.load`) or `fleetbed run --shard`. */
export function shardKind(s: ShardInput): 'run' | 'load' {
  const r = s.report;
  return r.scenarios.length === 1 && typeof r.scenarios[0]!.metrics.load === 'object' && r.scenarios[0]!.metrics.load !== null ? 'load' : 'run';
}

/** Refuse shard directories of different commands (run and load): they are not the shards of one run. */
export function checkOneKind(shards: readonly ShardInput[]): void {
  const load = shards.find((s) => shardKind(s) === 'load');
  const run = shards.find((s) => shardKind(s) === 'run');
  if (load && run) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${load.dir} is a load shard's report (fleetbed load --shard) and ${run.dir} a run shard's (fleetbed run --shard): merge the shards of one command, one run. Nothing was written.`);
}

/**
 * Add the reports of the n shards of one run into the report a single process would have
 * written: per scenario, the ledger parts are merged into the whole fleet's books (digest,
 * totals), invariant verdicts hold only if they hold on every shard (checked and violations
 * add up, witnesses are pooled), thresholds likewise; the run's digest and verdict follow.
 * Latency percentiles cannot be added: the merged ones are the highest of the shards'
 * (an upper bound) and say so in `metrics.latencyMerge`.
 */
export function mergeShardReports(shards: readonly ShardInput[], command: string): RunReport {
  if (shards.length === 0) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', 'no shard directories given.');
  checkOneKind(shards);
  const load = shards.find((s) => shardKind(s) === 'load');
  if (load) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${load.dir} is a load shard's report: merge load shards with mergeLoadShardReports (fleetbed merge picks it).`);
  const count = shards[0]!.report.shard!.count;
  const byIndex = new Map<number, ShardInput>();
  for (const s of shards) {
    const sh = s.report.shard!;
    if (sh.count !== count) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${s.dir} is shard ${sh.index}/${sh.count}, ${shards[0]!.dir} is of ${count} shards: merge the shards of one run.`);
    const seen = byIndex.get(sh.index!);
    if (seen) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `shard ${sh.index}/${count} is given twice (${seen.dir} and ${s.dir}).`);
    byIndex.set(sh.index!, s);
    if (s.report.commit !== shards[0]!.report.commit) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${s.dir} ran commit ${s.report.commit}, ${shards[0]!.dir} commit ${shards[0]!.report.commit}: shards of one run must run the same code.`);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merge needs every shard of the run.`);
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i + 1)!);
  const first = ordered[0]!.report;

  const scenarios: ScenarioResult[] = first.scenarios.map((lead) => {
    if (!lead.shard) return { ...lead }; // ran whole on shard 1 (an OTA scenario)
    const results = ordered.map((s) => {
      const r = s.report.scenarios.find((x) => x.name === lead.name);
      if (!r) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${s.dir} has no result for scenario ${lead.name}: every shard must run the same scenarios.`);
      if (r.seed !== lead.seed || r.devices !== lead.devices || r.simulatedSeconds !== lead.simulatedSeconds) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `scenario ${lead.name} ran with seed ${r.seed}, ${r.devices} devices, ${r.simulatedSeconds} s in ${s.dir} but seed ${lead.seed}, ${lead.devices} devices, ${lead.simulatedSeconds} s in ${ordered[0]!.dir}: shards of one run share seed, size and duration.`);
      return r;
    });
    return mergeScenario(lead, results, ordered.map((s) => s.parts.get(lead.name)));
  });
  for (const s of ordered.slice(1)) {
    const extra = s.report.scenarios.find((x) => !first.scenarios.some((y) => y.name === x.name));
    if (extra) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${s.dir} ran scenario ${extra.name}, which shard 1/${count} did not: every shard must run the same scenarios.`);
  }
  const starts = ordered.map((s) => s.report.startedAt).sort();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: first.tool,
    runId: `${first.runId}-merged`,
    command,
    seed: first.seed,
    commit: first.commit,
    ledgerDigest: runDigest(scenarios.map((s) => s.ledgerDigest)),
    verdict: scenarios.length > 0 && scenarios.every((s) => s.verdict === 'pass') ? 'pass' : 'fail',
    startedAt: starts[0]!,
    wallSeconds: Math.max(...ordered.map((s) => s.report.wallSeconds)),
    environment: first.environment,
    scenarios,
    shard: { count },
  };
}

function mergeScenario(lead: ScenarioResult, results: ScenarioResult[], parts: Array<LedgerPart | undefined>): ScenarioResult {
  const errors = results.flatMap((r, i) => (r.error ? [`shard ${i + 1}: ${r.error}`] : []));
  const absent = parts.flatMap((p, i) => (p ? [] : [i + 1]));
  if (absent.length > 0 && errors.length === 0) errors.push(`no ledger part from shard${absent.length > 1 ? 's' : ''} ${absent.join(', ')} (ledger/${lead.name}.part): its books cannot be added`);
  let ledgerDigest = 'incomplete';
  let totals: ReturnType<typeof mergeLedgerParts>['totals'] | undefined;
  if (absent.length === 0) {
    try {
      const merged = mergeLedgerParts(parts as LedgerPart[]);
      ledgerDigest = merged.digest;
      totals = merged.totals;
    } catch (err) {
      throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `scenario ${lead.name}: ${(err as Error).message}.`);
    }
  }
  const invariants = lead.invariants.map((inv) => mergeInvariant(inv.id, results.map((r) => r.invariants.find((x) => x.id === inv.id))));
  const thresholds = lead.thresholds.map((th) => mergeThreshold(th, results.map((r) => r.thresholds.find((x) => x.metric === th.metric && x.expression === th.expression))));
  const lat = results.map((r) => r.metrics.latencyMs);
  const metrics: ScenarioResult['metrics'] = {
    ...lead.metrics,
    uploads: sum(results.map((r) => r.metrics.uploads)),
    recordsProduced: totals?.produced ?? sum(results.map((r) => r.metrics.recordsProduced)),
    recordsStored: totals?.stored ?? sum(results.map((r) => r.metrics.recordsStored)),
    duplicates: totals?.duplicateVerdicts ?? sum(results.map((r) => r.metrics.duplicates)),
    late: totals?.lateCopies ?? sum(results.map((r) => r.metrics.late)),
    rejected: totals?.rejected ?? sum(results.map((r) => r.metrics.rejected)),
    lostAtDevice: totals?.lostAtDevice ?? sum(results.map((r) => r.metrics.lostAtDevice)),
    latencyMs: { p50: max(lat.map((l) => l.p50)), p90: max(lat.map((l) => l.p90)), p99: max(lat.map((l) => l.p99)), max: max(lat.map((l) => l.max)), count: sum(lat.map((l) => l.count)) },
    latencyMerge: 'p50/p90/p99 are the highest of the shards\' (an upper bound: percentiles do not add); max and count are exact',
    ...(totals ? { rejectionsByCode: totals.rejectionsByCode, replays: totals.replays } : {}),
    shards: results.map((r, i) => ({ shard: i + 1, verdict: r.verdict, wallSeconds: r.wallSeconds, uploads: r.metrics.uploads, ledgerDigest: r.ledgerDigest })),
  };
  const failed = errors.length > 0 || results.some((r) => r.verdict === 'fail') || invariants.some((i) => i.verdict === 'fail') || thresholds.some((t) => t.verdict === 'fail');
  return {
    name: lead.name,
    description: lead.description,
    file: lead.file,
    verdict: failed ? 'fail' : 'pass',
    seed: lead.seed,
    devices: lead.devices,
    simulatedSeconds: lead.simulatedSeconds,
    wallSeconds: max(results.map((r) => r.wallSeconds)),
    ledgerDigest,
    // Without --shard the same line replays the whole fleet, in one process, to the same digest.
    replay: lead.replay.replace(/ --shard \d+\/\d+/, ''),
    invariants,
    thresholds,
    metrics,
    timeline: mergeTimeline(results.map((r) => r.timeline)),
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    ...(lead.fixture ? { fixture: lead.fixture } : {}),
  };
}

/** One invariant over every shard: fails if any shard failed it or has no verdict for it, passes if any passed, else skips; counts add, witnesses pooled. */
export function mergeInvariant(id: string, all: Array<InvariantResult | undefined>): InvariantResult {
  const found = all.filter((x): x is InvariantResult => x !== undefined);
  const lead = found[0]!;
  const missing = all.length - found.length;
  const verdict = missing > 0 || found.some((x) => x.verdict === 'fail') ? 'fail' : found.some((x) => x.verdict === 'pass') ? 'pass' : 'skip';
  const witnesses = found.flatMap((x) => x.witnesses).slice(0, MAX_WITNESSES);
  if (missing > 0) witnesses.unshift({ expected: `${id} judged on every shard`, found: `${missing} shard(s) have no verdict for it` });
  return {
    id,
    title: lead.title,
    verdict,
    checked: sum(found.map((x) => x.checked)),
    violations: sum(found.map((x) => x.violations)) + missing,
    witnesses,
    ...(verdict === 'skip' && lead.skipReason ? { skipReason: lead.skipReason } : {}),
  };
}

/** One threshold over every shard: fails if any shard failed it (or lacks it), with that shard's actual value. */
export function mergeThreshold(lead: ThresholdResult, all: Array<ThresholdResult | undefined>): ThresholdResult {
  const failing = all.find((x) => !x || x.verdict === 'fail');
  return { metric: lead.metric, expression: lead.expression, verdict: failing ? 'fail' : 'pass', actual: (failing ?? lead).actual ?? lead.actual };
}

function mergeTimeline(all: TimelinePoint[][]): TimelinePoint[] {
  const byT = new Map<number, TimelinePoint>();
  for (const points of all) {
    for (const p of points) {
      const m = byT.get(p.t);
      if (!m) byT.set(p.t, { ...p });
      else {
        m.uploads += p.uploads;
        m.recordsStored += p.recordsStored;
        m.duplicates += p.duplicates;
        m.late += p.late;
        m.rejected += p.rejected;
        m.p99Ms = Math.max(m.p99Ms, p.p99Ms);
      }
    }
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const max = (xs: number[]) => (xs.length === 0 ? 0 : Math.max(...xs));
