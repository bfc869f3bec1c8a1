import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { defaultReportDir, resolveReporters, writeReports } from '../../../reports/index.ts';
import { ATTACK_CASES } from '../../products/attack/cases/index.ts';
import { attackReport, runAttacks, type CaseOutcome } from '../../products/attack/run-attacks.ts';
import { loadCapture, replayCapture } from '../../products/attack/replay.ts';
import { caseSelected, casesOfSuites, loadAttackSuites, SuiteError } from '../../products/attack/suite.ts';
import { renderAttackTable } from '../../products/attack/terminal.ts';
import type { AttackCase } from '../../products/attack/types.ts';
import { checkEnvironmentOptions, resolveEnvironment } from '../../core/env/index.ts';
import { ENVIRONMENT_KINDS } from '../../core/env/options.ts';
import { choiceFlag, EXIT, parseCommandArgs, UsageError } from '../usage.ts';

export const ATTACK_HELP = `Usage: fleetbed attack <security suite file or directory> [options]

Play a forged phone against the platform (docs/design.md AUTH-4): replay, tampering,
forged identities, BOLA, bonding tricks, mass assignment, bad tokens, phone
tokens on operator routes, forged OTA traffic, the old v1 lines, resource exhaustion. Every case
must be refused with the expected status and problem code AND leave the state
digest (GET /testbed/digest) unchanged; the exact request of any case that got
through is printed (secrets redacted).

Options:
  --env NAME            embedded (default: a fresh PostgreSQL + API), url, or containers
  --target-url URL      a running platform in test mode (implies --env url;
                        set FLEETBED_FACTORY_SECRET)
  --api-entry FILE      embedded: start this entry instead of reference-api/src/server.ts
  --replay FILE         also replay a capture (fleetbed run --capture FILE) under
                        mutation operators; any mutated record answered "stored" is a finding
  --only IDS            comma-separated case ids or id prefixes (tamper-,bola-read-device)
  --list                print the catalogue (id, class, expected) and exit
  --report-dir DIR      where summary.json, junit.xml and report.html go
                        (default reports/out/<run-id>/)
  --reporters LIST      comma-separated: json,junit,html (default all three)
  --quiet               no per-case progress
  -h, --help            this text

Exit codes: 0 every attack was refused with no side effect; 1 one got through
(or changed state); 2 bad usage.
`;

export async function attack(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'attack',
    argv,
    {
      env: { type: 'string' },
      'target-url': { type: 'string' },
      'api-entry': { type: 'string' },
      replay: { type: 'string' },
      only: { type: 'string' },
      list: { type: 'boolean' },
      'report-dir': { type: 'string' },
      reporters: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(ATTACK_HELP);
    return EXIT.ok;
  }
  if (values.list) {
    for (const c of ATTACK_CASES) out(`${c.id}\t${c.class}\t${(await import('../../products/attack/run-attacks.ts')).describeExpected(c.expected)}`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`fleetbed attack takes one security suite file or directory, got ${positionals.length}.`, 'Example: npx fleetbed attack scenarios/security');
  const env = choiceFlag('env', values.env, ENVIRONMENT_KINDS);
  const reporters = values.reporters ? values.reporters.split(',').map((s) => s.trim()) : undefined;
  if (reporters) resolveReporters(reporters);
  let suites;
  try {
    suites = await loadAttackSuites(positionals[0]!);
  } catch (err) {
    if (err instanceof SuiteError) throw new UsageError(err.message, 'Security suites are .ts files exporting default defineAttackSuite({...}); see scenarios/security/.');
    throw err;
  }
  if (suites.length === 0) throw new UsageError(`no security suite under ${positionals[0]}.`);
  const matches = (c: AttackCase, sel: string[]) => caseSelected(c.id, sel);
  let cases = casesOfSuites(ATTACK_CASES, suites);
  if (values.only) {
    const only = values.only.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = only.filter((s) => !ATTACK_CASES.some((c) => matches(c, [s])));
    if (unknown.length) throw new UsageError(`--only names no case: ${unknown.join(', ')}.`, 'Run "fleetbed attack --list" for the case ids.');
    cases = cases.filter((c) => matches(c, only));
  }
  const capture = values.replay !== undefined ? loadCapture(values.replay) : undefined;
  const seed = suites[0]!.seed;
  const quiet = Boolean(values.quiet);
  const log = (l: string) => {
    if (!quiet) process.stderr.write(`fleetbed: ${l}\n`);
  };

  const started = new Date();
  const t0 = performance.now();
  const environment = resolveEnvironment(checkEnvironmentOptions({
    ...(env ? { env } : {}),
    ...(values['target-url'] ? { targetUrl: values['target-url'] } : {}),
    ...(values['api-entry'] ? { apiEntry: values['api-entry'] } : {}),
  }));
  log(`starting the ${environment.kind} environment…`);
  const running = await environment.start();
  let results: CaseOutcome[] = [];
  try {
    if (!running.testMode) throw new UsageError('fleetbed attack needs a platform in test mode (the state digest is a testbed hook).');
    log(`platform at ${running.apiUrl}; building the world and running ${cases.length} cases`);
    const run = await runAttacks({
      apiUrl: running.apiUrl,
      factorySecret: running.factorySecret,
      cases,
      seed,
      onCase: (r, i, n) => log(`${r.verdict === 'refused' && r.stateUnchanged ? 'refused    ' : 'GOT THROUGH'} ${r.id} (${i + 1}/${n})`),
    });
    results = run.results;
    if (capture) {
      log(`replaying ${capture.length} captured requests under mutation operators`);
      results.push(...(await replayCapture(capture, run.http, run.world, (r) => log(`${r.verdict === 'refused' && r.stateUnchanged ? 'refused    ' : 'GOT THROUGH'} ${r.id}`))));
    }
  } finally {
    await running.stop();
  }
  const report = attackReport({
    command: ['fleetbed', 'attack', ...argv].join(' '),
    seed,
    startedAt: started,
    wallSeconds: Math.round((performance.now() - t0) / 10) / 100,
    environment: { kind: running.kind, apiUrl: running.apiUrl },
    attacks: results,
  });
  const dir = values['report-dir'] ?? defaultReportDir(report.runId);
  mkdirSync(dir, { recursive: true });
  const paths = await writeReports(dir, report, reporters as Parameters<typeof writeReports>[2]);
  out(renderAttackTable(results, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR));
  out(`reports: ${Object.values(paths).map((p) => relative(process.cwd(), p)).join(', ')}`);
  return report.verdict === 'pass' ? EXIT.ok : EXIT.failed;
}
