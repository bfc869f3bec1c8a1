import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { colorEnabled, defaultReportDir, renderTable, writeReports, resolveReporters, type RunReport, type ScenarioResult } from '../../../reports/index.ts';
import { checkEnvironmentOptions } from '../../core/env/check-environment-options.ts';
import { ENVIRONMENT_KINDS } from '../../core/env/options.ts';
import type { EnvironmentOptions } from '../../core/env/types.ts';
import { loadScenarios } from '../../core/scenario/load-scenarios.ts';
import { applyOverrides, parseDevicesOption, parseDurationOption, parseSeedOption } from '../../core/scenario/overrides.ts';
import { ScenarioError } from '../../core/scenario/errors.ts';
import type { ResolvedScenario } from '../../core/scenario/types.ts';
import { runSuite } from '../../products/run/run-suite.ts';
import { shrinkSteps } from '../../products/run/shrink.ts';
import { choiceFlag, EXIT, parseCommandArgs, shardFlag, UsageError } from '../usage.ts';
import { writeLedgerParts } from '../../products/merge/ledger-parts.ts';
import { encodeLedgerPart } from '../../../simulators/ledger.ts';
import { FleetHttp } from '../../core/fleet/http.ts';
import { captureLine } from '../../products/attack/capture.ts';
import { ATTACK_CASES } from '../../products/attack/cases/index.ts';
import { runAttacks } from '../../products/attack/run-attacks.ts';
import { asAttackSuite, caseSelected, casesOfSuites, SuiteError, type AttackSuite } from '../../products/attack/suite.ts';
import { resolveEnvironment } from '../../core/env/index.ts';
import { closeSync, openSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Record the fleet driver's requests into `file` (NDJSON, secrets redacted); returns the stop function (→ count). */
function startCapture(file: string): () => number {
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (err) {
    throw new UsageError(`--capture ${file}: ${(err as Error).message}`);
  }
  let n = 0;
  FleetHttp.capture = (r) => {
    writeSync(fd, captureLine(r));
    n++;
  };
  return () => {
    FleetHttp.capture = undefined;
    closeSync(fd);
    return n;
  };
}

export const RUN_HELP = `Usage: fleetbed run <scenario file or directory> [options]

Run scenarios — a simulated stretch of fleet life with faults — against the
platform and check the invariants of docs/design.md. Security suites in the
same directory (files exporting defineAttackSuite, as scenarios/ci holds one)
run too, after the scenarios, against a fresh platform. A release passes only
if every invariant and threshold holds and every attack is refused with no
side effect: one verdict, one junit.xml, one exit code.

Options:
  --seed S              override every scenario's seed (decimal or 0x… u64)
  --devices N           override every scenario's fleet size (500, 10k, 1m)
  --duration D          override every scenario's simulated time, in the form of a
                        scenario's duration: whole hours, e.g. 2d, 36h, 1d12h;
                        faults after the new end never fire
  --env NAME            embedded (default; a fresh PostgreSQL + API per scenario),
                        url, or containers
  --target-url URL      a running platform in test mode (implies --env url;
                        set FLEETBED_FACTORY_SECRET)
  --report-dir DIR      where summary.json, junit.xml and report.html go
                        (default reports/out/<run-id>/)
  --reporters LIST      comma-separated: json,junit,html (default all three)
  --shrink              when a scenario fails, re-run it smaller (same seed; fewer
                        devices, then fewer days) and report the smallest run that
                        still fails, with the line that replays it
  --api-entry FILE      embedded: start this entry instead of reference-api/src/server.ts
                        (your patched build of the API, or a deliberately broken one)
  --capture FILE        record every request the fleet driver sends (NDJSON: method,
                        path, headers with Authorization/X-Factory-Credential
                        redacted, body) for fleetbed attack --replay FILE
  --no-fixture          set every fleet up through the API (sign-up, provisioning,
                        bonding) even when a fleet fixture matches
  --build-fixture       when no fleet fixture matches a scenario, build and save one
                        first (by default a run only uses fixtures that exist:
                        fleetbed fixtures build, docs/fixtures.md)
  --shard I/N           simulate only the I-th of N disjoint slices of each fleet's
                        households (device ids disjoint, the world otherwise the
                        same); writes its ledger part beside the reports for
                        fleetbed merge. OTA scenarios run whole on shard 1/N
  --jobs N              run N scenarios side by side, each on its own embedded
                        platform (default 1; auto = one per CPU core). The attack
                        gate runs beside them; the report keeps file order
  --quiet               no progress display
  -h, --help            this text

Exit codes: 0 every invariant and threshold held; 1 one failed; 2 bad usage or
a scenario that does not load. Every failure prints the line that replays it
(scenario, --seed, --devices, --duration).
`;

export async function run(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'run',
    argv,
    {
      seed: { type: 'string' },
      devices: { type: 'string' },
      duration: { type: 'string' },
      env: { type: 'string' },
      'target-url': { type: 'string' },
      'report-dir': { type: 'string' },
      reporters: { type: 'string' },
      shrink: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'api-entry': { type: 'string' },
      capture: { type: 'string' },
      'no-fixture': { type: 'boolean' },
      'build-fixture': { type: 'boolean' },
      shard: { type: 'string' },
      jobs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`fleetbed run takes one scenario file or directory, got ${positionals.length}.`, 'Example: npx fleetbed run scenarios/ci');
  const env = choiceFlag('env', values.env, ENVIRONMENT_KINDS);
  if (values['no-fixture'] && values['build-fixture']) throw new UsageError('--no-fixture and --build-fixture contradict each other: give one.', 'Run "fleetbed run --help" for the flags it takes.');
  const reporters = values.reporters ? values.reporters.split(',').map((s) => s.trim()) : undefined;
  if (reporters) resolveReporters(reporters);
  let scenarios: ResolvedScenario[];
  const found: Array<{ file: string; suite: unknown }> = [];
  let suites: Array<{ file: string; suite: AttackSuite }> = [];
  try {
    const overrides = {
      ...(values.devices !== undefined ? { devices: parseDevicesOption(values.devices) } : {}),
      ...(values.seed !== undefined ? { seed: parseSeedOption(values.seed) } : {}),
      ...(values.duration !== undefined ? { duration: parseDurationOption(values.duration) } : {}),
    };
    scenarios = (await loadScenarios(positionals[0]!, { attackSuites: found })).map((s) => applyOverrides(s, overrides));
    suites = found.map((f) => ({ file: f.file, suite: asAttackSuite(f.suite, f.file) }));
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message, err.file === 'command line' ? 'Nothing was started. Run "fleetbed run --help" for the flags it takes.' : 'Nothing was started. Fix the scenario and run again.');
    if (err instanceof SuiteError) throw new UsageError(err.message, 'Nothing was started. Security suites export default defineAttackSuite({...}); see scenarios/security/.');
    throw err;
  }
  if (scenarios.length === 0 && suites.length === 0) throw new UsageError(`no scenario files under ${positionals[0]}.`, 'Scenario files end in .ts, .json, .yaml or .yml.');
  const shard = shardFlag(values.shard);
  const jobs = jobsFlag(values.jobs);
  if (jobs > 1 && ((env !== undefined && env !== 'embedded') || values['target-url'] !== undefined)) {
    throw new UsageError(`--jobs ${values.jobs} runs scenarios side by side, each on a platform of its own, which only the embedded environment starts; --env ${env ?? 'url'} serves every scenario from one platform.`, 'Drop --jobs, or run on the embedded environment.');
  }
  if (shard && values.shrink) throw new UsageError('--shrink re-runs a failing scenario whole, which a shard cannot: drop --shrink, or merge the shards and replay the failure without --shard.');
  if (shard) {
    // OTA scenarios judge the whole fleet at once (the health gate), so they do not split: shard 1 runs them whole.
    scenarios = scenarios.filter((s) => !s.ota || shard.index === 1).map((s) => (s.ota ? s : { ...s, shard }));
    if (shard.index !== 1) suites = []; // attack suites, like OTA scenarios, run on shard 1 only
    if (scenarios.length === 0) throw new UsageError(`every scenario under ${positionals[0]} is an OTA scenario, and those run whole on shard 1/${shard.count} only: this shard has nothing to do.`, 'Run OTA scenarios without --shard.');
  }

  const quiet = Boolean(values.quiet);
  const log = (line: string) => {
    if (!quiet) process.stderr.write(`fleetbed: ${line}\n`);
  };
  const replayFlags = [
    ...(env && env !== 'embedded' ? ['--env', env] : []),
    ...(values['target-url'] ? ['--target-url', values['target-url']] : []),
    ...(values['api-entry'] ? ['--api-entry', values['api-entry']] : []),
    ...(shard ? ['--shard', `${shard.index}/${shard.count}`] : []),
  ];
  const environment = checkEnvironmentOptions({
    ...(env ? { env } : {}),
    ...(values['target-url'] ? { targetUrl: values['target-url'] } : {}),
    ...(values['api-entry'] ? { apiEntry: values['api-entry'] } : {}),
  });
  const stopCapture = values.capture !== undefined ? startCapture(values.capture) : undefined;
  const parts = new Map<string, Buffer>();
  // Side by side, the attack gate starts with the scenarios, on a platform of its own.
  const gate = suites.length > 0 && jobs > 1 ? gateAttacks(suites, environment, replayFlags, log) : undefined;
  gate?.catch(() => undefined); // awaited below; not an unhandled rejection while the scenarios run
  const report = await runSuite({
    jobs,
    ...(shard ? { onFleet: (s: ResolvedScenario, fleet: { ledger: { part(): Parameters<typeof encodeLedgerPart>[0] } }) => parts.set(s.name, encodeLedgerPart(fleet.ledger.part())) } : {}),
    scenarios,
    environment,
    command: ['fleetbed', 'run', ...argv].join(' '),
    ...(values.seed !== undefined ? { seed: parseSeedOption(values.seed) } : {}),
    replayFlags,
    fixture: values['no-fixture'] ? 'none' : values['build-fixture'] ? 'build' : 'reuse',
    progress: { enabled: !quiet },
    log,
    onScenario: (r, i, n) => log(`${r.verdict === 'pass' ? 'PASS' : 'FAIL'} ${r.name} (${i + 1}/${n}) in ${r.wallSeconds.toFixed(1)} s${r.error ? ` — ${r.error}` : ''}`),
  });

  if (stopCapture) log(`captured ${stopCapture()} requests into ${values.capture}`);
  if (suites.length > 0) foldAttacks(report, await (gate ?? gateAttacks(suites, environment, replayFlags, log)), gate !== undefined);
  if (values.shrink && report.verdict === 'fail') await shrinkFailures(report, scenarios, environment, replayFlags, log);

  const dir = values['report-dir'] ?? defaultReportDir(report.runId);
  mkdirSync(dir, { recursive: true });
  if (shard) report.shard = { ...shard };
  const paths = await writeReports(dir, report, reporters as Parameters<typeof writeReports>[2]);
  if (shard) paths.ledger = writeLedgerParts(dir, parts);
  out(renderTable(report, { color: colorEnabled({ isTTY: Boolean(process.stdout.isTTY), env: process.env }) }));
  printFailures(report, out);
  out(`reports: ${Object.values(paths).map((p) => relative(process.cwd(), p)).join(', ')}`);
  return report.verdict === 'pass' ? EXIT.ok : EXIT.failed;
}

