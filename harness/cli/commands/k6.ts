import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { defaultReportDir, writeSummaryJson } from '../../../reports/index.ts';
import { writeLoadHtml } from '../../../reports/load-html.ts';
import { gitCommit } from '../../core/git-commit.ts';
import { k6RunReport, mergeK6Summaries, readK6Summary } from '../../products/k6/k6-summary.ts';
import { createFleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { Ledger } from '../../../simulators/ledger.ts';
import type { FleetContext } from '../../core/fleet/context.ts';
import { readClock } from '../../core/fleet/drive.ts';
import { FleetHttp } from '../../core/fleet/http.ts';
import { fleetSeed } from '../../core/scenario/seed.ts';
import { ScenarioError } from '../../core/scenario/errors.ts';
import { parseDevicesOption, parseSeedOption } from '../../core/scenario/overrides.ts';
import { K6Error } from '../../products/k6/errors.ts';
import { exportK6 } from '../../products/k6/export-k6.ts';
import { prepareForK6 } from '../../products/k6/prepare-platform.ts';
import { readExport } from '../../products/k6/read-export.ts';
import { reconcileExport } from '../../products/k6/reconcile-export.ts';
import type { K6World, WorldArrival } from '../../products/k6/world.ts';
import { buildSchedule } from '../../products/load/arrivals.ts';
import { loadLoadPlans } from '../../products/load/load-plans.ts';
import { SyncDriver } from '../../products/load/sync-driver.ts';
import type { ResolvedLoadPlan } from '../../products/load/types.ts';
import { EXIT, parseCommandArgs, UsageError } from '../usage.ts';

/** The fleet's start when the export is not given a platform to read the clock of: Monday 2030-01-07 00:00 UTC. */
export const DEFAULT_K6_START_MS = Date.UTC(2030, 0, 7);

export const K6_HELP = `Usage: fleetbed k6 export <load plan file> --out DIR [options]
       fleetbed k6 prepare --from DIR --target-url URL

Hand a load plan to k6 (and k6-operator) when one machine cannot drive it.

export   writes a runnable k6 project into DIR: script.ts (k6 arrival-rate
         executors, the plan's thresholds, a route tag per request), the
         device-signed uploads of the seeded world in schedule order (files
         below 1 MiB each), the accounts' credentials, the expected ledger,
         testrun.yaml for k6-operator and fleetbed-k6.json
prepare  signs up, provisions and bonds the exported fleet on the platform
         through the API and sets its virtual clock (test mode; needs
         FLEETBED_FACTORY_SECRET)

After k6 ran: fleetbed load reconcile --from DIR proves exactly-once.

Options:
  --out DIR             export: the directory to write
  --from DIR            prepare: the export directory
  --target-url URL      export: read the fleet's start from this platform's
                        clock (default 2030-01-07T00:00Z); prepare: the platform
  --seed S              export: override the plan's seed
  --devices N           export: override the plan's fleet size (500, 10k, 1m)
  --parallelism N       export: k6-operator instances in testrun.yaml (default 4)
  --quiet               no progress lines
  -h, --help            this text

Exit codes: 0 done; 1 the platform failed; 2 bad usage or a plan that cannot be exported.
`;

/** The seeded world of `plan` as `fleetbed load` plays it, its fleet starting at `startMs`. */
export function k6WorldOf(plan: ResolvedLoadPlan, startMs: number): K6World {
  if (plan.arrival.shape === 'closed') throw new K6Error('FLEETBED_K6_UNSUPPORTED', `load plan ${plan.name} is a closed model (arrival.shape "closed"): its syncs come as fast as answers do, so there is no schedule to export; export an open-model plan`);
  const seed = fleetSeed(plan.seed);
  const fleet = createFleet(resolveFleetOptions({ seed, devices: plan.devices }), Math.ceil(startMs / 1000));
  const ledger = new Ledger(fleet);
  const reinstalled = new Set<number>();
  // prepare() only reads the fleet and the ledger, and signs a reinstalled phone out of its app.
  const driver = new SyncDriver({ fleet, ledger, app: { signOut: (p: number) => reinstalled.add(p) } } as unknown as FleetContext);
  const schedule = buildSchedule(fleet, plan.arrival, fleet.seed);
  const a = plan.arrival;
  const arrival: WorldArrival = a.shape === 'constant' ? a : a.shape === 'ramping' ? a : { shape: a.shape };
  return {
    plan: { name: plan.name, file: plan.file, seed: plan.seed, devices: plan.devices, describe: schedule.describe, thresholds: plan.thresholds, arrival },
    fleet,
    fleetSeed: seed,
    ledger,
    startMs: fleet.startS * 1000,
    prelude: schedule.prelude,
    arrivals: schedule.arrivals,
    targetPerSecond: schedule.targetPerSecond,
    durationMs: schedule.durationMs,
    prepare(phone, vt) {
      reinstalled.delete(phone);
      const s = driver.prepare(phone, vt);
      return { uploads: s.uploads, reinstalled: reinstalled.has(phone) };
    },
  };
}

export async function k6(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'k6',
    argv,
    {
      out: { type: 'string' },
      from: { type: 'string' },
      'target-url': { type: 'string' },
      seed: { type: 'string' },
      devices: { type: 'string' },
      parallelism: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(K6_HELP);
    return EXIT.ok;
  }
  const [sub, ...rest] = positionals;
  const log = (line: string) => {
    if (!values.quiet) process.stderr.write(`fleetbed: ${line}\n`);
  };
  if (sub === 'export') {
    if (rest.length !== 1) throw new UsageError(`fleetbed k6 export takes one load plan file, got ${rest.length}.`, 'Example: npx fleetbed k6 export scenarios/load/fleet-day.ts --out k6-fleet-day');
    if (!values.out) throw new UsageError('fleetbed k6 export needs --out DIR.', 'Example: npx fleetbed k6 export scenarios/load/smoke.ts --out k6-smoke');
    const parallelism = values.parallelism === undefined ? 4 : Number(values.parallelism);
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new UsageError(`--parallelism must be a whole number ≥ 1, got ${JSON.stringify(values.parallelism)}.`);
    let plan: ResolvedLoadPlan;
    try {
      const plans = await loadLoadPlans(rest[0]!);
      if (plans.length !== 1) throw new UsageError(`fleetbed k6 export takes one plan; ${rest[0]} holds ${plans.length}.`, `Name one file: ${plans.map((p) => p.file).join(', ')}`);
      plan = plans[0]!;
      if (values.seed !== undefined) plan = { ...plan, seed: parseSeedOption(values.seed) };
      if (values.devices !== undefined) plan = { ...plan, devices: parseDevicesOption(values.devices) };
    } catch (err) {
      if (err instanceof ScenarioError) throw new UsageError(err.message, 'Nothing was written. Fix the plan and run again.');
      throw err;
    }
    let startMs = DEFAULT_K6_START_MS;
    if (values['target-url']) {
      const http = new FleetHttp(values['target-url'], 2);
      try {
        startMs = Math.ceil((await readClock({ http } as FleetContext)) / 1000) * 1000;
      } finally {
        await http.close();
      }
    }
    log(`exporting ${plan.name} (seed ${plan.seed}, ${plan.devices} devices), fleet start ${new Date(startMs).toISOString()}`);
    const { manifest: m } = exportK6(k6WorldOf(plan, startMs), values.out, { parallelism });
    out(`wrote ${values.out}: ${m.phases.prelude.rows} prelude + ${m.phases.load.rows} load syncs, ${m.uploads} uploads, ${m.ledger.storedRecords} records expected stored (ledger ${m.ledger.digest.slice(0, 12)})`);
    out(`  load scenario: ${m.k6.approximation}`);
    if (m.k6.thresholdsLeftOut.length > 0) out(`  thresholds k6 cannot evaluate, left out: ${m.k6.thresholdsLeftOut.join(', ')}`);
    out(`  kubernetes: ${(m.kubernetes.dataBytes / 1048576).toFixed(1)} MiB of data, ${m.kubernetes.mount === 'pvc' ? 'above 64 MiB: mount a PVC (testrun.yaml)' : 'one ConfigMap per file (testrun.yaml lists them)'}`);
    out(`next: fleetbed k6 prepare --from ${values.out} --target-url URL`);
    return EXIT.ok;
  }
  if (sub === 'prepare') {
    if (!values.from || !values['target-url']) throw new UsageError('fleetbed k6 prepare needs --from DIR and --target-url URL.', 'Example: npx fleetbed k6 prepare --from k6-smoke --target-url http://127.0.0.1:8080');
    const factorySecret = process.env.FLEETBED_FACTORY_SECRET;
    if (!factorySecret) throw new UsageError('fleetbed k6 prepare provisions devices: set FLEETBED_FACTORY_SECRET to the platform\'s factory secret.');
    const m = readExport(values.from);
    const r = await prepareForK6(m, { targetUrl: values['target-url'], factorySecret, progress: { enabled: !values.quiet }, log });
    out(`prepared: ${r.households} accounts, ${r.devices} devices bonded; platform clock ${new Date(r.clockMs).toISOString()}`);
    out(`next: k6 run -e FLEETBED_TARGET_URL=${values['target-url']} ${values.from}/script.ts`);
    return EXIT.ok;
  }
  throw new UsageError(`fleetbed k6 takes export or prepare, got ${sub === undefined ? 'nothing' : JSON.stringify(sub)}.`, 'fleetbed k6 --help');
}

export const RECONCILE_HELP = `Usage: fleetbed load reconcile --from DIR [--database-url URL | --target-url URL]

After a k6 run of a fleetbed k6 export (any number of instances): check that the
platform stored exactly what the export's ledger says was sent (ING-1), every
device through the database, or a sample of devices through the sessions API.

Options:
  --from DIR            the export directory
  --database-url URL    the platform's PostgreSQL (default $DATABASE_URL)
  --target-url URL      the platform, when there is no database URL
  --sample N            devices checked through the API (default 200)
  --k6-summary FILE     k6's end-of-test JSON (k6 run --summary-export=FILE, or
                        handleSummary's data): its percentiles, rates, checks
                        and thresholds go into summary.json and report.html.
                        Repeat it once per k6 instance (a TestRun's pods): the
                        summaries are merged (counts and rates add; each
                        percentile is the largest instance's, an upper bound)
  --report-dir DIR      where summary.json and report.html go (with
                        --k6-summary; default reports/out/<run-id>/)
  -h, --help            this text

Exit codes: 0 the ledger balanced (and, with --k6-summary, every k6 threshold
and check held); 1 not; 2 bad usage.
`;

/** `fleetbed load reconcile`. */
export async function loadReconcile(argv: string[], out: (line: string) => void): Promise<number> {
  const t0 = performance.now();
  const startedAt = new Date();
  const { values } = parseCommandArgs('load reconcile', argv, { from: { type: 'string' }, 'database-url': { type: 'string' }, 'target-url': { type: 'string' }, sample: { type: 'string' }, 'k6-summary': { type: 'string', multiple: true }, 'report-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    out(RECONCILE_HELP);
    return EXIT.ok;
  }
  if (!values.from) throw new UsageError('fleetbed load reconcile needs --from DIR (a fleetbed k6 export).');
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
  if (!databaseUrl && !values['target-url']) throw new UsageError('fleetbed load reconcile needs --database-url URL (or DATABASE_URL) or --target-url URL.');
  const m = readExport(values.from);
  const r = await reconcileExport(values.from, m, { ...(databaseUrl ? { databaseUrl } : { targetUrl: values['target-url']! }), ...(values.sample ? { sample: Number(values.sample) } : {}) });
  out(`${r.ok ? 'PASS' : 'FAIL'} ING-1 (${r.method}): ${r.devicesChecked} devices, platform holds ${r.storedOnPlatform} records, ledger expects ${r.storedInLedger}; ${r.mismatches} mismatches`);
  if (r.keys) out(`  upload keys: ${r.keys.exported} exported, ${r.keys.onPlatform} on the platform for the fleet's accounts; ${r.keys.unexpected} never exported, ${r.keys.missing} missing`);
  for (const e of r.examples) out(`  ${e}`);
  const summaries = values['k6-summary'] ?? [];
  if (summaries.length === 0) return r.ok ? EXIT.ok : EXIT.failed;
  const merged = mergeK6Summaries(summaries.map((f) => readK6Summary(f)));
  for (const n of merged.notes) out(`  k6: ${n}`);
  const { report, html, load } = k6RunReport(m, merged.metrics, r, { command: ['fleetbed', 'load', 'reconcile', ...argv].join(' '), startedAt, commit: gitCommit(), wallSeconds: Math.round(performance.now() - t0) / 1000, apiUrl: values['target-url'] ?? '', instances: summaries.length, notes: merged.notes });
  const dir = values['report-dir'] ?? defaultReportDir(report.runId);
  mkdirSync(dir, { recursive: true });
  const paths = [await writeSummaryJson(dir, report), await writeLoadHtml(dir, html)];
  for (const x of load.routes.filter((x) => x.count > 0)) out(`  ${x.route}: p50 ${x.p50} ms  p90 ${x.p90} ms  p99 ${x.p99} ms  max ${x.max} ms  (${x.count})`);
  for (const t of report.scenarios[0]!.thresholds) out(`  ${t.verdict === 'pass' ? 'PASS' : 'FAIL'} threshold ${t.metric} ${t.expression} (actual ${t.actual})`);
  out(`  k6: ${load.httpReqs.perSecond.toFixed(1)} requests/s, ${load.iterations.dropped} dropped iterations, checks ${load.checks.passes} passed / ${load.checks.fails} failed`);
  out(`reports: ${paths.map((p) => relative(process.cwd(), p)).join(', ')}`);
  return report.verdict === 'pass' ? EXIT.ok : EXIT.failed;
}
