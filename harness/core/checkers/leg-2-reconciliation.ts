import type { InvariantResult } from '../../../reports/types.ts';
import { DIVERGENCE_KINDS, type Divergence, type DivergenceKind } from '../../../contract/legacy/dialect.ts';
import { divergenceKey, predictNight, stateAt, storedRows } from '../legacy/prediction.ts';
import type { LegacyRunRecord } from '../legacy/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { verdictOf } from './types.ts';

const ID = 'LEG-2';
const TITLE = INVARIANTS[ID];

const what = (d: Divergence) => `${d.kind}${d.field ? ` ${d.field}` : ''} of row ${d.rowKey}`;

/**
 * LEG-2 reconciliation, from the engine's record alone: every night, for every
 * line in dual-write or later, the platform's report (`GET …/reconciliations/{night}`,
 * with its rows) equals exactly the divergences the ledger predicts — every row
 * stored before it, the world's truth against the raw record read under the
 * mapping then in force (contract interpret and diffRow) — by kind, field and
 * row; its counts by kind and its `clean` flag agree; it compared every row; and
 * a clean night reports none. A row whose first v2 write the fault skipped may
 * show as missing in v2 (LEG-1 judges the repair). `checked` = reports compared.
 */
export function checkReconciliation(r: LegacyRunRecord): InvariantResult {
  const f = new Findings();
  const rows = storedRows(r);
  const cache = new Map<string, Divergence[]>();
  let checked = 0;
  for (const night of r.nights) {
    const where = `night ${night.day + 1} (${night.night})`;
    for (const line of r.legacy.lines) {
      const p = predictNight(r, rows, line, night, cache);
      const report = night.reports.find((x) => x.line === line);
      const state = stateAt(r, line, night.t);
      if (!p) continue;
      if (!report) {
        if (state === 'dual-write') f.add({ expected: `a reconciliation report for ${line} (in dual-write)`, found: 'none', detail: where });
        continue;
      }
      checked++;
      const predicted = new Map(p.divergences.map((d) => [divergenceKey(d), d]));
      const reported = new Map(report.rows.map((d) => [divergenceKey(d), d]));
      let missed = 0;
      for (const [k, d] of predicted) if (!reported.has(k)) {
        missed++;
        f.add({ expected: `reconciliation of ${line} reports ${what(d)}`, found: report.clean ? 'a clean night' : `not among its ${report.rows.length} rows`, detail: `${where}; the ledger predicts ${p.divergences.length} divergences over ${p.rows} rows` });
      }
      for (const [k, d] of reported) if (!predicted.has(k) && !p.tolerated.has(k)) f.add({ expected: `only divergences the ledger knows (${p.divergences.length} for ${line})`, found: `reported ${what(d)}`, detail: where });
      const counts = Object.fromEntries(DIVERGENCE_KINDS.map((k) => [k, 0])) as Record<DivergenceKind, number>;
      for (const d of report.rows) counts[d.kind]++;
      for (const k of DIVERGENCE_KINDS) if ((report.divergences[k] ?? 0) !== counts[k]) f.add({ expected: `the report's ${k} count equals its rows of that kind (${counts[k]})`, found: String(report.divergences[k] ?? 0), detail: `${line}, ${where}` });
      const clean = report.rows.length === 0;
      if (report.clean !== clean) f.add({ expected: `clean: ${clean} (${report.rows.length} divergent rows)`, found: `clean: ${report.clean}`, detail: `${line}, ${where}` });
      if (report.rowsCompared !== p.rows && missed === 0) f.add({ expected: `every row of ${line} compared (${p.rows} in the ledger)`, found: `rowsCompared ${report.rowsCompared}`, detail: where });
    }
  }
  return verdictOf(ID, TITLE, checked, f.witnesses, f.violations);
}