async function shrinkFailures(report: RunReport, scenarios: ResolvedScenario[], environment: EnvironmentOptions, replayFlags: string[], log: (l: string) => void): Promise<void> {
  for (const failed of report.scenarios.filter((s) => s.verdict === 'fail' && !s.error)) {
    const scenario = scenarios.find((s) => s.name === failed.name)!;
    let smallest: ScenarioResult | undefined;
    for (const smaller of shrinkSteps(scenario)) {
      log(`shrink ${scenario.name}: trying ${smaller.fleet.devices} devices, ${smaller.durationSeconds / 86_400} days`);
      const sub = await runSuite({ scenarios: [smaller], environment, command: 'shrink', replayFlags, progress: { enabled: false } });
      const r = sub.scenarios[0]!;
      if (r.verdict !== 'fail' || r.error) break;
      smallest = r;
    }
    if (smallest) {
      failed.metrics.shrunk = { devices: smallest.devices, simulatedSeconds: smallest.simulatedSeconds, replay: smallest.replay, failing: smallest.invariants.filter((i) => i.verdict === 'fail').map((i) => i.id) };
      log(`shrink ${scenario.name}: smallest failing run: ${smallest.replay}`);
    } else log(`shrink ${scenario.name}: no smaller run fails; the original is the smallest`);
  }
}


