import type { InvariantResult, Witness } from '../../../reports/types.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import type { FleetRunResult } from '../fleet/run-fleet.ts';
import type { RunHistory } from '../history.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import type { LegacyRunRecord } from '../legacy/types.ts';
import type { LegacyStores } from './_internals/legacy-stores.ts';

/**
 * What a checker may look at. Checkers only observe: they read the ledger, the
 * recorded history, the platform's API (GETs, and signing in to get a token)
 * and, where the harness owns it, the platform's database (SELECTs). They never
 * write domain state.
 */
export interface CheckContext {
  scenario: ResolvedScenario;
  /** The fleet run: its ledger, fleet columns and reconciliation with the platform. */
  fleet: FleetRunResult;
  /** What the harness saw while driving: uploads, latencies, care queries, mid-run snapshots. */
  history: RunHistory;
  /** Where the platform is. `databaseUrl` is absent for a bare --target-url. */
  env: { apiUrl: string; databaseUrl?: string };
  /** An OTA scenario's engine run (harness/core/ota), which the OTA checkers read. */
  ota?: OtaRunRecord;
  /** A legacy scenario's engine run (harness/core/legacy) and both stores after it (null without the database), which the LEG checkers read. */
  legacy?: { record: LegacyRunRecord; stores: LegacyStores | null };
}

/** A checker returns one result for its invariant. */
export type Checker = (ctx: CheckContext) => Promise<InvariantResult>;

export const MAX_WITNESSES = 20;

export function verdictOf(id: string, title: string, checked: number, witnesses: Witness[], violations = witnesses.length): InvariantResult {
  return { id, title, verdict: violations > 0 ? 'fail' : 'pass', checked, violations, witnesses: witnesses.slice(0, MAX_WITNESSES) };
}

export function skipped(id: string, title: string, reason: string): InvariantResult {
  return { id, title, verdict: 'skip', checked: 0, violations: 0, witnesses: [], skipReason: reason };
}
