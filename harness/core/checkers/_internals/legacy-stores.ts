import type { CanonicalSession, RawValue } from '../../../../contract/legacy/dialect.ts';

/** One row of a line's legacy store, as the old system holds it (its canonical reading). */
export interface LegacyStoreRow {
  line: string;
  session: CanonicalSession;
}

/** One row of the v2 store: the session under the line's mapping, and the raw fields the mapping has no place for. */
export interface V2StoreRow {
  line: string;
  session: CanonicalSession;
  unmapped: Record<string, RawValue>;
}

/** Both stores of every legacy line, by row key, as read from the platform's database after the run. */
export interface LegacyStores {
  legacy: Map<string, LegacyStoreRow>;
  v2: Map<string, V2StoreRow>;
}

/** Two canonical sessions are the same, field by field (extras by key); the first field that differs, or null. */
export function sessionDifference(want: CanonicalSession, got: CanonicalSession): string | null {
  for (const f of ['startedAt', 'durationS', 'coverage', 'mode'] as const) if ((want[f] ?? null) !== (got[f] ?? null)) return `${f} ${JSON.stringify(got[f] ?? null)} (expected ${JSON.stringify(want[f] ?? null)})`;
  const keys = [...new Set([...Object.keys(want.extras), ...Object.keys(got.extras ?? {})])].sort();
  for (const k of keys) if ((want.extras[k] ?? null) !== (got.extras?.[k] ?? null)) return `extras.${k} ${JSON.stringify(got.extras?.[k] ?? null)} (expected ${JSON.stringify(want.extras[k] ?? null)})`;
  return null;
}

/** Two unmapped-field maps are the same; what differs, or null. */
export function unmappedDifference(want: Readonly<Record<string, RawValue>>, got: Readonly<Record<string, RawValue>>): string | null {
  const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
  for (const k of keys) {
    if (!(k in got)) return `unmapped field ${k} dropped (expected ${JSON.stringify(want[k])})`;
    if (!(k in want)) return `unmapped field ${k} = ${JSON.stringify(got[k])} that the record does not carry`;
    if (String(want[k]) !== String(got[k])) return `unmapped field ${k} = ${JSON.stringify(got[k])} (expected ${JSON.stringify(want[k])})`;
  }
  return null;
}

interface StoreRecord {
  row_key: string;
  line: string;
  started_at: string | number | null;
  duration_s: string | number | null;
  coverage: number | null;
  mode: CanonicalSession['mode'];
  extras: Record<string, RawValue> | null;
  unmapped?: Record<string, RawValue> | null;
}

const n = (v: string | number | null): number | null => (v === null ? null : Number(v));
const sessionOf = (r: StoreRecord): CanonicalSession => ({ startedAt: n(r.started_at), durationS: n(r.duration_s), coverage: r.coverage, mode: r.mode, extras: r.extras ?? {} });

/**
 * Both stores of `lines`, read with SELECTs only (migration 007: the old
 * system's `legacy.sessions` and the v2 side's `legacy_sessions`), in one
 * REPEATABLE READ snapshot so the two agree on a moment.
 */
export async function readLegacyStores(client: { query: <R>(text: string, values?: unknown[]) => Promise<{ rows: R[] }> }, lines: readonly string[]): Promise<LegacyStores> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const legacy = await client.query<StoreRecord>('SELECT row_key, line, started_at, duration_s, coverage, mode, extras FROM legacy.sessions WHERE line = ANY($1::text[])', [lines]);
    const v2 = await client.query<StoreRecord>('SELECT row_key, line, started_at, duration_s, coverage, mode, extras, unmapped FROM legacy_sessions WHERE line = ANY($1::text[])', [lines]);
    return {
      legacy: new Map(legacy.rows.map((r) => [r.row_key, { line: r.line, session: sessionOf(r) }])),
      v2: new Map(v2.rows.map((r) => [r.row_key, { line: r.line, session: sessionOf(r), unmapped: r.unmapped ?? {} }])),
    };
  } finally {
    await client.query('COMMIT');
  }
}
