import { LOAD_SUMMARY_VERSION, type LoadMergeInfo, type LoadShardInfo, type LoadSummary, type LoadVerdictKind, type RouteLatency, type TableSize, type WindowPoint } from '../../../reports/load-summary.ts';
import { REPORT_SCHEMA_VERSION, type RunReport, type ScenarioResult } from '../../../reports/types.ts';
import { mergeLedgerParts, type LedgerPart, type MergedLedger } from '../../../simulators/ledger.ts';
import { MergeError } from './errors.ts';
import { checkOneKind, mergeInvariant, mergeThreshold, shardKind, type ShardInput } from './merge-reports.ts';

/** A merged load run: the run report (summary.json, junit.xml) and its load summary (`metrics.load`, report.html). */
export interface MergedLoad {
  report: RunReport;
  load: LoadSummary;
}

interface LoadShard {
  input: ShardInput;
  result: ScenarioResult;
  load: LoadSummary & { shard: LoadShardInfo };
  part: LedgerPart;
}

const NOTES: LoadMergeInfo['notes'] = {
  exact: 'target.arrivals, achieved.completed and recordsStored, couldNotStartInTime, errors (every count), routes[].count and max, database growth, and the ledger (its digest recomputed from the shards\' ledger parts) are added up exactly',
  rates: 'target.syncsPerSecond is the shards\' arrivals (which partition the plan\'s) over the plan\'s duration; achieved.syncsPerSecond and recordsPerSecond are the shards\' added',
  latency: 'routes p50/p90/p99/p99.9, syncDurationMs p50/p99, the timeline\'s p50/p99 and generator.lagP99Ms are the highest of the shards\' (an upper bound: percentiles do not add)',
  peakInFlight: 'the shards\' peaks added: an upper bound, the peaks need not coincide',
  timeline: 'added second by second from each shard\'s phase start: the shards play one schedule, so their seconds line up',
  thresholds: 'a threshold fails if it failed on any shard; each shard judged it on its own share (a count or a rate over one slice)',
};

/**
 * Add the reports of the n shards of one `fleetbed load --shard i/n` run into the report
 * one process would have written. The shards played one plan's schedule, each keeping the
 * arrivals of its own phones, so their arrivals partition the plan's: counts add up
 * exactly, the ledger parts add up to the single-process ledger (digest and totals — the
 * set of syncs and each household's order do not depend on timing), and the achieved
 * rates add. Latency percentiles cannot be added: the merged ones are the highest of the
 * shards' (an upper bound), and `merged.notes` and `metrics.latencyMerge` say so. The
 * verdict fails if any shard failed. Refuses, with `FLEETBED_MERGE_INPUT_INVALID`, run and
 * load reports mixed, a shard missing or there twice, different shard counts, plans,
 * seeds, sizes or commits, and a shard without its ledger part.
 */
