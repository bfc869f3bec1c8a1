import { INVARIANTS } from '../scenario/invariants.ts';
import { withDatabase } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'ING-2';
const TITLE = INVARIANTS[ID];
const CHUNK = 10_000;

/** The append-only tables and what their triggers must refuse. */
const TABLES = ['events', 'sessions'] as const;
const OPERATIONS = [
  { op: 'UPDATE', bit: 16 },
  { op: 'DELETE', bit: 8 },
  { op: 'TRUNCATE', bit: 32 },
] as const;

/**
 * ING-2 append-only, through the database (skipped without it):
 * (a) the catalogue: `events` and `sessions` each have an enabled trigger on
 * UPDATE, DELETE and TRUNCATE (pg_trigger; tgenabled not 'D', nor 'R' which
 * fires only for replication);
 * (b) the mid-run snapshot (`history.eventSnapshot`, taken by
 * {@link snapshotEvents}): every row in it still exists at the end with the
 * same md5. `checked` = trigger requirements + snapshot rows compared.
 */
export const checkAppendOnly: Checker = async (ctx) => {
  if (!ctx.env.databaseUrl) return skipped(ID, TITLE, 'needs the platform database (DATABASE_URL) to read its triggers and compare stored events; none is known for this target');
  const findings = new Findings();
  const snapshot = ctx.history.eventSnapshot;
  let checked = 0;
  await withDatabase(ctx.env.databaseUrl, async (client) => {
    const { rows: triggers } = await client.query<{ table: string; name: string; type: number; enabled: string }>(
      `SELECT c.relname AS table, t.tgname AS name, t.tgtype::int AS type, t.tgenabled AS enabled
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relname = ANY($1) AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
      [TABLES],
    );
    for (const table of TABLES) {
      for (const { op, bit } of OPERATIONS) {
        checked++;
        const on = triggers.filter((t) => t.table === table && (t.type & bit) !== 0);
        if (on.some((t) => t.enabled === 'O' || t.enabled === 'A')) continue;
        findings.add({
          expected: `an enabled trigger on ${table} refusing ${op}`,
          found: on.length === 0 ? `no ${op} trigger on ${table}` : `${on.map((t) => `${t.name} (tgenabled ${t.enabled})`).join(', ')}: none enabled`,
          detail: 'pg_trigger',
        });
      }
    }
    if (!snapshot) return;
    const ids = [...snapshot.keys()];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const { rows } = await client.query<{ event_id: string; hash: string; kind: string }>('SELECT event_id::text, md5(e::text) AS hash, kind FROM events e WHERE event_id = ANY($1::bigint[])', [chunk]);
      const now = new Map(rows.map((r) => [Number(r.event_id), r]));
      for (const id of chunk) {
        checked++;
        const before = snapshot.get(id)!;
        const after = now.get(id);
        if (after?.hash === before) continue;
        findings.add({
          expected: `event ${id} unchanged since the mid-run snapshot (md5 ${before})`,
          found: after ? `event ${id} (${after.kind}) now hashes to ${after.hash}: updated in place` : `event ${id} is gone: deleted`,
          detail: `events.event_id ${id}; snapshot taken at ${ctx.history.eventSnapshotAt ?? '?'} s of simulated time`,
        });
      }
    }
  });
  return verdictOf(ID, TITLE, checked, findings.witnesses, findings.violations);
};
