import type { InvariantResult } from '../../../reports/types.ts';
import { v2WriteFails } from '../../../contract/legacy/wire.ts';
import { dialectIn, mappingAt, storedRows, v2SideOf } from '../legacy/prediction.ts';
import type { LegacyRunRecord } from '../legacy/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { sessionDifference, unmappedDifference, type LegacyStores } from './_internals/legacy-stores.ts';
import { skipped, verdictOf } from './types.ts';

const ID = 'LEG-1';
const TITLE = INVARIANTS[ID];
const DAY = 86_400;

/** Where a row is, for a witness: the row key (opaque: no legacy id shows), its line and upload day. */
const at = (line: string, rowKey: string, day: number) => `row ${rowKey} of ${line}, uploaded on day ${day + 1}`;

/**
 * LEG-1 dual-write, from the engine's record and both stores read after the run
 * (needs the platform's database; skipped without it):
 * - every record the world's apps sent was accepted: `stored` the first time, `duplicate` when sent again;
 * - every row the platform stored is in the line's legacy store, equal to the world's truth;
 * - once the line is in dual-write, it is in the v2 store too, equal to its raw record read under the
 *   mapping in force at the end (contract interpret, unmapped raw fields kept as received) — and not before;
 * - the partial case is answered honestly: an upload with a row whose first v2 write the fault skipped
 *   says `v2: pending`, and no row stays missing in v2 past the next night's repair (reconciliation would report it).
 * (Rows the ledger never sent are not judged: on a shared platform other runs write the same lines.)
 * `checked` = rows stored.
 */
export function checkDualWrite(r: LegacyRunRecord, stores: LegacyStores | null): InvariantResult {
  if (!stores) return skipped(ID, TITLE, 'needs the platform database (DATABASE_URL) to read both stores; the v1 read route shows one store at a time');
  const f = new Findings();
  const rows = storedRows(r);
  const end = r.days * DAY;

  for (const u of r.uploads) {
    if (u.kind !== 'app' && u.kind !== 'retry') continue;
    for (const row of u.rows) {
      const first = rows.get(row.rowKey);
      const ok = row.status === 'stored' ? first !== undefined : row.status === 'duplicate' && first !== undefined && first.t <= u.t;
      if (!ok) f.add({ expected: u.kind === 'retry' ? 'a retried record answered duplicate' : 'an app record answered stored (or duplicate when sent again)', found: `${row.status ?? `HTTP ${u.http}`}${row.code ? ` ${row.code}` : u.problem ? ` ${u.problem}` : ''}`, detail: at(u.line, row.rowKey, u.day) });
    }
    const dualWrite = u.state === 'dual-write' || u.state === 'reads-cut-over';
    if (dualWrite && r.v2WriteFailurePerMille > 0 && u.rows.some((x) => x.status === 'stored' && v2WriteFails(x.rowKey, r.v2WriteFailurePerMille)) && u.v2 !== 'pending') {
      f.add({ expected: 'v2: pending (a stored row’s v2 write failed after the legacy commit)', found: `v2: ${u.v2 ?? 'absent'}`, detail: `upload of ${u.line} on day ${u.day + 1}, ${u.rows.length} records` });
    }
  }

  for (const row of rows.values()) {
    const legacy = stores.legacy.get(row.rowKey);
    if (!legacy) f.add({ expected: 'in the legacy store', found: 'missing', detail: at(row.line, row.rowKey, row.day) });
    else {
      const diff = sessionDifference(row.truth, legacy.session);
      if (diff) f.add({ expected: 'the legacy store holds the session the app sent', found: `legacy store: ${diff}`, detail: at(row.line, row.rowKey, row.day) });
    }
    const mapping = mappingAt(r, row.line, end);
    const v2 = stores.v2.get(row.rowKey);
    if (!mapping) {
      if (v2) f.add({ expected: 'no v2 row while the line is legacy-only', found: 'a v2 row', detail: at(row.line, row.rowKey, row.day) });
      continue;
    }
    if (!v2) {
      f.add({ expected: 'in the v2 store (dual-write, repaired by the next night)', found: 'missing in v2 at the end of the run', detail: at(row.line, row.rowKey, row.day) });
      continue;
    }
    const want = v2SideOf(dialectIn(r, row.line), mapping, row);
    const diff = sessionDifference(want.session, v2.session) ?? unmappedDifference(want.unmapped, v2.unmapped);
    if (diff) f.add({ expected: 'the v2 row equals the raw record under the mapping in force, unmapped fields kept', found: `v2 store: ${diff}`, detail: `${at(row.line, row.rowKey, row.day)}; mapping revisions ${mapping.map((x) => x.revision).join(',')}` });
  }

  // The repair bound: reconciliation runs after the nightly repair, so a stored row reported missing in v2 was not repaired in time.
  for (const night of r.nights) {
    for (const report of night.reports) {
      for (const d of report.rows) {
        if (d.kind !== 'missing-in-v2') continue;
        const row = rows.get(d.rowKey);
        if (row && row.t <= night.t) f.add({ expected: 'a row missing in v2 is repaired before the next reconciliation', found: `reported missing in v2 on night ${night.day + 1} (${night.night})`, detail: at(row.line, row.rowKey, row.day) });
      }
    }
  }
  return verdictOf(ID, TITLE, rows.size, f.witnesses, f.violations);
}
