import type pg from 'pg';
import type { Dialect, DialectRevision, MigrationState } from '../../../contract/legacy/dialect.ts';
import { DIALECTS, dialectOf, LEGACY_LINES } from '../../../contract/legacy/dialects.ts';
import type { LegacyLineStatus } from '../../../contract/legacy/wire.ts';
import { ApiError } from '../errors.ts';

/** A pool or a client (in a transaction). */
export type Db = pg.Pool | pg.ClientBase;

/** SQL: $n (epoch ms) as a timestamptz. */
export const tsParam = (n: number) => `to_timestamp($${n}::double precision / 1000)`;

const DAY_MS = 24 * 3600 * 1000;
/** The night of an instant: its UTC date, YYYY-MM-DD. */
export const nightOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);
/** The night before `night`. */
export const nightBefore = (night: string): string => nightOf(Date.parse(`${night}T00:00:00Z`) - DAY_MS);

/** A line's row of legacy_lines. */
export interface LineRow {
  line: string;
  state: MigrationState;
  required_clean_nights: number;
  clean_nights: number;
  last_reconciled_night: string | null;
  dual_write_at: Date | null;
  cut_over_at: Date | null;
  retired_at: Date | null;
  mapping: DialectRevision[] | null;
  mapping_revision: number | null;
  mapping_changes: number;
}

const LINE_COLUMNS = `l.line, l.state, l.required_clean_nights, l.clean_nights, l.last_reconciled_night::text AS last_reconciled_night,
  l.dual_write_at, l.cut_over_at, l.retired_at, l.mapping, l.mapping_revision, l.mapping_changes`;

/** The dialect of a line of the catalogue, or a 404 naming the lines there are. */
export function dialectFor(line: string): Dialect {
  const d = dialectOf(line);
  if (!d) throw new ApiError('not-found', `No legacy line ${line}; the lines are ${LEGACY_LINES.join(', ')}.`, { field: 'line' });
  return d;
}

/**
 * Seed every line of the catalogue (idempotent, safe for API processes starting
 * at once): its legacy_lines row (legacy-only, the default gate), its traffic
 * row, and revision 0 of its dialect as the old API's deployed revision.
 */
export async function seedLegacyLines(db: Db, nowMs: number): Promise<void> {
  await db.query(
    `WITH input AS (SELECT * FROM unnest($1::text[], $2::jsonb[]) AS u(line, spec)),
          lines AS (INSERT INTO legacy_lines (line) SELECT line FROM input ON CONFLICT DO NOTHING),
          traffic AS (INSERT INTO legacy_line_traffic (line) SELECT line FROM input ON CONFLICT DO NOTHING)
     INSERT INTO legacy.dialect_revisions (line, revision, spec, deployed_at)
     SELECT line, 0, spec, ${tsParam(3)} FROM input ON CONFLICT DO NOTHING`,
    [DIALECTS.map((d) => d.line), DIALECTS.map((d) => JSON.stringify(d.revisions[0])), nowMs],
  );
}

/** A line's row; `lock` takes a row lock in the caller's transaction. */
export async function loadLine(db: Db, line: string, lock: '' | 'FOR UPDATE' | 'FOR KEY SHARE' = ''): Promise<LineRow> {
  const { rows } = await db.query<LineRow>(`SELECT ${LINE_COLUMNS} FROM legacy_lines l WHERE l.line = $1 ${lock}`, [line]);
  if (!rows[0]) throw new Error(`legacy_lines has no row for ${line}: were the lines seeded (seedLegacyLines)?`);
  return rows[0];
}

/** The revisions deployed to a line's old API, oldest first. */
export async function deployedRevisions(db: Db, line: string): Promise<DialectRevision[]> {
  const { rows } = await db.query<{ spec: DialectRevision }>('SELECT spec FROM legacy.dialect_revisions WHERE line = $1 ORDER BY revision', [line]);
  return rows.map((r) => r.spec);
}

interface StatusRow extends LineRow {
  requests: number;
  refused: number;
  deprecated_requests: number;
  dialect_revision: number;
  legacy_rows: number;
  v2_rows: number;
  pending_v2: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The status of `lines` (default: all), in the catalogue's order. */
export async function lineStatuses(db: Db, lines: readonly string[] = LEGACY_LINES): Promise<LegacyLineStatus[]> {
  const { rows } = await db.query<StatusRow>(
    `SELECT ${LINE_COLUMNS}, t.requests, t.refused, t.deprecated_requests,
            (SELECT max(r.revision) FROM legacy.dialect_revisions r WHERE r.line = l.line) AS dialect_revision,
            (SELECT count(*) FROM legacy.sessions s WHERE s.line = l.line)::int AS legacy_rows,
            (SELECT count(*) FROM legacy_sessions v WHERE v.line = l.line)::int AS v2_rows,
            (SELECT count(*) FROM legacy.outbox o WHERE o.line = l.line)::int AS pending_v2
       FROM legacy_lines l JOIN legacy_line_traffic t USING (line)
      WHERE l.line = ANY($1::text[])`,
    [lines],
  );
  const byLine = new Map(rows.map((r) => [r.line, r]));
  return lines.flatMap((line) => {
    const r = byLine.get(line);
    const d = dialectOf(line);
    if (!r || !d) return [];
    return [
      {
        line,
        title: d.title,
        deprecated: d.deprecated,
        state: r.state,
        requiredCleanNights: r.required_clean_nights,
        cleanNights: r.clean_nights,
        lastReconciledNight: r.last_reconciled_night,
        dualWriteAt: iso(r.dual_write_at),
        cutOverAt: iso(r.cut_over_at),
        retiredAt: iso(r.retired_at),
        mappingRevision: r.mapping_revision,
        mappingChanges: r.mapping_changes,
        dialectRevision: r.dialect_revision,
        rows: { legacy: r.legacy_rows, v2: r.v2_rows, pendingV2: r.pending_v2 },
        traffic: { requests: r.requests, refused: r.refused, deprecatedRequests: r.deprecated_requests },
      },
    ];
  });
}

/** One line's status (404 for a line not in the catalogue). */
export async function lineStatus(db: Db, line: string): Promise<LegacyLineStatus> {
  dialectFor(line);
  const [status] = await lineStatuses(db, [line]);
  if (!status) throw new Error(`legacy_lines has no row for ${line}: were the lines seeded (seedLegacyLines)?`);
  return status;
}

/** 410 legacy-retired: the line's v1 API is gone. */
export function retired(d: Dialect): ApiError {
  return new ApiError('legacy-retired', `The ${d.line} v1 API is retired: the line is served by v2 only. Nothing was written.`);
}
