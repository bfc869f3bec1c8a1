import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetbedError } from '../contract/fleetbed-error.ts';
import { writeFileAtomic } from './_internals/atomic-write.ts';
import { DEFAULT_REPORTERS, resolveReporters } from './registry.ts';
import type { RunReport } from './types.ts';

/**
 * Writes the named reports of `report` into `dir` (created if missing), each file
 * atomically. Every report is rendered before the first is written, so a bad
 * name or a rendering error leaves the directory untouched. Returns the path of
 * each file written, keyed by reporter name.
 */
export async function writeReports(dir: string, report: RunReport, names: readonly string[] = DEFAULT_REPORTERS): Promise<Record<string, string>> {
  const rendered = resolveReporters(names).map((r) => ({ r, text: r.render(report) }));
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new FleetbedError('FLEETBED_REPORT_WRITE_FAILED', `could not create the report directory ${dir}: ${(err as Error).message}. Pass a writable --report-dir.`, {
      cause: err,
    });
  }
  const paths: Record<string, string> = {};
  for (const { r, text } of rendered) {
    const path = join(dir, r.fileName);
    await writeFileAtomic(path, text);
    paths[r.name] = path;
  }
  return paths;
}

/** Where a run's reports go when `--report-dir` is not given: `reports/out/<run-id>`, relative to `root`. */
export function defaultReportDir(runId: string, root = ''): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId.includes('..')) {
    throw new FleetbedError(
      'FLEETBED_REPORT_RUN_ID_INVALID',
      `run id ${JSON.stringify(runId)} cannot name a directory: expected letters, digits, ".", "_" or "-" (no "/" or ".."), starting with a letter or digit.`,
    );
  }
  return join(root, 'reports', 'out', runId);
}
