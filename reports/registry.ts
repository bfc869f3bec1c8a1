import { FleetbedError } from '../contract/fleetbed-error.ts';
import { REPORT_HTML_FILE, renderHtml } from './html.ts';
import { JUNIT_XML_FILE, renderJunit } from './junit-xml.ts';
import { SUMMARY_JSON_FILE, renderSummaryJson } from './summary-json.ts';
import type { RunReport } from './types.ts';

/** A report writer: renders a {@link RunReport} into one file of a report directory. */
export interface Reporter {
  /** Registry key, as given to `--reporter`: `json`, `junit`, `html`. */
  readonly name: string;
  /** File name inside the report directory. */
  readonly fileName: string;
  /** One line for `--help`. */
  readonly description: string;
  /** The whole file. Pure: the same report gives the same bytes. */
  render(report: RunReport): string;
}

/** The built-in reporters, keyed by name. */
export const REPORTERS = Object.freeze({
  json: { name: 'json', fileName: SUMMARY_JSON_FILE, description: 'summary.json, the versioned machine-readable summary (reports/SUMMARY.md)', render: renderSummaryJson },
  junit: { name: 'junit', fileName: JUNIT_XML_FILE, description: 'junit.xml, one test case per invariant, threshold and attack case', render: renderJunit },
  html: { name: 'html', fileName: REPORT_HTML_FILE, description: 'report.html, one self-contained page with charts (no network)', render: renderHtml },
} satisfies Record<string, Reporter>);

export type ReporterName = keyof typeof REPORTERS;

/** The reporters `writeReports` uses when none are named. */
export const DEFAULT_REPORTERS: readonly ReporterName[] = Object.freeze(['json', 'junit', 'html'] as const);

/** True when `name` is a registered reporter. */
export function isReporterName(name: string): name is ReporterName {
  return Object.hasOwn(REPORTERS, name);
}

/**
 * The reporters for `names`, in order and without repeats. Throws
 * `FLEETBED_REPORTER_INVALID` naming the unknown one and the known ones, before
 * anything is written.
 */
export function resolveReporters(names: readonly string[]): Reporter[] {
  const out: Reporter[] = [];
  for (const name of names) {
    if (!isReporterName(name)) {
      throw new FleetbedError(
        'FLEETBED_REPORTER_INVALID',
        `unknown reporter ${JSON.stringify(name)}: expected one of ${Object.keys(REPORTERS).join(', ')}.`,
      );
    }
    if (!out.includes(REPORTERS[name])) out.push(REPORTERS[name]);
  }
  return out;
}
