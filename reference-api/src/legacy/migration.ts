import type pg from 'pg';
import { dialectProblems, MIGRATION_STATES, type Dialect, type DialectRevision, type MigrationState } from '../../../contract/legacy/dialect.ts';
import type { LegacyLineStatus, LegacyMappingResult } from '../../../contract/legacy/wire.ts';
import type { Services } from '../app.ts';
import { inTransaction } from '../db/pool.ts';
import { ApiError } from '../errors.ts';
import { deployedRevisions, lineStatus, loadLine, nightBefore, nightOf, tsParam, type LineRow } from './lines.ts';
import { insertV2Rows, LEGACY_ROW_COLUMNS, remapV2Rows, toLegacyRow, type LegacyRow, type LegacyRowRecord } from './v2-write.ts';

/** Rows read and written at a time by the backfill and the re-derivation. */
const CHUNK = 5000;

/**
 * The cutover gate: reads move to v2 only after `required_clean_nights`
 * consecutive clean nights, the last of them reconciled tonight or last night
 * (a gate whose count is stale is closed). `detail` says where the line stands.
 */
export function cutoverGate(line: Pick<LineRow, 'clean_nights' | 'required_clean_nights' | 'last_reconciled_night'>, nowMs: number): { open: boolean; detail: string } {
  const tonight = nightOf(nowMs);
  const lastNight = nightBefore(tonight);
  const recent = line.last_reconciled_night === tonight || line.last_reconciled_night === lastNight;
  const enough = line.clean_nights >= line.required_clean_nights;
  const where = `${line.clean_nights} of ${line.required_clean_nights} consecutive clean nights, last reconciled ${line.last_reconciled_night ?? 'never'}`;
  return { open: enough && recent, detail: enough && !recent ? `${where}: the count needs a reconciliation of ${lastNight} or ${tonight}` : where };
}

/** Every legacy row of a line (optionally only those already in v2), a chunk at a time by row key. */
async function forEachLegacyChunk(client: pg.ClientBase, line: string, onlyInV2: boolean, fn: (rows: LegacyRow[]) => Promise<void>): Promise<void> {
  let after = '';
  for (;;) {
    const { rows } = await client.query<LegacyRowRecord>(
      `SELECT ${LEGACY_ROW_COLUMNS} FROM legacy.sessions s ${onlyInV2 ? 'JOIN legacy_sessions v USING (row_key)' : ''}
        WHERE s.line = $1 AND s.row_key > $2 ORDER BY s.row_key LIMIT ${CHUNK}`,
      [line, after],
    );
    if (rows.length === 0) return;
    await fn(rows.map(toLegacyRow));
    after = rows[rows.length - 1]!.row_key;
  }
}

/**
 * Move a line one step forward: legacy-only → dual-write (the mapping becomes
 * the revisions deployed now unless one was set; every legacy row is
 * backfilled into v2, in the same transaction), dual-write → reads-cut-over
 * (only through {@link cutoverGate}: 409 cutover-gate-closed otherwise),
 * reads-cut-over → v2-only. Anything else is 409 migration-state-invalid.
 * The line row is taken FOR UPDATE, so uploads in flight (which hold it
 * FOR KEY SHARE) finish first and later ones see the new state.
 */
