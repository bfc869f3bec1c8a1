import type pg from 'pg';
import { DIVERGENCE_KINDS, diffRow, type CanonicalSession, type Divergence, type DivergenceKind, type LegacyMode, type RawValue } from '../../../contract/legacy/dialect.ts';
import { dialectOf } from '../../../contract/legacy/dialects.ts';
import type { LegacyReconcileJobResult, LegacyReconciliation, LegacyReconciliationSummary } from '../../../contract/legacy/wire.ts';
import type { Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { nightBefore, nightOf, tsParam, type Db } from './lines.ts';

/**
 * Nightly reconciliation of a line's two stores, by ranges: the row keys
 * (uniform hex) are cut into {@link RECONCILE_BUCKETS} contiguous ranges, and
 * one grouped query per store computes each range's row count and checksum (a
 * sum of per-row hashes of the canonical fields) in SQL. Only ranges whose
 * checksums differ are read row by row and diffed with the contract's
 * diffRow — a clean night costs about a count of each store. A v2 row with
 * a non-empty `unmapped` hashes differently from its legacy row, so it is
 * never clean. Rows whose v2 write is still pending (outbox) are missing in v2
 * until legacy-repair writes them: the nightly run repairs first.
 */
export const RECONCILE_BUCKETS = 64;

/**
 * Per store, per range: rows and the sum of their hashes. Migration 007 keeps each row's range
 * (`bucket`: first byte of the row key / 4, so bucket b holds the keys from hex(4b) to hex(4b+3)) and
 * the 60-bit hash of its canonical fields (`row_hash`; in v2 with `unmapped` when it is not empty) as
 * generated columns, indexed with the line: this is one index scan, no hashing.
 */
const checksums = (table: string) => `SELECT bucket, count(*)::int AS n, sum(row_hash)::text AS sum FROM ${table} WHERE line = $1 GROUP BY bucket`;
const LEGACY_CHECKSUMS = checksums('legacy.sessions');
const V2_CHECKSUMS = checksums('legacy_sessions');

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Consecutive differing buckets as row-key ranges [lo, hi) (hi null: to the end). */
export function bucketRanges(buckets: readonly number[]): Array<{ lo: string; hi: string | null }> {
  const sorted = [...new Set(buckets)].sort((a, b) => a - b);
  const out: Array<{ lo: string; hi: string | null }> = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const end = (sorted[j]! + 1) * (256 / RECONCILE_BUCKETS);
    out.push({ lo: hex2(sorted[i]! * (256 / RECONCILE_BUCKETS)), hi: end >= 256 ? null : hex2(end) });
    i = j + 1;
  }
  return out;
}

/** The clean-night run after a night: +1 when clean and the previous report is of the night before, 1 when clean after a gap, 0 on any divergence. */
export function nextCleanNights(previous: { night: string; cleanNights: number } | null, night: string, clean: boolean): number {
  if (!clean) return 0;
  return previous && previous.night === nightBefore(night) ? previous.cleanNights + 1 : 1;
}

interface CanonicalRow {
  row_key: string;
  started_at: number | null;
  duration_s: number | null;
  coverage: number | null;
  mode: LegacyMode | null;
  extras: Record<string, RawValue>;
  unmapped?: Record<string, RawValue>;
}

const session = (r: CanonicalRow): CanonicalSession => ({ startedAt: r.started_at, durationS: r.duration_s, coverage: r.coverage, mode: r.mode, extras: r.extras });

/** What one comparison found, before it is stored. */
export interface Comparison {
  rowsCompared: number;
  buckets: number;
  bucketsDiffering: number;
  rows: Divergence[];
}

