import { withDatabase } from './_internals/db.ts';

export interface SnapshotOptions {
  /** Keep at most about this many rows: every event whose id is divisible by k, k chosen from the highest id. Default 50,000. */
  maxRows?: number;
}

/** event_id → md5 of the row's text (`md5(e::text)`), as `history.eventSnapshot` holds it. */
export type EventSnapshot = Map<number, string>;

/**
 * A mid-run snapshot of the append-only `events` table for ING-2: the runner
 * calls it part-way through a scenario and stores `rows` in
 * `history.eventSnapshot`; at the end the checker requires every row to be
 * still there, byte for byte. Large tables are sampled (every event id
 * divisible by k, k chosen so at most `maxRows` rows are kept). Only reads.
 */
export async function snapshotEvents(databaseUrl: string, options: SnapshotOptions = {}): Promise<EventSnapshot> {
  const maxRows = options.maxRows ?? 50_000;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`snapshotEvents: maxRows must be an integer ≥ 1, got ${JSON.stringify(maxRows)}`);
  return withDatabase(databaseUrl, async (client) => {
    const { rows: top } = await client.query<{ max: string | null }>('SELECT max(event_id)::text AS max FROM events');
    const highest = Number(top[0]?.max ?? 0);
    const k = Math.max(1, Math.ceil(highest / maxRows));
    const { rows } = await client.query<{ event_id: string; hash: string }>('SELECT event_id::text, md5(e::text) AS hash FROM events e WHERE event_id % $1 = 0', [k]);
    return new Map(rows.map((r) => [Number(r.event_id), r.hash]));
  });
}
