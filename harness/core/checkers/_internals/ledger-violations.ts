import type { LedgerViolation } from '../../../../simulators/ledger.ts';
import type { FleetRunResult } from '../../fleet/run-fleet.ts';
import type { Findings } from './findings.ts';

/** Time-rule codes: a rejection with one of these (or one the rules predicted) belongs to ING-4, any other to ING-5. */
export const TIME_CODES: ReadonlySet<string> = new Set(['too-late', 'too-far-in-future']);

/** Whether an `unexpected-rejection` violation is about the time rules (ING-4) rather than a good record refused (ING-5). */
export function isTimeRuleRejection(v: LedgerViolation): boolean {
  const code = /rejected as (\S+?);/.exec(v.detail)?.[1];
  const predicted = /predict (\S+?) \(/.exec(v.detail)?.[1];
  return (code !== undefined && TIME_CODES.has(code)) || (predicted !== undefined && TIME_CODES.has(predicted));
}

/**
 * Book the ledger's violations whose check is in `checks` (and pass `filter`)
 * as findings. The ledger keeps the first 20 violations with details and a
 * total; when it also reports counts per check (`totals.violationsByCheck`),
 * those counts are used, so a kind beyond the first 20 is never missed.
 * Returns how many were booked.
 */
export function bookLedgerViolations(run: FleetRunResult, checks: readonly string[], findings: Findings, expected: (v: LedgerViolation) => string, filter: (v: LedgerViolation) => boolean = () => true): number {
  const examples = run.violations.filter((v) => checks.includes(v.check) && filter(v));
  const byCheck = (run.totals as { violationsByCheck?: Record<string, number> }).violationsByCheck;
  let total = examples.length;
  if (byCheck) {
    const counted = checks.reduce((n, c) => n + (byCheck[c] ?? 0), 0);
    // A filter splits one check between two invariants: the examples tell the split, the counts the scale.
    const unfiltered = run.violations.filter((v) => checks.includes(v.check)).length;
    total = unfiltered === examples.length ? Math.max(counted, examples.length) : examples.length;
  }
  for (const v of examples) {
    findings.add({
      ...(v.deviceId !== undefined ? { device: v.deviceId } : {}),
      ...(v.seq !== undefined ? { seq: v.seq } : {}),
      expected: expected(v),
      found: `${v.check}: ${v.detail}`,
      detail: 'ledger (the harness booked every verdict the platform gave)',
    });
  }
  findings.violations += total - examples.length;
  return total;
}

/** Ledger violations the ledger counted but did not keep (beyond its first 20), and whose kind is therefore unknown. */
export function unkeptLedgerViolations(run: FleetRunResult): number {
  const byCheck = (run.totals as { violationsByCheck?: Record<string, number> }).violationsByCheck;
  return byCheck ? 0 : Math.max(0, run.totals.violations - run.violations.length);
}
