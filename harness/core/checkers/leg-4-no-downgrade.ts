import type { InvariantResult } from '../../../reports/types.ts';
import type { LegacyRunRecord, LegacyUploadEntry } from '../legacy/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import type { LegacyStores } from './_internals/legacy-stores.ts';
import { skipped, verdictOf } from './types.ts';

const ID = 'LEG-4';
const TITLE = INVARIANTS[ID];

/** What the platform answered a hostile action, in one line. */
function answer(u: LegacyUploadEntry): string {
  const verdicts = [...new Set(u.rows.map((x) => `${x.status ?? '-'}${x.code ? ` ${x.code}` : ''}`))].join(', ');
  return `HTTP ${u.http}${u.problem ? ` ${u.problem}` : ''}${u.rows.some((x) => x.status) ? ` (${verdicts})` : ''}`;
}

/**
 * LEG-4 no downgrade through an old API, from the engine's record and (when the
 * database is there) both stores: every hostile legacy action — unsigned v1
 * records for a serial that is a v2 device, records for another user's device,
 * a wrong secret, an upload to a retired line — got the answer the ledger booked
 * (each record refused with its code, or the whole request refused with its
 * status), before and after cutover, and none of its rows is in either store
 * (without the database, the answers alone are judged). `checked` = hostile actions.
 */
export function checkNoLegacyDowngrade(r: LegacyRunRecord, stores: LegacyStores | null): InvariantResult {
  const f = new Findings();
  const hostile = r.uploads.filter((u) => u.expected !== undefined);
  for (const u of hostile) {
    const e = u.expected!;
    const where = `${u.kind} on ${u.line} (${u.state}), day ${u.day + 1}, ${u.rows.length} records`;
    if ('records' in e) {
      const wholeRefusal = u.http >= 400 && u.http < 500 && u.rows.every((x) => x.status === null);
      const ok = wholeRefusal || (u.rows.length > 0 && u.rows.every((x) => x.status === 'refused' && x.code === e.records));
      if (!ok) f.add({ expected: `every record refused ${e.records}`, found: answer(u), detail: where });
    } else if (!e.http.includes(u.http) || u.rows.some((x) => x.status === 'stored' || x.status === 'duplicate')) {
      f.add({ expected: `HTTP ${e.http.join(' or ')}${e.code ? ` ${e.code}` : ''}, nothing written`, found: answer(u), detail: where });
    }
    if (!stores) continue;
    for (const row of u.rows) {
      for (const [name, store] of [['legacy', stores.legacy], ['v2', stores.v2]] as const) {
        if (store.has(row.rowKey)) f.add({ expected: `nothing of a refused ${u.kind} action in the ${name} store`, found: `row ${row.rowKey} is in the ${name} store`, detail: where });
      }
    }
  }
  if (hostile.length === 0) return skipped(ID, TITLE, 'the run made no hostile legacy action (legacy.hostile.actionsPerDay is 0, or nothing was due)');
  return verdictOf(ID, TITLE, hostile.length, f.witnesses, f.violations);
}
