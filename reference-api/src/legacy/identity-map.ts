import type pg from 'pg';
import { legacyIdentityKey, type Dialect } from '../../../contract/legacy/dialect.ts';
import { tsParam } from './lines.ts';

/**
 * The v2 account of each legacy user of a line (in the caller's transaction):
 * found through identity_legacy_users by contract legacyIdentityKey — an
 * e-mail address is one person on every e-mail line, every other scheme is its
 * line's own — or created with it (an `accounts` row and its account.created
 * event). Every decision is logged once per identity and line in
 * identity_legacy_map_log (created, or linked to an account another line
 * created). Concurrent first uploads of one user agree: the map row is taken
 * with ON CONFLICT, which waits for the other transaction, then read back.
 * Returns user id → account id.
 */
export async function mapLegacyIdentities(client: pg.ClientBase, d: Dialect, userIds: readonly string[], nowMs: number): Promise<Map<string, string>> {
  const keyOf = new Map(userIds.map((u) => [u, legacyIdentityKey(d, u)]));
  const keys = [...new Set(keyOf.values())].sort();
  if (keys.length === 0) return new Map();
  // The account row follows its map row (the map's key to accounts is deferred to the commit).
  const created = await client.query<{ identity_key: string; account_id: string }>(
    `INSERT INTO identity_legacy_users (identity_key, account_id, created_at)
     SELECT k, gen_random_uuid(), ${tsParam(2)} FROM unnest($1::text[]) AS k
     ON CONFLICT (identity_key) DO NOTHING
     RETURNING identity_key, account_id::text AS account_id`,
    [keys, nowMs],
  );
  if (created.rows.length > 0) {
    await client.query(
      `WITH a AS (INSERT INTO accounts (account_id, kind, created_at) SELECT id, 'consumer', ${tsParam(2)} FROM unnest($1::uuid[]) AS id RETURNING account_id, created_at)
       INSERT INTO events (kind, account_id, occurred_at, data) SELECT 'account.created', account_id, created_at, '{"via":"legacy-identity-map"}'::jsonb FROM a`,
      [created.rows.map((r) => r.account_id), nowMs],
    );
  }
  const { rows } = await client.query<{ identity_key: string; account_id: string }>(
    'SELECT identity_key, account_id::text AS account_id FROM identity_legacy_users WHERE identity_key = ANY($1::text[])',
    [keys],
  );
  const accountOf = new Map(rows.map((r) => [r.identity_key, r.account_id]));
  const fresh = new Set(created.rows.map((r) => r.identity_key));
  await client.query(
    `INSERT INTO identity_legacy_map_log (identity_key, line, account_id, decision, decided_at)
     SELECT k, $3, a, CASE WHEN k = ANY($4::text[]) THEN 'created' ELSE 'linked' END, ${tsParam(5)}
       FROM unnest($1::text[], $2::uuid[]) AS u(k, a)
     ON CONFLICT (identity_key, line) DO NOTHING`,
    [keys, keys.map((k) => accountOf.get(k)!), d.line, [...fresh], nowMs],
  );
  const out = new Map<string, string>();
  for (const [user, key] of keyOf) {
    const account = accountOf.get(key);
    if (!account) throw new Error(`identity map: no account for a ${d.line} user after mapping (key ${key.slice(0, 12)}…)`);
    out.set(user, account);
  }
  return out;
}
