import { INVARIANTS } from '../scenario/invariants.ts';
import { withDatabase } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import type { InvariantResult } from '../../../reports/types.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'PRIV-1';
const TITLE = INVARIANTS[ID];

/**
 * Column names that hold (or are named like) direct identifiers, matched as a
 * whole word of the snake_case name or its prefix: `email`, `phone_number`,
 * `first_name`, `birthdate`, `home_address`, `password_hash` (the same rule as
 * test/api/privacy.test.ts).
 */
export const IDENTIFIER_COLUMN = /(^|_)(e?mail|display_name|name|phone|password|address|birth)/;

/** Columns the pattern matches that are not about a person, each with the reason (a privacy review). */
export const NOT_PERSONAL: Readonly<Record<string, string>> = Object.freeze({
  'schema_migrations.name': 'the name of a migration file',
  'oauth_clients.name': 'the name of an OAuth client application, not of a person',
});

/**
 * PRIV-1, through the database (skipped without it: the API does not expose
 * the schema): every column of every table in the platform's schema outside
 * `identity_*` is scanned (information_schema.columns); one named like a direct
 * identifier, and not in {@link NOT_PERSONAL}, is a violation. `checked` =
 * columns scanned.
 */
export const checkNoIdentifiers: Checker = async (ctx) => checkNoIdentifierColumns(ctx.env.databaseUrl);

/** {@link checkNoIdentifiers} given only where the database is (a legacy scenario's run has no fleet context). */
export async function checkNoIdentifierColumns(databaseUrl: string | undefined, findings = new Findings()): Promise<InvariantResult> {
  if (!databaseUrl) return skipped(ID, TITLE, 'needs the platform database (DATABASE_URL) to read its schema; the API offers no way to see it');
  const columns = await withDatabase(databaseUrl, async (client) =>
    (
      await client.query<{ table: string; column: string; type: string }>(
        `SELECT table_name AS table, column_name AS column, data_type AS type FROM information_schema.columns
          WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
      )
    ).rows,
  );
  const scanned = columns.filter((c) => !c.table.startsWith('identity_'));
  for (const c of scanned) {
    const name = `${c.table}.${c.column}`;
    if (!IDENTIFIER_COLUMN.test(c.column) || name in NOT_PERSONAL) continue;
    findings.add({ expected: 'direct identifiers only in identity_* tables', found: `${name} (${c.type})`, detail: 'information_schema.columns: move it to an identity_* table or, if it is not about a person, add it to NOT_PERSONAL with the reason' });
  }
  if (scanned.length === 0) return skipped(ID, TITLE, 'the database schema has no tables outside identity_* (is the platform migrated?)');
  return verdictOf(ID, TITLE, scanned.length, findings.witnesses, findings.violations);
}