/**
 * The security suites of the directory, as part of the same gate: every case they select
 * runs against a fresh platform (as `fleetbed attack` runs it), its results go into the
 * report's `attacks` (so into junit.xml and report.html), and one that got through or
 * changed state fails the run. The replay line of each failure is its `fleetbed attack`.
 */
async function gateAttacks(suites: Array<{ file: string; suite: AttackSuite }>, environment: EnvironmentOptions, replayFlags: string[], log: (l: string) => void): Promise<{ attacks: NonNullable<RunReport['attacks']>; seconds: number }> {
  const cases = casesOfSuites(ATTACK_CASES, suites.map((s) => s.suite));
  const t0 = performance.now();
  log(`attacks: ${cases.length} cases of ${suites.map((s) => s.file).join(', ')} against a fresh platform`);
  const running = await resolveEnvironment(environment).start();
  try {
    if (!running.testMode) throw new UsageError('the security suites need a platform in test mode (the state digest is a testbed hook).');
    const run = await runAttacks({ apiUrl: running.apiUrl, factorySecret: running.factorySecret, cases, seed: suites[0]!.suite.seed });
    const fileOf = (id: string) => suites.find((s) => s.suite.cases === 'all' || caseSelected(id, s.suite.cases))!.file;
    const flags = replayFlags.filter((_, i, a) => a[i] !== '--shard' && a[i - 1] !== '--shard');
    const attacks = run.results.map(({ reason: _r, ...a }) => ({ ...a, replay: ['npx fleetbed attack', fileOf(a.id), '--only', a.id, ...flags].join(' ') }));
    const seconds = (performance.now() - t0) / 1000;
    const failed = attacks.filter((a) => a.verdict === 'got-through' || !a.stateUnchanged).length;
    log(`attacks: ${attacks.length - failed} of ${attacks.length} refused with no side effect in ${seconds.toFixed(1)} s`);
    return { attacks, seconds };
  } finally {
    await running.stop();
  }
}

