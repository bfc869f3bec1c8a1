import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { defaultReportDir, writeReports, type RunReport } from '../../../reports/index.ts';
import { writeLoadHtml } from '../../../reports/load-html.ts';
import type { LoadSummary } from '../../../reports/load-summary.ts';
import { encodeLedgerPart } from '../../../simulators/ledger.ts';
import { checkEnvironmentOptions } from '../../core/env/check-environment-options.ts';
import { ENVIRONMENT_KINDS } from '../../core/env/options.ts';
import { ScenarioError } from '../../core/scenario/errors.ts';
import { parseDevicesOption, parseSeedOption } from '../../core/scenario/overrides.ts';
import { checkThresholdMetrics } from '../../core/thresholds/evaluate-thresholds.ts';
import { ThresholdError } from '../../core/thresholds/errors.ts';
import { LOAD_METRICS } from '../../products/load/defaults.ts';
import { startDashboard } from '../../products/load/dashboard.ts';
import { loadLoadPlans } from '../../products/load/load-plans.ts';
import { runLoad } from '../../products/load/run-load.ts';
import { checkShardable } from '../../products/load/shard-plan.ts';
import type { ResolvedLoadPlan } from '../../products/load/types.ts';
import { writeLedgerParts } from '../../products/merge/ledger-parts.ts';
import { choiceFlag, EXIT, parseCommandArgs, shardFlag, UsageError } from '../usage.ts';
import { loadReconcile } from './k6.ts';

export const LOAD_HELP = `Usage: fleetbed load <load plan file> [options]
       fleetbed load reconcile --from DIR [--database-url URL | --target-url URL]
                        [--k6-summary FILE]... [--report-dir DIR] [--sample N]
                        (after a k6 run of fleetbed k6 export: fleetbed load reconcile --help)

Play a load plan (scenarios/load/*.ts) against the platform as an open model:
phone syncs of the seeded fleet arrive at the plan's rate whether or not the
platform keeps up; latency is measured from each sync's intended start. Reports
achieved vs target rate, per-route p50/p90/p99/p99.9/max, errors by status and
problem code, platform CPU and database growth, and whether the generator or the
platform saturated; the ledger proves exactly-once (ING-1) at the end.

Options:
  --find-max            ramp then bisect to the highest rate that meets the SLO,
                        in syncs/s and in devices at the 07:00 and busiest hours
  --slo LIST            the SLO for --find-max, comma-separated k6 thresholds:
                        "p(99)<500" (upload latency), "rate<0.001" (failed
                        requests), or metric:expression (default the plan's slo)
  --seed S              override the plan's seed
  --devices N           override the plan's fleet size (500, 10k, 1m)
  --env NAME            embedded (default), url, or containers
  --target-url URL      your platform, in test mode (implies --env url; set
                        FLEETBED_FACTORY_SECRET, and DATABASE_URL for growth)
  --report-dir DIR      where summary.json, junit.xml and report.html go
                        (default reports/out/<run-id>/)
  --dashboard           serve the live charts on http://127.0.0.1:<port>/ while
                        the run goes (server-sent events)
  --dashboard-port N    port of the dashboard (default 0: any free port)
  --no-fixture          set the fleet up through the API even when a matching
                        fleet fixture exists (embedded environment)
  --shard I/N           drive only the I-th of N disjoint slices of the fleet's
                        households: the whole plan's schedule, keeping the
                        arrivals of the slice's phones, so the N shards together
                        offer exactly the plan's rate; writes the shard's ledger
                        part beside the reports for fleetbed merge (docs/sharding.md).
                        Open-model plans only: not closed plans, not --find-max
  --quiet               no progress lines
  -h, --help            this text

Exit codes: 0 every threshold held and the ledger balanced (with --find-max: a
rate met the SLO); 1 not; 2 bad usage or a plan that does not validate.
`;

