import { INVARIANTS } from '../scenario/invariants.ts';
import { withDatabase } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'PRIV-2';
const TITLE = INVARIANTS[ID];

/**
 * PRIV-2, through the database: every care-provider query the harness made
 * and the platform answered 200 (`history.careQueries`, see care-probe.ts) has
 * exactly one identity_join_audit row — compared as counts per (provider,
 * patient) pair, for the providers the harness used. Refused queries (no
 * consent) expect none. Skipped when the scenario made no care query, none was
 * answered 200, or the database is not known. `checked` = queries.
 */
export const checkJoinAudit: Checker = async (ctx) => {
  const queries = ctx.history.careQueries;
  if (queries.length === 0) return skipped(ID, TITLE, 'the scenario made no care-provider query (ask for a care audit in the scenario to exercise the identity join)');
  if (!ctx.env.databaseUrl) return skipped(ID, TITLE, 'needs the platform database (DATABASE_URL) to read identity_join_audit; the API does not expose the audit log');
  const answered = queries.filter((q) => q.status === 200);
  if (answered.length === 0) {
    return skipped(ID, TITLE, `none of the ${queries.length} care-provider queries was answered 200 (statuses ${[...new Set(queries.map((q) => q.status))].join(', ')}): no join happened to audit`);
  }
  const expected = new Map<string, number>();
  for (const q of queries) {
    const pair = `${q.providerAccountId.toLowerCase()} ${q.patientAccountId.toLowerCase()}`;
    expected.set(pair, (expected.get(pair) ?? 0) + (q.status === 200 ? 1 : 0));
  }
  const providers = [...new Set(queries.map((q) => q.providerAccountId.toLowerCase()))];
  const rows = await withDatabase(ctx.env.databaseUrl, async (client) =>
    (
      await client.query<{ provider: string; patient: string; n: number }>(
        `SELECT provider_account_id::text AS provider, patient_account_id::text AS patient, count(*)::int AS n
           FROM identity_join_audit WHERE provider_account_id = ANY($1::uuid[]) GROUP BY 1, 2`,
        [providers],
      )
    ).rows,
  );
  const found = new Map(rows.map((r) => [`${r.provider} ${r.patient}`, r.n]));
  const findings = new Findings();
  for (const pair of new Set([...expected.keys(), ...found.keys()])) {
    const want = expected.get(pair) ?? 0;
    const got = found.get(pair) ?? 0;
    if (want === got) continue;
    const [provider, patient] = pair.split(' ');
    findings.add({
      expected: `${want} identity_join_audit row(s): one per care query the platform answered`,
      found: `${got} row(s)`,
      detail: `provider ${provider}, patient ${patient}${want < got ? ' (audit rows for queries the harness never made)' : ' (a join that left no audit trail)'}`,
    });
  }
  return verdictOf(ID, TITLE, queries.length, findings.witnesses, findings.violations);
};
