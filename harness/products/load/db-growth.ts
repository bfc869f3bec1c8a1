import pg from 'pg';
import type { TableSize } from '../../../reports/load-summary.ts';

/** Table and index sizes of the platform's `public` schema (read-only; needs the database URL). */
export async function tableSizes(databaseUrl: string): Promise<TableSize[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ table: string; t: string; i: string }>(
      `SELECT c.relname AS table, pg_table_size(c.oid) AS t, pg_indexes_size(c.oid) AS i
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    );
    return rows.map((r) => ({ table: r.table, tableBytes: Number(r.t), indexBytes: Number(r.i) }));
  } finally {
    await client.end();
  }
}

/** Growth per table between two readings, largest first; tables that did not grow are left out. */
export function growth(before: TableSize[], after: TableSize[]): TableSize[] {
  const was = new Map(before.map((t) => [t.table, t]));
  return after
    .map((t) => ({ table: t.table, tableBytes: t.tableBytes - (was.get(t.table)?.tableBytes ?? 0), indexBytes: t.indexBytes - (was.get(t.table)?.indexBytes ?? 0) }))
    .filter((t) => t.tableBytes !== 0 || t.indexBytes !== 0)
    .sort((a, b) => b.tableBytes + b.indexBytes - (a.tableBytes + a.indexBytes));
}