export async function changeLineState({ db, clock }: Pick<Services, 'db' | 'clock'>, d: Dialect, target: MigrationState): Promise<LegacyLineStatus> {
  await inTransaction(db, async (client) => {
    const line = await loadLine(client, d.line, 'FOR UPDATE');
    const nowMs = await clock.now(client);
    const next = MIGRATION_STATES[MIGRATION_STATES.indexOf(line.state) + 1];
    if (target !== next) {
      throw new ApiError(
        'migration-state-invalid',
        `${d.line} is ${line.state}; ${next ? `the only next state is ${next}` : 'it is retired, no state follows'} (got ${target}). A migration moves one step forward at a time.`,
        { field: 'state' },
      );
    }
    switch (target) {
      case 'dual-write': {
        const mapping = line.mapping ?? (await deployedRevisions(client, d.line));
        await client.query(`UPDATE legacy_lines SET state = 'dual-write', dual_write_at = ${tsParam(2)}, mapping = $3, mapping_revision = $4 WHERE line = $1`, [
          d.line,
          nowMs,
          JSON.stringify(mapping),
          mapping[mapping.length - 1]!.revision,
        ]);
        await forEachLegacyChunk(client, d.line, false, async (rows) => {
          await insertV2Rows(client, d, mapping, rows, nowMs);
        });
        return;
      }
      case 'reads-cut-over': {
        const gate = cutoverGate(line, nowMs);
        if (!gate.open) throw new ApiError('cutover-gate-closed', `${d.line} cannot cut its reads over to v2 yet: ${gate.detail}. Any divergence resets the count.`, { field: 'state' });
        await client.query(`UPDATE legacy_lines SET state = 'reads-cut-over', cut_over_at = ${tsParam(2)} WHERE line = $1`, [d.line, nowMs]);
        return;
      }
      case 'v2-only':
        await client.query(`UPDATE legacy_lines SET state = 'v2-only', retired_at = ${tsParam(2)} WHERE line = $1`, [d.line, nowMs]);
        return;
      case 'legacy-only':
        throw new Error('unreachable: legacy-only follows no state');
    }
  });
  return lineStatus(db, d.line);
}

/** Set the consecutive clean nights a line needs before its reads cut over. */
export async function setLineGate(db: Services['db'], d: Dialect, requiredCleanNights: number): Promise<LegacyLineStatus> {
  await db.query('UPDATE legacy_lines SET required_clean_nights = $2 WHERE line = $1', [d.line, requiredCleanNights]);
  return lineStatus(db, d.line);
}

/** What is wrong with `revisions` as the mapping of line `d` (empty when nothing). */
export function mappingProblems(d: Dialect, revisions: readonly DialectRevision[]): string[] {
  const out = dialectProblems({ ...d, revisions });
  const first = revisions[0];
  const spec = d.revisions[0]!.fields;
  if (first && first.fields.recordId.name !== spec.recordId.name) out.push(`${d.line}.revisions[0].fields.recordId.name: must be ${spec.recordId.name}, the field that identifies the line's records`);
  if (first && first.fields.deviceSerial.name !== spec.deviceSerial.name) out.push(`${d.line}.revisions[0].fields.deviceSerial.name: must be ${spec.deviceSerial.name}, the line's device serial field`);
  return out;
}

/** JSON with sorted keys: two mappings are the same when they say the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * Replace a line's v1→v2 mapping (400 naming every problem; 409 once the
 * line is retired) and, past legacy-only, re-derive every v2 row of the line
 * from the legacy store's raw record under it, in one transaction. A mapping
 * that differs from the one in effect after dual-write began counts in
 * mapping_changes (sending the same one again does not).
 */
export async function setLineMapping({ db }: Pick<Services, 'db'>, d: Dialect, revisions: DialectRevision[]): Promise<LegacyMappingResult> {
  const problems = mappingProblems(d, revisions);
  if (problems.length > 0) throw new ApiError('validation-failed', `The mapping has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}.`, { field: 'revisions' });
  return inTransaction(db, async (client) => {
    const line = await loadLine(client, d.line, 'FOR UPDATE');
    if (line.state === 'v2-only') throw new ApiError('migration-state-invalid', `${d.line} is retired (v2-only): its v2 rows are final and its mapping no longer changes.`, { field: 'revisions' });
    const migrating = line.state !== 'legacy-only';
    const changed = migrating && (line.mapping === null || canonical(line.mapping) !== canonical(revisions));
    const { rows } = await client.query<{ mapping_changes: number }>(
      'UPDATE legacy_lines SET mapping = $2, mapping_revision = $3, mapping_changes = mapping_changes + $4 WHERE line = $1 RETURNING mapping_changes',
      [d.line, JSON.stringify(revisions), revisions[revisions.length - 1]!.revision, changed ? 1 : 0],
    );
    let remapped = 0;
    if (migrating) {
      await forEachLegacyChunk(client, d.line, true, async (chunk) => {
        remapped += await remapV2Rows(client, d, revisions, chunk);
      });
    }
    return { line: d.line, mappingRevision: revisions[revisions.length - 1]!.revision, mappingChanges: rows[0]!.mapping_changes, remapped };
  });
}
