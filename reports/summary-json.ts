import { join } from 'node:path';
import { writeFileAtomic } from './_internals/atomic-write.ts';
import type { RunReport } from './types.ts';

/** File name of the JSON summary inside a report directory. */
export const SUMMARY_JSON_FILE = 'summary.json';

/**
 * The report as `summary.json` text: the {@link RunReport} itself, pretty-printed
 * with two-space indents and a final newline (schema: reports/SUMMARY.md).
 */
export function renderSummaryJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Writes `<dir>/summary.json` atomically; `dir` must exist. Returns the file's path. */
export async function writeSummaryJson(dir: string, report: RunReport): Promise<string> {
  const path = join(dir, SUMMARY_JSON_FILE);
  await writeFileAtomic(path, renderSummaryJson(report));
  return path;
}