/** Compare a line's stores (in the caller's snapshot: run it in a REPEATABLE READ transaction). */
export async function compareLine(client: pg.ClientBase, line: string): Promise<Comparison> {
  const legacy = await client.query<{ bucket: number; n: number; sum: string }>(LEGACY_CHECKSUMS, [line]);
  const v2 = await client.query<{ bucket: number; n: number; sum: string }>(V2_CHECKSUMS, [line]);
  const key = (r: { n: number; sum: string }) => `${r.n}:${r.sum}`;
  const l = new Map(legacy.rows.map((r) => [r.bucket, key(r)]));
  const v = new Map(v2.rows.map((r) => [r.bucket, key(r)]));
  const differing: number[] = [];
  for (let b = 0; b < RECONCILE_BUCKETS; b++) if (l.get(b) !== v.get(b)) differing.push(b);
  let rowsCompared = legacy.rows.reduce((s, r) => s + r.n, 0);
  const rows: Divergence[] = [];
  for (const { lo, hi } of bucketRanges(differing)) {
    const range = `line = $1 AND row_key >= $2 AND ($3::text IS NULL OR row_key < $3)`;
    const ls = await client.query<CanonicalRow>(`SELECT row_key, started_at, duration_s, coverage, mode, extras FROM legacy.sessions WHERE ${range}`, [line, lo, hi]);
    const vs = await client.query<CanonicalRow>(`SELECT row_key, started_at, duration_s, coverage, mode, extras, unmapped FROM legacy_sessions WHERE ${range}`, [line, lo, hi]);
    const legacyRows = new Map(ls.rows.map((r) => [r.row_key, r]));
    const v2Rows = new Map(vs.rows.map((r) => [r.row_key, r]));
    for (const k of [...new Set([...legacyRows.keys(), ...v2Rows.keys()])].sort()) {
      const a = legacyRows.get(k);
      const b = v2Rows.get(k);
      if (!a) rowsCompared++;
      rows.push(...diffRow(k, a ? session(a) : null, b ? { session: session(b), unmapped: b.unmapped ?? {} } : null));
    }
  }
  return { rowsCompared, buckets: RECONCILE_BUCKETS, bucketsDiffering: differing.length, rows };
}

const countsOf = (rows: readonly Divergence[]): Record<DivergenceKind, number> => {
  const out = Object.fromEntries(DIVERGENCE_KINDS.map((k) => [k, 0])) as Record<DivergenceKind, number>;
  for (const r of rows) out[r.kind]++;
  return out;
};

/**
 * Store a night's report for a line, replacing one of the same night, with
 * its clean-night run computed from the report before it; the line's count
 * and last reconciled night follow.
 */
