import pg from 'pg';

/** PostgreSQL settings that make the database record where its time goes (see {@link pgStatsReport}). */
export const PG_STATS_SETTINGS = Object.freeze({ shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' });

/**
 * `--pg-set name=value` flags as PostgreSQL settings (later flags win). Throws
 * a message naming the bad flag; names and values are checked again, with the
 * other environment options, before anything starts.
 */
export function parsePgSet(flags: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new Error(`--pg-set takes name=value (a PostgreSQL setting, e.g. shared_buffers=4GB), got ${JSON.stringify(flag)}`);
    settings[flag.slice(0, eq).trim()] = flag.slice(eq + 1).trim();
  }
  return settings;
}

/** Start counting from here (creates the extension; call before the run). */
export async function pgStatsReset(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  } finally {
    await client.end();
  }
}

/**
 * The statements that took most of the database's time since {@link pgStatsReset},
 * and the biggest relations: lines a capacity planner can read. Time per row and
 * buffer blocks touched per row tell a plan that scans from one that probes; the
 * total counts nested statements (foreign-key checks) inside their callers too.
 * "missed" blocks were not in shared buffers (read from the OS page cache or
 * disk): when they grow with the fleet, shared_buffers is too small for it.
 */
export async function pgStatsReport(databaseUrl: string, top = 12): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const statements = await client.query<{ ms: number; calls: string; rows: string; blocks: string; read: string; query: string }>(
      `SELECT total_exec_time AS ms, calls, rows, shared_blks_hit + shared_blks_read AS blocks, shared_blks_read AS read, regexp_replace(query, '\\s+', ' ', 'g') AS query
         FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT $1`,
      [top],
    );
    const all = await client.query<{ ms: number }>(`SELECT coalesce(sum(total_exec_time), 0) AS ms FROM pg_stat_statements`);
    const sizes = await client.query<{ name: string; bytes: string }>(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC LIMIT 8`,
    );
    const total = Number(all.rows[0]?.ms ?? 0);
    const lines = [`statement time: ${(total / 1000).toFixed(1)} s in all`];
    for (const s of statements.rows) {
      const ms = Number(s.ms);
      const rows = Math.max(1, Number(s.rows));
      lines.push(
        `${(ms / 1000).toFixed(1).padStart(8)} s ${((100 * ms) / Math.max(1, total)).toFixed(0).padStart(3)}% ${Number(s.calls).toLocaleString('en-US').padStart(10)} calls ${Number(s.rows).toLocaleString('en-US').padStart(11)} rows ` +
          `${((1000 * ms) / rows).toFixed(0).padStart(5)} µs/row ${(Number(s.blocks) / rows).toFixed(1).padStart(7)} blocks/row ${(Number(s.read) / rows).toFixed(2).padStart(6)} missed/row  ${s.query.slice(0, 120)}`,
      );
    }
    lines.push(`largest tables: ${sizes.rows.map((r) => `${r.name} ${(Number(r.bytes) / 2 ** 20).toFixed(0)} MB`).join(', ')}`);
    return lines;
  } finally {
    await client.end();
  }
}