/** The attacks go into the report (so into junit.xml and report.html); one that got through or changed state fails the run. */
function foldAttacks(report: RunReport, gate: { attacks: NonNullable<RunReport['attacks']>; seconds: number }, beside: boolean): void {
  report.attacks = gate.attacks;
  const failed = report.attacks.filter((a) => a.verdict === 'got-through' || !a.stateUnchanged).length;
  // The verdict is the scenarios' and the attacks' together (a directory of suites alone: the attacks').
  report.verdict = failed === 0 && (report.scenarios.length === 0 || report.verdict === 'pass') ? 'pass' : 'fail';
  // Side by side (--jobs), the gate ran while the scenarios did; after them, it adds its own time.
  report.wallSeconds = Math.round((beside ? Math.max(report.wallSeconds, gate.seconds) : report.wallSeconds + gate.seconds) * 100) / 100;
}

/** `--jobs N` (a whole number ≥ 1) or `auto` (one per CPU core); 1 without the flag. */
function jobsFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return Math.max(1, availableParallelism());
  if (!/^[1-9][0-9]{0,2}$/.test(value)) throw new UsageError(`--jobs takes a whole number from 1 to 999 or auto, got ${JSON.stringify(value)}.`, 'Example: npx fleetbed run scenarios/ci --jobs 2');
  return Number(value);
}

/** One line per failed invariant, error and threshold, each with the line that replays it (run and merge print these). */
export function printFailures(report: RunReport, out: (line: string) => void): void {
  for (const a of report.attacks ?? []) {
    if (a.verdict === 'got-through' || !a.stateUnchanged) out(`FAIL attack ${a.id} (${a.class}): expected ${a.expected}, got ${a.got}${a.stateUnchanged || /state changed/.test(a.got) ? '' : ', state changed'}; replay with: ${a.replay ?? `npx fleetbed attack scenarios/security --only ${a.id}`}   (commit ${report.commit})`);
  }
  for (const s of report.scenarios.filter((x) => x.verdict === 'fail')) {
    for (const inv of s.invariants.filter((i) => i.verdict === 'fail')) out(`FAIL ${s.name} ${inv.id}: replay with: ${s.replay}   (commit ${report.commit})`);
    if (s.error) out(`FAIL ${s.name}: ${s.error}; replay with: ${s.replay}   (commit ${report.commit})`);
    for (const th of s.thresholds.filter((t) => t.verdict === 'fail')) out(`FAIL ${s.name} threshold ${th.metric} ${th.expression} (actual ${th.actual}); replay with: ${s.replay}`);
  }
}
