/**
 * npm run fuzz [-- --runs N] [--seed S] [--route OP …] [--path P] [--no-shrink]
 *
 * Long runs of the route fuzzer of test/fuzz/ (the suite runs a few requests per
 * route): starts the embedded environment (a real PostgreSQL and the reference
 * API as a child process, in test mode), builds the fuzz world over real HTTP,
 * and sends N schema-derived hostile requests to every route of
 * contract/openapi.ts, checking the state digest: no 5xx, nothing written on a
 * 4xx. Each failure prints the line that replays it. Exit code 0 clean, 1 a
 * failure, 2 a usage error. Last line of stdout: one JSON object.
 *
 * Started by scripts/fuzz.mjs, not a bench: bench/ may not import test/, where
 * the fuzzer lives next to the suite that runs it. Its flags are read by the
 * same strict parser the CLI and the benches share (harness/core/flags.ts).
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EXIT, UsageError } from '../../harness/core/errors.ts';
import { intFlag, parseFlags, seedFlag } from '../../harness/core/flags.ts';
import { EmbeddedEnvironment } from '../../harness/core/env/index.ts';
import { formatFailure, formatRouteLine, fuzzRoutes, resolveFuzzOptions, type FuzzOptions } from './fuzz-routes.ts';
import { referenceWorld } from './reference-world.ts';
import { httpTransport } from './_internals/transport.ts';

const USAGE = `fuzz — every route of contract/openapi.ts, hostile requests from its schemas, no 5xx and no write on a 4xx

Usage: npm run fuzz -- [options]

Starts the embedded environment (real PostgreSQL, the reference API over HTTP, test
mode) and fuzzes every route; a failure prints the request and its replay line.
Exit code 0: clean; 1: a failure; 2: a usage error. Last line: one JSON object.

Options:
  --runs N       requests per route (default 200)
  --seed S       root seed; each route's fast-check seed derives from it (default: random, printed)
  --route OP     only this operationId (repeatable)
  --path P       replay this fast-check counterexample path (with one --route)
  --no-shrink    report the first failing request as it is (faster)
  -h, --help     this text
`;
const HINT = 'Run "npm run fuzz -- --help" for the flags it takes.';

let options: FuzzOptions;
try {
  const { values } = parseFlags(process.argv.slice(2), { runs: { type: 'string' }, seed: { type: 'string' }, route: { type: 'string', multiple: true }, path: { type: 'string' }, 'no-shrink': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, { hint: HINT });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(EXIT.ok);
  }
  options = resolveFuzzOptions({
    runs: intFlag('runs', values.runs, 1) ?? 200,
    seed: seedFlag('seed', values.seed) ?? String(randomInt(2 ** 47)),
    routes: values.route,
    path: values.path,
    shrink: !values['no-shrink'],
  });
} catch (err) {
  if (!(err instanceof UsageError) && !(err instanceof Error && 'code' in err && err.code === 'FLEETBED_FUZZ_OPTIONS_INVALID')) throw err;
  process.stderr.write(`fuzz: ${err.message}\n${HINT}\n`);
  process.exit(EXIT.usage);
}
const log = (s: string) => process.stderr.write(`[fuzz] ${s}\n`);

const started = performance.now();
await using env = await new EmbeddedEnvironment().start();
log(`embedded environment ready at ${env.apiUrl}; seed ${options.seed}, ${options.runs} requests per route`);
const transport = httpTransport(env.apiUrl);
const world = await referenceWorld(transport, env.factorySecret);
const report = await fuzzRoutes(transport, world, { ...options, onRoute: (r) => log(formatRouteLine(r)) });

for (const r of report.routes) console.log(formatRouteLine(r));
for (const f of report.failures) console.log(`\n${formatFailure(f)}`);
if (report.failures.length) {
  const apiLog = await readFile(env.apiLogFile, 'utf8').catch(() => '');
  const errors = apiLog.split('\n').filter((l) => l.includes('"level":50')).slice(0, 5);
  if (errors.length) console.log(`\nAPI log (first ${errors.length} errors):\n${errors.map((l) => `  ${l.slice(0, 1000)}`).join('\n')}`);
}
const requests = report.routes.reduce((n, r) => n + r.requests, 0);
const statuses: Record<string, number> = {};
for (const r of report.routes) for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
console.log(JSON.stringify({ seed: report.seed, runs: report.runs, routes: report.routes.length, requests, statuses, seconds: +((performance.now() - started) / 1000).toFixed(1), failures: report.failures.map((f) => f.replay) }));
process.exitCode = report.failures.length ? EXIT.failed : EXIT.ok;
