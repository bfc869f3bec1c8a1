import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { colorEnabled, defaultReportDir, renderTable, writeReports } from '../../../reports/index.ts';
import { writeLoadHtml } from '../../../reports/load-html.ts';
import { mergeLoadShardReports } from '../../products/merge/merge-load-reports.ts';
import { checkOneKind, mergeShardReports, readShard, shardKind } from '../../products/merge/merge-reports.ts';
import { EXIT, parseCommandArgs, UsageError } from '../usage.ts';
import { printLoadSummary } from './load.ts';
import { printFailures } from './run.ts';

export const MERGE_HELP = `Usage: fleetbed merge DIR... [--report-dir OUT]

Add the reports of a sharded run (fleetbed run --shard i/N or fleetbed load
--shard i/N, one --report-dir per shard) into the report one process would have
written: the shards' ledger parts are added into the whole fleet's books, so the
totals and the ledger digest equal a single-process run of the same seed and
size; an invariant or threshold holds only if it held on every shard (witnesses
pooled). Load shards: arrivals, completions, errors and records add up, the
achieved rates are added, the target is the plan's. Latency percentiles cannot
be added: the merged ones are the highest of the shards' (an upper bound), max
and count are exact.

Writes summary.json, junit.xml and report.html into OUT, prints the table (for
load shards the load summary) and one replay line per failure (without --shard:
it replays the whole fleet).

Options:
  --report-dir OUT   where the merged reports go (default reports/out/<run-id>-merged/)
  --quiet            print only the table and the report paths
  -h, --help         this text

Exit codes: 0 every shard passed; 1 a scenario or the load failed on some shard;
2 the directories are not the complete, matching shards of one run, or mix run
and load shards (FLEETBED_MERGE_INPUT_INVALID).
`;

export async function merge(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, { 'report-dir': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    out(MERGE_HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('fleetbed merge takes the report directory of every shard, got none.', 'Example: npx fleetbed merge out/shard-1 out/shard-2 out/shard-3 --report-dir out/merged');
  const shards = positionals.map((dir) => readShard(dir));
  checkOneKind(shards);
  const command = ['fleetbed', 'merge', ...argv].join(' ');
  if (shardKind(shards[0]!) === 'load') {
    const { report, load } = mergeLoadShardReports(shards, command);
    if (!values.quiet) process.stderr.write(`fleetbed: merged ${shards.length} load shards of ${load.plan.name}: ${load.target.arrivals} arrivals, ledger ${report.ledgerDigest.slice(0, 16)}…\n`);
    const dir = values['report-dir'] ?? defaultReportDir(report.runId);
    mkdirSync(dir, { recursive: true });
    const paths = await writeReports(dir, report, ['json', 'junit']);
    paths.html = await writeLoadHtml(dir, load);
    printLoadSummary(report, load, out);
    out(`reports: ${Object.values(paths).map((p) => relative(process.cwd(), p)).join(', ')}`);
    return report.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  }
  const report = mergeShardReports(shards, command);
  if (!values.quiet) process.stderr.write(`fleetbed: merged ${shards.length} shards: ${report.scenarios.length} scenarios, run digest ${report.ledgerDigest.slice(0, 16)}…\n`);
  const dir = values['report-dir'] ?? defaultReportDir(report.runId);
  mkdirSync(dir, { recursive: true });
  const paths = await writeReports(dir, report);
  out(renderTable(report, { color: colorEnabled({ isTTY: Boolean(process.stdout.isTTY), env: process.env }) }));
  printFailures(report, out);
  out(`reports: ${Object.values(paths).map((p) => relative(process.cwd(), p)).join(', ')}`);
  return report.verdict === 'pass' ? EXIT.ok : EXIT.failed;
}
