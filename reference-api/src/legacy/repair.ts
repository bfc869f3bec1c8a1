import type { LegacyRepairJobResult } from '../../../contract/legacy/wire.ts';
import { dialectOf } from '../../../contract/legacy/dialects.ts';
import type { Services } from '../app.ts';
import { LEGACY_ROW_COLUMNS, toLegacyRow, writeV2, type LegacyRowRecord } from './v2-write.ts';

const REPAIR_LOCK = 748_211;
const CHUNK = 1000;

/**
 * The repair job: every legacy row whose v2 write is owed (the outbox: its
 * legacy commit happened, its v2 write failed or has not happened yet) is
 * written to v2 under the line's current mapping, and leaves the outbox in
 * the same transaction — a chunk at a time, oldest first. Idempotent: a row
 * some upload wrote to v2 meanwhile is left as it is. Runs are serialised
 * across API processes by an advisory lock.
 */
export async function runLegacyRepair({ db, clock }: Pick<Services, 'db' | 'clock'>): Promise<LegacyRepairJobResult> {
  const lock = await db.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [REPAIR_LOCK]);
    try {
      const nowMs = await clock.now();
      let repaired = 0;
      const { rows: lines } = await db.query<{ line: string }>('SELECT DISTINCT line FROM legacy.outbox ORDER BY line');
      for (const { line } of lines) {
        const d = dialectOf(line);
        if (!d) continue;
        let after = '';
        for (;;) {
          const { rows } = await db.query<LegacyRowRecord>(
            `SELECT ${LEGACY_ROW_COLUMNS} FROM legacy.outbox o JOIN legacy.sessions s USING (row_key)
              WHERE o.line = $1 AND o.row_key > $2 ORDER BY o.row_key LIMIT ${CHUNK}`,
            [line, after],
          );
          if (rows.length === 0) break;
          await writeV2(db, d, rows.map(toLegacyRow), nowMs);
          repaired += rows.length;
          after = rows[rows.length - 1]!.row_key;
        }
      }
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM legacy.outbox');
      return { repaired, pending: rows[0]!.n };
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [REPAIR_LOCK]);
    }
  } finally {
    lock.release();
  }
}
