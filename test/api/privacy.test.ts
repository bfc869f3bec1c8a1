import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachDatabase, withClient } from '../support/fixtures.ts';

/**
 * Column names that hold (or are named like) direct identifiers, matched as a
 * whole word of the snake_case name or its prefix: `email`, `phone_number`,
 * `first_name`, `birthdate`, `date_of_birth`, `home_address`, `password_hash`.
 */
const IDENTIFIER_COLUMN = /(^|_)(e?mail|display_name|name|phone|password|address|birth)/;

/**
 * Columns the pattern matches that are not about a person, each with the reason.
 * Adding one here is a privacy review: say why it can never hold an identifier.
 */
const NOT_PERSONAL: Readonly<Record<string, string>> = {
  'schema_migrations.name': 'the name of a migration file (bookkeeping of reference-api/src/db/migrate.ts)',
  'oauth_clients.name': 'the name of an OAuth client application ("Phone app (public client)"), not of a person',
};

/** PRIV-1: direct identifiers live only in identity_* tables; telemetry tables hold opaque ids. */
describeEachDatabase('privacy tiers in the schema (PRIV-1)', (serverUrl) => {
  let api: TestApi;
  let columns: Array<{ table: string; column: string }>;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    columns = await withClient(api.db.url, async (c) =>
      (
        await c.query<{ table: string; column: string }>(
          `SELECT table_name AS table, column_name AS column FROM information_schema.columns
            WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
        )
      ).rows,
    );
  });
  afterAll(async () => api?.close());

  const identifierColumns = () => columns.filter((c) => IDENTIFIER_COLUMN.test(c.column)).map((c) => `${c.table}.${c.column}`);

  it('the check sees the schema: identity_accounts holds the identifiers', () => {
    expect(identifierColumns()).toEqual(expect.arrayContaining(['identity_accounts.email', 'identity_accounts.display_name', 'identity_accounts.password_hash']));
    expect([...new Set(columns.map((c) => c.table))]).toEqual(expect.arrayContaining(['accounts', 'devices', 'events', 'access_tokens']));
  });

  it('no table outside identity_* has a column named like an identifier', () => {
    const outside = identifierColumns().filter((c) => !c.startsWith('identity_') && !(c in NOT_PERSONAL));
    expect(outside).toEqual([]);
  });

  it('every exception listed is still in the schema (the list does not rot)', () => {
    const present = new Set(columns.map((c) => `${c.table}.${c.column}`));
    expect(Object.keys(NOT_PERSONAL).filter((c) => !present.has(c))).toEqual([]);
  });
});