export async function load(argv: string[], out: (line: string) => void): Promise<number> {
  if (argv[0] === 'reconcile') return loadReconcile(argv.slice(1), out);
  const { values, positionals } = parseCommandArgs(
    'load',
    argv,
    {
      'find-max': { type: 'boolean' },
      slo: { type: 'string' },
      seed: { type: 'string' },
      devices: { type: 'string' },
      env: { type: 'string' },
      'target-url': { type: 'string' },
      'report-dir': { type: 'string' },
      dashboard: { type: 'boolean' },
      'no-fixture': { type: 'boolean' },
      'dashboard-port': { type: 'string' },
      shard: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(LOAD_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`fleetbed load takes one load plan file, got ${positionals.length}.`, 'Example: npx fleetbed load scenarios/load/fleet-day.ts');
  const env = choiceFlag('env', values.env, ENVIRONMENT_KINDS);
  let plan: ResolvedLoadPlan;
  try {
    const plans = await loadLoadPlans(positionals[0]!);
    if (plans.length !== 1) throw new UsageError(`fleetbed load plays one plan; ${positionals[0]} holds ${plans.length}.`, `Name one file: ${plans.map((p) => p.file).join(', ')}`);
    plan = plans[0]!;
    if (values.seed !== undefined) plan = { ...plan, seed: parseSeedOption(values.seed) };
    if (values.devices !== undefined) plan = { ...plan, devices: parseDevicesOption(values.devices) };
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message, 'Nothing was started. Fix the plan and run again.');
    throw err;
  }
  if (values.slo !== undefined) plan = { ...plan, slo: parseSlo(values.slo) };
  const shard = shardFlag(values.shard);
  if (shard) checkShardable(plan, { findMax: Boolean(values['find-max']), shard });
  const port = values['dashboard-port'] === undefined ? 0 : Number(values['dashboard-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--dashboard-port must be a port from 0 to 65535, got ${JSON.stringify(values['dashboard-port'])}.`);
  const environment = checkEnvironmentOptions({ ...(env ? { env } : {}), ...(values['target-url'] ? { targetUrl: values['target-url'] } : {}) });
  const quiet = Boolean(values.quiet);
  const log = (line: string) => {
    if (!quiet) process.stderr.write(`fleetbed: ${line}\n`);
  };
  const dashboard = values.dashboard ? await startDashboard({ plan, port }) : undefined;
  if (dashboard) out(`dashboard: ${dashboard.url}`);
  try {
    const { report, load: summary, part } = await runLoad({
      plan,
      environment,
      findMax: Boolean(values['find-max']),
      ...(values['no-fixture'] ? { fixture: 'none' as const } : {}),
      ...(shard ? { shard } : {}),
      command: ['fleetbed', 'load', ...argv].join(' '),
      replayFlags: values['target-url'] ? ['--target-url', values['target-url']] : [],
      progress: { enabled: !quiet },
      log,
      ...(dashboard ? { observer: dashboard.observer } : {}),
    });
    dashboard?.finish(summary);
    const dir = values['report-dir'] ?? defaultReportDir(report.runId);
    mkdirSync(dir, { recursive: true });
    const paths = await writeReports(dir, report, ['json', 'junit']);
    paths.html = await writeLoadHtml(dir, summary);
    if (part) paths.ledger = writeLedgerParts(dir, new Map([[plan.name, encodeLedgerPart(part)]]));
    printLoadSummary(report, summary, out);
    out(`reports: ${Object.values(paths).map((p) => relative(process.cwd(), p)).join(', ')}`);
    return report.scenarios[0]!.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  } finally {
    await dashboard?.close();
  }
}

/** What `fleetbed load` (and `fleetbed merge` of load shards) prints about a load run: the verdict, rates, latency, errors, costs, the ledger, and one line per failure with its replay line. */
export function printLoadSummary(report: RunReport, summary: LoadSummary, out: (line: string) => void): void {
  const s = report.scenarios[0]!;
  const name = summary.plan.name;
  out(`${s.verdict === 'pass' ? 'PASS' : 'FAIL'} ${name}: ${summary.verdict.text}`);
  if (summary.shard) out(`  shard ${summary.shard.index}/${summary.shard.count}: ${summary.shard.households} households, ${summary.shard.devices} devices, ${summary.shard.phones} phones; ${summary.shard.arrivals} of the plan's ${summary.shard.planArrivals} arrivals`);
  if (summary.merged) out(`  merged ${summary.merged.count} shards: counts, rates and the ledger added up; latency percentiles are the highest shard's (an upper bound)`);
  out(`  target ${summary.target.syncsPerSecond ?? 'closed'} syncs/s, achieved ${summary.achieved.syncsPerSecond} syncs/s (${summary.achieved.recordsPerSecond} records/s); ${summary.couldNotStartInTime.count} could not start in time`);
  for (const r of summary.routes.filter((x) => x.count > 0)) out(`  ${r.route}: p50 ${r.p50} ms  p90 ${r.p90} ms  p99 ${r.p99} ms  p99.9 ${r.p999} ms  max ${r.max} ms  (${r.count})`);
  out(`  errors: ${(summary.errors.rate * 100).toFixed(3)} %  ${JSON.stringify(summary.errors.byOutcome)}`);
  out(`  generator: ${summary.generator.cpuMicrosPerUpload} µs CPU per upload, ${summary.generator.cpuCores} cores; platform CPU s ${JSON.stringify(summary.cpu.secondsByGroup)}`);
  if (summary.database.reachable) out(`  database: ${summary.database.bytesPerRecord} bytes per record, ${summary.database.bytesPerSimulatedDay > 0 ? `${summary.database.bytesPerSimulatedDay} bytes per simulated day` : `per simulated day not measured (the phase spans ${summary.database.simulatedDays} days of virtual time, under an hour)`}`);
  if (summary.findMax) out(`  find-max: ${summary.findMax.fleet.text}`);
  out(`  ING-1 ${s.invariants[0]!.verdict} (${summary.ledger.method}: ${summary.ledger.storedOnPlatform} stored, ${summary.ledger.mismatches} mismatches); ledger ${summary.ledger.digest.slice(0, 12)}; fleet ${summary.fixture === 'reused' ? 'from a fixture' : 'built through the API'}`);
  for (const t of s.thresholds.filter((x) => x.verdict === 'fail')) out(`FAIL ${name} threshold ${t.metric} ${t.expression} (actual ${t.actual}); replay with: ${s.replay}`);
  if (s.invariants[0]!.verdict === 'fail') out(`FAIL ${name} ING-1: replay with: ${s.replay}   (commit ${report.commit})`);
  if (s.error) out(`FAIL ${name}: ${s.error}; replay with: ${s.replay}   (commit ${report.commit})`);
}

/** `--slo "p(99)<500,rate<0.001"`: bare percentiles are upload latency, a bare rate is failed requests; `metric:expr` names any load metric. */
export function parseSlo(text: string): Record<string, string[]> {
  const slo: Record<string, string[]> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)\s*:\s*(.+)$/.exec(part) ?? /^(errors)\s+(rate.+)$/.exec(part);
    const metric = m ? (m[1] === 'errors' ? 'http_req_failed' : m[1]!) : /^rate/.test(part) ? 'http_req_failed' : 'upload_duration';
    const expression = m ? m[2]!.trim() : part;
    try {
      checkThresholdMetrics({ [metric]: [expression] }, LOAD_METRICS);
    } catch (err) {
      if (err instanceof ThresholdError) throw new UsageError(`--slo ${JSON.stringify(part)}: ${err.reason}.`, 'Example: --slo "p(99)<500,rate<0.001"');
      throw err;
    }
    (slo[metric] ??= []).push(expression);
  }
  if (Object.keys(slo).length === 0) throw new UsageError('--slo needs at least one threshold.', 'Example: --slo "p(99)<500,rate<0.001"');
  return slo;
}
