import type { InvariantResult } from '../../../reports/types.ts';
import type { Divergence } from '../../../contract/legacy/dialect.ts';
import { predictCleanNights, storedRows } from '../legacy/prediction.ts';
import type { LegacyRunRecord } from '../legacy/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { verdictOf } from './types.ts';

const ID = 'LEG-3';
const TITLE = INVARIANTS[ID];

/**
 * LEG-3 the cutover gate, from the engine's record alone. Per line, night by
 * night, the ledger predicts the run of consecutive clean nights (any predicted
 * divergence resets it to 0; a missed night restarts it at 1): the platform's
 * `cleanNights` in each report equals it; a cutover request (the team asks every
 * morning) is granted only when the prediction had reached the line's N clean
 * nights, refused with 409 cutover-gate-closed before — and granted once it
 * has; and no status shows reads cut over without a granted request.
 * `checked` = nights compared + cutover requests.
 */
export function checkCutoverGate(r: LegacyRunRecord): InvariantResult {
  const f = new Findings();
  const rows = storedRows(r);
  const cache = new Map<string, Divergence[]>();
  const n = r.requiredCleanNights;
  let checked = 0;
  for (const line of r.legacy.migration.lines) {
    const predicted = predictCleanNights(r, rows, line, cache);
    for (const p of predicted) {
      const report = r.nights.find((x) => x.day === p.day)!.reports.find((x) => x.line === line)!;
      checked++;
      if (report.cleanNights !== p.cleanNights) {
        f.add({ expected: `${line}: ${p.cleanNights} consecutive clean nights${p.clean ? '' : ` (the ledger predicts ${p.prediction.divergences.length} divergences: the count resets)`}`, found: `cleanNights ${report.cleanNights}`, detail: `night ${p.day + 1} (${p.night})` });
      }
    }
    const requests = r.transitions.filter((x) => x.line === line && x.to === 'reads-cut-over').sort((a, b) => a.t - b.t);
    let granted = false;
    for (const q of requests) {
      checked++;
      const last = [...predicted].reverse().find((p) => p.t < q.t);
      const count = last?.cleanNights ?? 0;
      const when = `day ${q.day + 1}, after ${last ? `night ${last.day + 1}` : 'no reconciled night'}`;
      if (q.granted && count < n) f.add({ expected: `${line} cuts over only after ${n} consecutive clean nights`, found: `cut over after ${count}`, detail: when });
      else if (!q.granted && count >= n && !granted) f.add({ expected: `${line}'s gate opens after ${n} consecutive clean nights`, found: `refused: HTTP ${q.http} ${q.code ?? ''}`.trim(), detail: `${when}, which the ledger predicts is ${count} clean nights` });
      else if (!q.granted && q.code !== 'cutover-gate-closed' && !granted) f.add({ expected: '409 cutover-gate-closed for a request before the gate opens', found: `HTTP ${q.http} ${q.code ?? ''}`.trim(), detail: `${line}, ${when}` });
      if (q.granted) granted = true;
    }
    const early = r.nights.find((x) => x.statuses.some((s) => s.line === line && (s.state === 'reads-cut-over' || s.state === 'v2-only')) && !r.transitions.some((t) => t.line === line && t.granted && t.to === 'reads-cut-over' && t.t <= x.t));
    if (early) f.add({ expected: `${line} stays in dual-write until a cutover request is granted`, found: `status ${early.statuses.find((s) => s.line === line)!.state}`, detail: `night ${early.day + 1} (${early.night})` });
  }
  return verdictOf(ID, TITLE, checked, f.witnesses, f.violations);
}
