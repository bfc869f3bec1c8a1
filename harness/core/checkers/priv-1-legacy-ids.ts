import type { InvariantResult } from '../../../reports/types.ts';
import type { LegacyRunRecord } from '../legacy/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { withDatabase } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import { checkNoIdentifierColumns } from './priv-1-no-identifiers.ts';
import { verdictOf } from './types.ts';

const ID = 'PRIV-1';
const TITLE = INVARIANTS[ID];

/** The legacy user ids that are direct identifiers or unique enough to find verbatim: e-mail addresses, phone numbers, household ids. */
function identifyingIds(r: LegacyRunRecord): string[] {
  const scheme = new Map(r.legacy.dialects.map((d) => [d.line, d.userIdScheme]));
  const ids = r.world.users.filter((u) => ['email', 'phone', 'household'].includes(scheme.get(u.line) ?? '')).map((u) => u.userId);
  return [...new Set(ids)].sort();
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * PRIV-1 in a legacy scenario (needs the database, like PRIV-1 itself): the
 * schema check of {@link checkNoIdentifierColumns}, and — since the legacy
 * lines carry identifiers v2 never had — the data itself: no text or JSON
 * column of any table of the platform's schema outside `identity_*` holds one
 * of the world's legacy e-mail addresses, phone numbers or household ids
 * (the old system's own store, schema `legacy`, is the legacy tier and is not
 * scanned). Numeric ids and serials are left out: they are not unique enough
 * to find verbatim. `checked` = columns scanned + values looked for.
 */
export async function checkLegacyPrivacy(r: LegacyRunRecord, databaseUrl: string | undefined): Promise<InvariantResult> {
  const findings = new Findings();
  const schema = await checkNoIdentifierColumns(databaseUrl, findings);
  if (schema.verdict === 'skip' || !databaseUrl) return schema;
  const ids = identifyingIds(r);
  if (ids.length === 0) return schema;
  const pattern = ids.map(escapeRegex).join('|');
  const scanned = await withDatabase(databaseUrl, async (client) => {
    const { rows: columns } = await client.query<{ table: string; column: string }>(
      `SELECT table_name AS table, column_name AS column FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name NOT LIKE 'identity\\_%'
          AND data_type IN ('text', 'character varying', 'character', 'jsonb', 'json')
        ORDER BY table_name, ordinal_position`,
    );
    for (const c of columns) {
      const q = `SELECT ${quote(c.column)}::text AS v FROM ${quote(c.table)} WHERE ${quote(c.column)}::text ~ $1 LIMIT 1`;
      const { rows } = await client.query<{ v: string }>(q, [pattern]);
      const hit = rows[0]?.v;
      if (hit === undefined) continue;
      const id = ids.find((x) => hit.includes(x)) ?? '?';
      findings.add({
        expected: 'legacy user ids (e-mail, phone, household) only in identity_* tables and the legacy store',
        found: `${c.table}.${c.column} holds legacy user id ${id}`,
        detail: 'map the legacy user to its v2 account through the identity tier and key rows by an opaque value (contract/legacy/wire.ts legacyRowKey)',
      });
    }
    return columns.length;
  });
  return verdictOf(ID, TITLE, schema.checked + scanned * ids.length, findings.witnesses, findings.violations);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