export function mergeLoadShardReports(inputs: readonly ShardInput[], command: string): MergedLoad {
  if (inputs.length === 0) throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', 'no shard directories given.');
  checkOneKind(inputs);
  const shards = inputs.map(readLoadShard);
  const lead0 = shards[0]!;
  const count = lead0.load.shard.count;
  const byIndex = new Map<number, LoadShard>();
  for (const s of shards) {
    const sh = s.load.shard;
    if (sh.count !== count) throw refuse(`${s.input.dir} is shard ${sh.index}/${sh.count}, ${lead0.input.dir} is of ${count} shards: merge the shards of one load run.`);
    const seen = byIndex.get(sh.index);
    if (seen) throw refuse(`shard ${sh.index}/${count} is given twice (${seen.input.dir} and ${s.input.dir}).`);
    byIndex.set(sh.index, s);
    if (s.input.report.commit !== lead0.input.report.commit) throw refuse(`${s.input.dir} ran commit ${s.input.report.commit}, ${lead0.input.dir} commit ${lead0.input.report.commit}: shards of one load run must run the same code.`);
    const [a, b] = [s.load.plan, lead0.load.plan];
    if (a.name !== b.name || a.seed !== b.seed || a.devices !== b.devices || sh.planDigest !== lead0.load.shard.planDigest) {
      throw refuse(`${s.input.dir} played plan ${a.name} (seed ${a.seed}, ${a.devices} devices, plan digest ${sh.planDigest.slice(0, 12)}) but ${lead0.input.dir} played ${b.name} (seed ${b.seed}, ${b.devices} devices, plan digest ${lead0.load.shard.planDigest.slice(0, 12)}): shards of one load run play the same plan, seed and size.`);
    }
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw refuse(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merge needs every shard of the load run.`);
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i + 1)!);
  const lead = ordered[0]!;
  const planArrivals = lead.load.shard.planArrivals;
  const arrivals = sum(ordered.map((s) => s.load.shard.arrivals));
  if (arrivals !== planArrivals) throw refuse(`the shards' arrivals add up to ${arrivals}, the plan has ${planArrivals}: these shards were not cut from the same schedule.`);

  let books: MergedLedger;
  try {
    books = mergeLedgerParts(ordered.map((s) => s.part));
  } catch (err) {
    throw refuse(`load plan ${lead.load.plan.name}: ${(err as Error).message}.`);
  }
  const load = mergeSummaries(ordered.map((s) => s.load), books, arrivals);
  const results = ordered.map((s) => s.result);
  const invariants = lead.result.invariants.map((inv) => mergeInvariant(inv.id, results.map((r) => r.invariants.find((x) => x.id === inv.id))));
  const thresholds = lead.result.thresholds.map((th) => mergeThreshold(th, results.map((r) => r.thresholds.find((x) => x.metric === th.metric && x.expression === th.expression))));
  const upload = load.routes.find((r) => r.route === 'POST /v2/uploads') ?? { p50: 0, p90: 0, p99: 0, max: 0, count: 0 };
  const failed = results.some((r) => r.verdict === 'fail') || invariants.some((i) => i.verdict === 'fail') || thresholds.some((t) => t.verdict === 'fail') || !load.ledger.ok;
  const t = books.totals;
  const scenario: ScenarioResult = {
    name: lead.result.name,
    description: lead.result.description,
    file: lead.result.file,
    verdict: failed ? 'fail' : 'pass',
    seed: lead.result.seed,
    devices: lead.result.devices,
    simulatedSeconds: max(results.map((r) => r.simulatedSeconds)),
    wallSeconds: max(results.map((r) => r.wallSeconds)),
    ledgerDigest: books.digest,
    // Without --shard the same line plays the whole plan in one process, to the same ledger digest.
    replay: lead.result.replay.replace(/ --shard \d+\/\d+/, ''),
    invariants,
    thresholds,
    metrics: {
      uploads: sum(results.map((r) => r.metrics.uploads)),
      recordsProduced: t.produced,
      recordsStored: t.stored,
      duplicates: t.duplicateVerdicts,
      late: t.lateCopies,
      rejected: t.rejected,
      lostAtDevice: t.lostAtDevice,
      latencyMs: { p50: upload.p50, p90: upload.p90, p99: upload.p99, max: upload.max, count: upload.count },
      latencyMerge: "p50/p90/p99 are the highest of the shards' (an upper bound: percentiles do not add); max and count are exact",
      rejectionsByCode: t.rejectionsByCode,
      replays: t.replays,
      load,
      shards: results.map((r, i) => ({ shard: i + 1, verdict: r.verdict, wallSeconds: r.wallSeconds, uploads: r.metrics.uploads, ledgerDigest: r.ledgerDigest })),
    },
    timeline: load.timeline.map((w) => ({ t: w.t, uploads: w.requests, recordsStored: w.recordsStored, duplicates: 0, late: 0, rejected: 0, p99Ms: w.p99.upload ?? 0 })),
  };
  const first = lead.input.report;
  const report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: first.tool,
    runId: `${first.runId}-merged`,
    command,
    seed: first.seed,
    commit: first.commit,
    ledgerDigest: books.digest,
    verdict: scenario.verdict,
    startedAt: ordered.map((s) => s.input.report.startedAt).sort()[0]!,
    wallSeconds: max(ordered.map((s) => s.input.report.wallSeconds)),
    environment: first.environment,
    scenarios: [scenario],
    shard: { count },
  };
  return { report, load };
}

function readLoadShard(input: ShardInput): LoadShard {
  if (shardKind(input) !== 'load') throw refuse(`${input.dir} is not a load shard's report (its summary.json has no metrics.load): merge the shards of one command.`);
  const result = input.report.scenarios[0]!;
  const load = result.metrics.load as LoadSummary;
  if (load.schemaVersion !== LOAD_SUMMARY_VERSION) throw refuse(`${input.dir} has load summary version ${load.schemaVersion}, this fleetbed writes ${LOAD_SUMMARY_VERSION}: merge with the version that ran the shards.`);
  if (!load.shard) throw refuse(`${input.dir}'s load summary has no "shard": it was run without --shard, or it is a merged report already.`);
  const part = input.parts.get(load.plan.name);
  if (!part) throw refuse(`${input.dir} has no ledger part for plan ${load.plan.name} (ledger/${load.plan.name}.part): its books cannot be added. Re-run that shard, or give its directory as the shard wrote it.`);
  return { input, result, load: load as LoadShard['load'], part };
}

function mergeSummaries(all: Array<LoadSummary & { shard: LoadShardInfo }>, books: MergedLedger, arrivals: number): LoadSummary {
  const lead = all[0]!;
  const durationS = Math.max(0.001, lead.shard.durationMs / 1000);
  const target = lead.target.syncsPerSecond === null ? null : round(arrivals / durationS, 2);
  const achievedRate = round(sum(all.map((s) => s.achieved.syncsPerSecond)), 2);
  const completed = sum(all.map((s) => s.achieved.completed));
  const recordsStored = sum(all.map((s) => s.achieved.recordsStored));
  const uploadsMeasured = Math.max(1, sum(all.map((s) => s.shard.uploadsMeasured)));
  const requests = sum(all.map((s) => s.errors.requests));
  const failedRequests = sum(all.map((s) => s.errors.failed));
  const cpu = addRecords(all.map((s) => s.cpu.secondsByGroup));
  const kind = worstKind(all.map((s) => s.verdict.kind));
  const ratio = target ? round(achievedRate / target, 3) : null;
  const fixtures = new Set(all.map((s) => s.fixture));
  return {
    schemaVersion: LOAD_SUMMARY_VERSION,
    plan: { ...lead.plan },
    fixture: fixtures.size === 1 ? lead.fixture : 'none',
    wallSeconds: max(all.map((s) => s.wallSeconds)),
    target: { arrivals, syncsPerSecond: target },
    achieved: { completed, syncsPerSecond: achievedRate, ratio, recordsPerSecond: round(sum(all.map((s) => s.achieved.recordsPerSecond)), 1), recordsStored },
    couldNotStartInTime: {
      count: sum(all.map((s) => s.couldNotStartInTime.count)),
      atInFlightCap: sum(all.map((s) => s.couldNotStartInTime.atInFlightCap)),
      generatorLate: sum(all.map((s) => s.couldNotStartInTime.generatorLate)),
      lateStartMs: lead.couldNotStartInTime.lateStartMs,
    },
    routes: mergeRoutes(all.map((s) => s.routes)),
    syncDurationMs: { p50: max(all.map((s) => s.syncDurationMs.p50)), p99: max(all.map((s) => s.syncDurationMs.p99)), max: max(all.map((s) => s.syncDurationMs.max)) },
    errors: { rate: requests > 0 ? round(failedRequests / requests, 5) : 0, byOutcome: addRecords(all.map((s) => s.errors.byOutcome)), requests, failed: failedRequests },
    cpu: { secondsByGroup: mapValues(cpu, (v) => round(v, 2)), microsPerUploadByGroup: mapValues(cpu, (v) => Math.round((v * 1e6) / uploadsMeasured)) },
    generator: {
      cpuMicrosPerUpload: Math.round(sum(all.map((s) => s.shard.generatorCpuMicros)) / uploadsMeasured),
      cpuCores: round(sum(all.map((s) => s.generator.cpuCores)), 3),
      lagP99Ms: max(all.map((s) => s.generator.lagP99Ms)),
      peakInFlight: sum(all.map((s) => s.generator.peakInFlight)),
      saturated: all.some((s) => s.generator.saturated),
    },
    database: mergeDatabase(all, recordsStored),
    // Every shard reports the whole fleet's day (diurnal.ts): the curve is the behaviour model's.
    diurnal: { ...lead.diurnal, recordsPerSync: completed > 0 ? round(recordsStored / completed, 2) : 0 },
    verdict: {
      kind,
      text: `${all.length} shards together ${ratio === null ? '' : `achieved ${(ratio * 100).toFixed(1)} % of the plan's rate; `}${all.map((s) => `shard ${s.shard.index}/${s.shard.count}: ${s.verdict.text}`).join('; ')}`,
    },
    ledger: {
      digest: books.digest,
      ok: all.every((s) => s.ledger.ok) && books.totals.violations === 0,
      method: [...new Set(all.map((s) => s.ledger.method))].join('+'),
      storedOnPlatform: sum(all.map((s) => s.ledger.storedOnPlatform)),
      storedInLedger: sum(all.map((s) => s.ledger.storedInLedger)),
      mismatches: sum(all.map((s) => s.ledger.mismatches)),
      violations: books.totals.violations,
      settledUploads: sum(all.map((s) => s.ledger.settledUploads)),
    },
    timeline: mergeTimeline(all.map((s) => s.timeline)),
    merged: {
      count: all.length,
      notes: { ...NOTES },
      shards: all.map((s) => ({
        shard: s.shard.index,
        verdict: s.verdict.kind,
        arrivals: s.shard.arrivals,
        completed: s.achieved.completed,
        targetSyncsPerSecond: s.target.syncsPerSecond,
        achievedSyncsPerSecond: s.achieved.syncsPerSecond,
        wallSeconds: s.wallSeconds,
        ledgerDigest: s.ledger.digest,
      })),
    },
  };
}

function mergeRoutes(all: RouteLatency[][]): RouteLatency[] {
  const byRoute = new Map<string, RouteLatency[]>();
  for (const routes of all) for (const r of routes) byRoute.set(r.route, [...(byRoute.get(r.route) ?? []), r]);
  return [...byRoute.entries()].map(([route, rs]) => {
    const seen = rs.filter((r) => r.count > 0);
    return { route, count: sum(rs.map((r) => r.count)), p50: max(seen.map((r) => r.p50)), p90: max(seen.map((r) => r.p90)), p99: max(seen.map((r) => r.p99)), p999: max(seen.map((r) => r.p999)), max: max(seen.map((r) => r.max)) };
  });
}

function mergeDatabase(all: LoadSummary[], recordsStored: number): LoadSummary['database'] {
  const off = all.find((s) => !s.database.reachable);
  if (off && !off.database.reachable) return { reachable: false, reason: `shard ${all.indexOf(off) + 1}: ${off.database.reason}` };
  const dbs = all.map((s) => s.database as Extract<LoadSummary['database'], { reachable: true }>);
  const byTable = new Map<string, TableSize>();
  for (const d of dbs) {
    for (const t of d.growth) {
      const m = byTable.get(t.table) ?? { table: t.table, tableBytes: 0, indexBytes: 0 };
      m.tableBytes += t.tableBytes;
      m.indexBytes += t.indexBytes;
      byTable.set(t.table, m);
    }
  }
  const growth = [...byTable.values()].sort((a, b) => b.tableBytes + b.indexBytes - (a.tableBytes + a.indexBytes));
  const grew = growth.reduce((n, t) => n + t.tableBytes + t.indexBytes, 0);
  // The shards span (nearly) the same virtual time: the whole run's span is the longest of theirs.
  const days = max(dbs.map((d) => d.simulatedDays));
  return { reachable: true, growth, bytesPerRecord: recordsStored > 0 ? Math.round(grew / recordsStored) : 0, bytesPerSimulatedDay: days >= 1 / 24 ? Math.round(grew / days) : 0, simulatedDays: days };
}

function mergeTimeline(all: WindowPoint[][]): WindowPoint[] {
  const byT = new Map<number, WindowPoint>();
  for (const points of all) {
    for (const p of points) {
      const m = byT.get(p.t);
      if (!m) {
        byT.set(p.t, { ...p, p50: { ...p.p50 }, p99: { ...p.p99 } });
        continue;
      }
      m.target = m.target === null && p.target === null ? null : (m.target ?? 0) + (p.target ?? 0);
      m.started += p.started;
      m.completed += p.completed;
      m.errors += p.errors;
      m.requests += p.requests;
      m.inFlight += p.inFlight;
      m.recordsStored += p.recordsStored;
      for (const route of ['upload', 'token'] as const) {
        if (p.p50[route] !== undefined) m.p50[route] = Math.max(m.p50[route] ?? 0, p.p50[route]);
        if (p.p99[route] !== undefined) m.p99[route] = Math.max(m.p99[route] ?? 0, p.p99[route]);
      }
      m.generatorCpu = round(m.generatorCpu + p.generatorCpu, 3);
      m.lagMaxMs = Math.max(m.lagMaxMs, p.lagMaxMs);
    }
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

const KIND_ORDER: readonly LoadVerdictKind[] = ['generator-saturated', 'platform-saturated', 'kept-up'];

/** The merged verdict kind: a generator that saturated on any shard makes every platform figure a lower bound; else a platform that fell behind on any shard. */
function worstKind(kinds: LoadVerdictKind[]): LoadVerdictKind {
  return KIND_ORDER.find((k) => kinds.includes(k)) ?? 'kept-up';
}

function addRecords(all: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of all) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function mapValues(r: Record<string, number>, f: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v)]));
}

function refuse(message: string): MergeError {
  return new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${message} Nothing was written.`);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const max = (xs: number[]) => (xs.length === 0 ? 0 : Math.max(...xs));
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
