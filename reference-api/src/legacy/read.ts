import { legacyIdentityKey, type Dialect, type LegacyMode, type MigrationState, type RawValue } from '../../../contract/legacy/dialect.ts';
import type { LegacyReadResult, LegacySessionView } from '../../../contract/legacy/wire.ts';
import type { Db } from './lines.ts';

/** Sessions a v1 read answers at most. */
export const MAX_LEGACY_READ = 1000;

interface Row {
  record_id: string;
  device_serial: string;
  started_at: number | null;
  duration_s: number | null;
  coverage: number | null;
  mode: LegacyMode | null;
  extras: Record<string, RawValue>;
}

const view = (r: Row): LegacySessionView => ({
  recordId: r.record_id,
  deviceSerial: r.device_serial,
  startedAt: r.started_at,
  durationS: r.duration_s,
  coverage: r.coverage,
  mode: r.mode,
  extras: r.extras,
});

const COLUMNS = 'record_id, device_serial, started_at, duration_s, coverage, mode, extras';

/**
 * A user's sessions on a line, oldest first (at most {@link MAX_LEGACY_READ}):
 * from the legacy store until the line's reads cut over, from v2 after (the
 * user's v2 account through the identity map). `since` (epoch s) keeps those
 * that started then or later; without it, sessions whose start could not be
 * read come too.
 */
export async function readLegacySessions(db: Db, d: Dialect, userId: string, state: MigrationState, since: number | null): Promise<LegacyReadResult> {
  const order = `ORDER BY started_at NULLS FIRST, record_id LIMIT ${MAX_LEGACY_READ}`;
  const period = since === null ? '' : 'AND started_at >= $3';
  if (state === 'reads-cut-over' || state === 'v2-only') {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM legacy_sessions
        WHERE line = $1 AND account_id = (SELECT account_id FROM identity_legacy_users WHERE identity_key = $2) ${period} ${order}`,
      [d.line, legacyIdentityKey(d, userId), ...(since === null ? [] : [since])],
    );
    return { source: 'v2', sessions: rows.map(view) };
  }
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM legacy.sessions WHERE line = $1 AND user_id = $2 ${period} ${order}`, [d.line, userId, ...(since === null ? [] : [since])]);
  return { source: 'legacy', sessions: rows.map(view) };
}