export async function storeReport(client: pg.ClientBase, line: string, night: string, ranAtMs: number, c: Comparison): Promise<LegacyReconciliationSummary> {
  const { rows: before } = await client.query<{ night: string; clean_nights: number }>(
    'SELECT night::text AS night, clean_nights FROM legacy_reconciliations WHERE line = $1 AND night < $2::date ORDER BY night DESC LIMIT 1',
    [line, night],
  );
  const clean = c.rows.length === 0;
  const cleanNights = nextCleanNights(before[0] ? { night: before[0].night, cleanNights: before[0].clean_nights } : null, night, clean);
  const counts = countsOf(c.rows);
  await client.query('DELETE FROM legacy_reconciliations WHERE line = $1 AND night = $2::date', [line, night]);
  await client.query(
    `INSERT INTO legacy_reconciliations (line, night, ran_at, rows_compared, buckets, buckets_differing, missing_in_v2, missing_in_legacy, field_differs, unmapped_field, clean, clean_nights)
     VALUES ($1, $2::date, ${tsParam(3)}, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [line, night, ranAtMs, c.rowsCompared, c.buckets, c.bucketsDiffering, counts['missing-in-v2'], counts['missing-in-legacy'], counts['field-differs'], counts['unmapped-field'], clean, cleanNights],
  );
  if (c.rows.length > 0) {
    await client.query(
      `INSERT INTO legacy_divergences (line, night, seq, row_key, kind, field)
       SELECT $1, $2::date, s, k, kind, field FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS u(s, k, kind, field)`,
      [line, night, c.rows.map((_, i) => i), c.rows.map((r) => r.rowKey), c.rows.map((r) => r.kind), c.rows.map((r) => r.field)],
    );
  }
  await client.query('UPDATE legacy_lines SET clean_nights = $2, last_reconciled_night = $3::date WHERE line = $1', [line, cleanNights, night]);
  return {
    line,
    night,
    ranAt: new Date(ranAtMs).toISOString(),
    rowsCompared: c.rowsCompared,
    buckets: c.buckets,
    bucketsDiffering: c.bucketsDiffering,
    divergences: counts,
    clean,
    cleanNights,
  };
}

const RECONCILE_LOCK = 748_210;

/**
 * The nightly job: every line in dual-write or reads-cut-over, for the night
 * of the platform clock (its UTC date). Each line's stores are compared in one
 * snapshot, then its report is stored. Runs are serialised across API
 * processes by an advisory lock.
 */
export async function runLegacyReconcile({ db, clock }: Pick<Services, 'db' | 'clock'>): Promise<LegacyReconcileJobResult> {
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [RECONCILE_LOCK]);
    try {
      const nowMs = await clock.now(client);
      const night = nightOf(nowMs);
      const { rows } = await client.query<{ line: string }>(`SELECT line FROM legacy_lines WHERE state IN ('dual-write', 'reads-cut-over') ORDER BY line`);
      const lines: LegacyReconciliationSummary[] = [];
      for (const { line } of rows) {
        if (!dialectOf(line)) continue;
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        let comparison: Comparison;
        try {
          comparison = await compareLine(client, line);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
        await client.query('BEGIN');
        try {
          lines.push(await storeReport(client, line, night, nowMs, comparison));
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      }
      return { lines };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [RECONCILE_LOCK]);
    }
  } finally {
    client.release();
  }
}

interface ReportRow {
  line: string;
  night: string;
  ran_at: Date;
  rows_compared: number;
  buckets: number;
  buckets_differing: number;
  missing_in_v2: number;
  missing_in_legacy: number;
  field_differs: number;
  unmapped_field: number;
  clean: boolean;
  clean_nights: number;
}

const REPORT_COLUMNS = `line, night::text AS night, ran_at, rows_compared, buckets, buckets_differing, missing_in_v2, missing_in_legacy, field_differs, unmapped_field, clean, clean_nights`;

const toSummary = (r: ReportRow): LegacyReconciliationSummary => ({
  line: r.line,
  night: r.night,
  ranAt: r.ran_at.toISOString(),
  rowsCompared: r.rows_compared,
  buckets: r.buckets,
  bucketsDiffering: r.buckets_differing,
  divergences: { 'missing-in-v2': r.missing_in_v2, 'missing-in-legacy': r.missing_in_legacy, 'field-differs': r.field_differs, 'unmapped-field': r.unmapped_field },
  clean: r.clean,
  cleanNights: r.clean_nights,
});

/** A line's reports, newest night first, without their rows. */
export async function listReconciliations(db: Db, line: string): Promise<LegacyReconciliationSummary[]> {
  const { rows } = await db.query<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM legacy_reconciliations WHERE line = $1 ORDER BY night DESC`, [line]);
  return rows.map(toSummary);
}

/** One night's report with every divergent row (404 when the line has none for that night). */
export async function loadReconciliation(db: Db, line: string, night: string): Promise<LegacyReconciliation> {
  if (nightOf(Date.parse(`${night}T00:00:00Z`) || 0) !== night) throw new ApiError('validation-failed', `night must be a date YYYY-MM-DD, got ${night}.`, { field: 'night' });
  const { rows } = await db.query<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM legacy_reconciliations WHERE line = $1 AND night = $2::date`, [line, night]);
  if (!rows[0]) throw new ApiError('not-found', `${line} has no reconciliation report for the night of ${night}.`, { field: 'night' });
  const divergences = await db.query<{ row_key: string; kind: DivergenceKind; field: string | null }>(
    'SELECT row_key, kind, field FROM legacy_divergences WHERE line = $1 AND night = $2::date ORDER BY seq',
    [line, night],
  );
  return { ...toSummary(rows[0]), rows: divergences.rows.map((r) => ({ rowKey: r.row_key, kind: r.kind, field: r.field })) };
}

