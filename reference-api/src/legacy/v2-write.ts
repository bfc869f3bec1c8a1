import type pg from 'pg';
import { interpret, revisionFor, type CanonicalSession, type Dialect, type DialectRevision, type RawRecord, type RawValue } from '../../../contract/legacy/dialect.ts';
import { inTransaction } from '../db/pool.ts';
import { mapLegacyIdentities } from './identity-map.ts';
import { loadLine, tsParam } from './lines.ts';

/** A row of the legacy store as the v2 side needs it: its identity and the raw record. */
export interface LegacyRow {
  rowKey: string;
  userId: string;
  recordId: string;
  deviceSerial: string;
  appBuild: number;
  raw: RawRecord;
}

/** What v2 holds of a legacy row under a mapping. */
export interface DerivedV2Row {
  rowKey: string;
  recordId: string;
  deviceSerial: string;
  appBuild: number;
  mappingRevision: number;
  session: CanonicalSession;
  unmapped: Record<string, RawValue>;
}

/** The columns' ranges: a value v2 cannot hold is stored as null (and shows in reconciliation as a field that differs). */
const fits = (n: number | null, max: number): number | null => (n !== null && Number.isSafeInteger(n) && Math.abs(n) <= max ? n : null);
export const MAX_BIGINT_VALUE = Number.MAX_SAFE_INTEGER;
export const MAX_INT_VALUE = 2_147_483_647;

/**
 * A legacy row read under the mapping's revision for its build (not the old
 * API's): raw fields that revision has no place for are kept in `unmapped`,
 * never dropped.
 */
export function deriveV2Row(d: Dialect, mapping: readonly DialectRevision[], row: LegacyRow): DerivedV2Row {
  const rev = revisionFor(mapping, row.appBuild);
  // Cannot throw: a mapping's record id and serial fields are the line's (checked when it is set).
  const it = interpret(d, rev, row.raw);
  const s = it.session;
  return {
    rowKey: row.rowKey,
    recordId: row.recordId,
    deviceSerial: row.deviceSerial,
    appBuild: row.appBuild,
    mappingRevision: rev.revision,
    session: { startedAt: fits(s.startedAt, MAX_BIGINT_VALUE), durationS: fits(s.durationS, MAX_BIGINT_VALUE), coverage: fits(s.coverage, MAX_INT_VALUE), mode: s.mode, extras: s.extras },
    unmapped: it.unmapped,
  };
}

const columns = (rows: readonly DerivedV2Row[]) => [
  rows.map((r) => r.rowKey),
  rows.map((r) => r.mappingRevision),
  rows.map((r) => r.session.startedAt),
  rows.map((r) => r.session.durationS),
  rows.map((r) => r.session.coverage),
  rows.map((r) => r.session.mode),
  rows.map((r) => JSON.stringify(r.session.extras)),
  rows.map((r) => JSON.stringify(r.unmapped)),
];

/**
 * Insert legacy rows into v2 under `mapping`, in the caller's transaction: the
 * identity map first (find or create each user's account), then the rows
 * (a row already in v2 is left as it is). Returns the rows inserted.
 */
export async function insertV2Rows(client: pg.ClientBase, d: Dialect, mapping: readonly DialectRevision[], rows: readonly LegacyRow[], nowMs: number): Promise<number> {
  if (rows.length === 0) return 0;
  const accounts = await mapLegacyIdentities(client, d, [...new Set(rows.map((r) => r.userId))], nowMs);
  const derived = rows.map((r) => deriveV2Row(d, mapping, r));
  const res = await client.query(
    `INSERT INTO legacy_sessions (row_key, mapping_revision, started_at, duration_s, coverage, mode, extras, unmapped,
                                  line, account_id, record_id, device_serial, app_build, written_at)
     SELECT u.row_key, u.rev, u.started_at, u.duration_s, u.coverage, u.mode, u.extras, u.unmapped, $9, u.account_id, u.record_id, u.serial, u.build, ${tsParam(14)}
       FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::jsonb[], $8::jsonb[], $10::uuid[], $11::text[], $12::text[], $13::int[])
         AS u(row_key, rev, started_at, duration_s, coverage, mode, extras, unmapped, account_id, record_id, serial, build)
     ON CONFLICT (row_key) DO NOTHING`,
    [
      ...columns(derived),
      d.line,
      rows.map((r) => accounts.get(r.userId)!),
      rows.map((r) => r.recordId),
      rows.map((r) => r.deviceSerial),
      rows.map((r) => r.appBuild),
      nowMs,
    ],
  );
  return res.rowCount ?? 0;
}

/** Re-derive rows that are in v2 under `mapping` (in the caller's transaction). Returns the rows updated. */
export async function remapV2Rows(client: pg.ClientBase, d: Dialect, mapping: readonly DialectRevision[], rows: readonly LegacyRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `UPDATE legacy_sessions v SET mapping_revision = u.rev, started_at = u.started_at, duration_s = u.duration_s, coverage = u.coverage,
                                  mode = u.mode, extras = u.extras, unmapped = u.unmapped
       FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::jsonb[], $8::jsonb[])
         AS u(row_key, rev, started_at, duration_s, coverage, mode, extras, unmapped)
      WHERE v.row_key = u.row_key`,
    columns(rows.map((r) => deriveV2Row(d, mapping, r))),
  );
  return res.rowCount ?? 0;
}

/**
 * The v2 write of dual-write and of the repair job: in one transaction, under
 * the line's current mapping (read with a key-share lock, so that a mapping or
 * state change waits for it), the rows go into v2 and out of the outbox.
 */
export async function writeV2(db: pg.Pool, d: Dialect, rows: readonly LegacyRow[], nowMs: number): Promise<number> {
  if (rows.length === 0) return 0;
  return inTransaction(db, async (client) => {
    const line = await loadLine(client, d.line, 'FOR KEY SHARE');
    if (!line.mapping) throw new Error(`${d.line} has no v1→v2 mapping (state ${line.state}): nothing to write to v2`);
    const n = await insertV2Rows(client, d, line.mapping, rows, nowMs);
    await client.query('DELETE FROM legacy.outbox WHERE row_key = ANY($1::text[])', [rows.map((r) => r.rowKey)]);
    return n;
  });
}

/** SQL of the LegacyRow columns of legacy.sessions `s`. */
export const LEGACY_ROW_COLUMNS = 's.row_key, s.user_id, s.record_id, s.device_serial, s.app_build, s.raw';

export interface LegacyRowRecord {
  row_key: string;
  user_id: string;
  record_id: string;
  device_serial: string;
  app_build: number;
  raw: RawRecord;
}

export const toLegacyRow = (r: LegacyRowRecord): LegacyRow => ({ rowKey: r.row_key, userId: r.user_id, recordId: r.record_id, deviceSerial: r.device_serial, appBuild: r.app_build, raw: r.raw });
