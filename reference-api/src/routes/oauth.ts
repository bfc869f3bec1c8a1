import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import { ref, type Services } from '../app.ts';
import { clockInSql } from '../clock.ts';
import { OAuthApiError } from '../errors.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import { inTransaction } from '../db/pool.ts';

interface TokenBody {
  grant_type?: string;
  client_id?: string;
  username?: string;
  password?: string;
  refresh_token?: string;
}

const ts = 'to_timestamp($1::double precision / 1000)';

/**
 * OAuth 2.0 for humans (RFC 6749): password grant (reference use) and
 * refresh_token grant with rotation. Reusing a rotated refresh token revokes its
 * whole family (access and refresh tokens), as OAuth 2.0 Security BCP advises.
 * Revocation follows RFC 7009: always 200, even for an unknown token.
 */
export const oauthRoutes =
  ({ db, clock, config }: Services): FastifyPluginAsync =>
  async (app) => {
    // The clock inside each statement (test mode: the testbed_clock row): see clockInSql.
    const { nowMs, variant, withClock } = clockInSql(clock);
    const accessTtlMs = config.accessTokenTtlSeconds * 1000;
    const refreshTtlMs = config.refreshTokenTtlSeconds * 1000;

    // The password grant's reads in one round trip: does the client exist, the account and its
    // password hash (NULL when no account has that email), and the clock.
    const SIGN_IN = {
      name: `fleetbed-oauth-sign-in-${variant}`,
      text: `SELECT EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $1) AS client_ok,
                    a.account_id, a.password_hash, ${nowMs(3)} AS now_ms
               FROM (SELECT 1) one LEFT JOIN identity_accounts a ON lower(a.email) = lower($2)`,
    };

    // A new access + refresh token pair of one family, in one statement (atomic on its own).
    const ISSUE = {
      name: 'fleetbed-oauth-issue',
      text: `WITH access AS (
               INSERT INTO access_tokens (token_hash, account_id, client_id, family_id, expires_at)
               VALUES ($2, $4, $5, $6, to_timestamp(($1::double precision + $7) / 1000))
             )
             INSERT INTO refresh_tokens (token_hash, account_id, client_id, family_id, expires_at)
             VALUES ($3, $4, $5, $6, to_timestamp(($1::double precision + $8) / 1000))`,
    };

    // The refresh grant's common case in one round trip: rotate the presented refresh token only
    // if it belongs to this client and is neither rotated, revoked nor expired, and issue the next
    // pair of its family. The UPDATE takes the token's row lock, so of two concurrent refreshes
    // one rotates and the other (re-checking the row after the first commits) matches nothing.
    // No row: the slow path below judges why (unknown client, unknown/expired/revoked token, or
    // the reuse of a rotated token, which revokes the family).
    const ROTATE = {
      name: `fleetbed-oauth-rotate-${variant}`,
      text: `WITH rt AS (
               UPDATE refresh_tokens SET rotated_at = to_timestamp(${nowMs(7)} / 1000)
                WHERE token_hash = $1 AND client_id = $2
                  AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > to_timestamp(${nowMs(7)} / 1000)
               RETURNING account_id, client_id, family_id, ${nowMs(7)} AS now_ms
             ), access AS (
               INSERT INTO access_tokens (token_hash, account_id, client_id, family_id, expires_at)
               SELECT $3, account_id, client_id, family_id, to_timestamp((now_ms + $5) / 1000) FROM rt
             )
             INSERT INTO refresh_tokens (token_hash, account_id, client_id, family_id, expires_at)
             SELECT $4, account_id, client_id, family_id, to_timestamp((now_ms + $6) / 1000) FROM rt`,
    };

    async function checkClient(c: pg.ClientBase | pg.Pool, clientId: string | undefined): Promise<string> {
      if (!clientId) throw new OAuthApiError('invalid_request', 'client_id is required');
      const { rowCount } = await c.query('SELECT 1 FROM oauth_clients WHERE client_id = $1', [clientId]);
      if (!rowCount) throw new OAuthApiError('invalid_client', `unknown client_id ${JSON.stringify(clientId)}`);
      return clientId;
    }

    async function issue(c: pg.ClientBase | pg.Pool, accountId: string, clientId: string, familyId: string, now: number) {
      const access = newToken('at');
      const refresh = newToken('rt');
      await c.query({ ...ISSUE, values: [now, hashToken(access), hashToken(refresh), accountId, clientId, familyId, accessTtlMs, refreshTtlMs] });
      return tokenResponse(access, refresh);
    }

    function tokenResponse(access: string, refresh: string) {
      return { access_token: access, token_type: 'Bearer', expires_in: config.accessTokenTtlSeconds, refresh_token: refresh };
    }

    app.post<{ Body: TokenBody }>(
      '/v2/oauth/token',
      { schema: { body: ref('TokenRequest'), response: { 200: ref('TokenResponse') } }, attachValidation: true },
      async (request, reply) => {
        if (request.validationError) throw new OAuthApiError('invalid_request', request.validationError.message);
        const body = request.body ?? {};
        reply.header('cache-control', 'no-store');
        if (body.grant_type === 'password') {
          if (!body.username || !body.password) throw new OAuthApiError('invalid_request', 'username and password are required for grant_type=password');
          if (!body.client_id) throw new OAuthApiError('invalid_request', 'client_id is required');
          const { rows } = await db.query<{ client_ok: boolean; account_id: string | null; password_hash: string | null; now_ms: number | null }>({
            ...SIGN_IN,
            values: await withClock([body.client_id, body.username]),
          });
          const row = rows[0]!;
          if (!row.client_ok) throw new OAuthApiError('invalid_client', `unknown client_id ${JSON.stringify(body.client_id)}`);
          if (row.now_ms === null) throw new Error('testbed_clock has no row: were the migrations applied?');
          if (!row.account_id || !row.password_hash || !(await verifyPassword(body.password, row.password_hash))) {
            throw new OAuthApiError('invalid_grant', 'the username or password is wrong');
          }
          return issue(db, row.account_id, body.client_id, randomUUID(), row.now_ms);
        }
        if (body.grant_type === 'refresh_token') {
          if (!body.refresh_token) throw new OAuthApiError('invalid_request', 'refresh_token is required for grant_type=refresh_token');
          const presented = hashToken(body.refresh_token);
          if (body.client_id) {
            const access = newToken('at');
            const refresh = newToken('rt');
            const { rowCount } = await db.query({
              ...ROTATE,
              values: await withClock([presented, body.client_id, hashToken(access), hashToken(refresh), accessTtlMs, refreshTtlMs]),
            });
            if (rowCount) return tokenResponse(access, refresh);
          }
          const now = await clock.now();
          return inTransaction(db, async (c) => {
            const clientId = await checkClient(c, body.client_id);
            const { rows } = await c.query<{ account_id: string; client_id: string; family_id: string; rotated: boolean; revoked: boolean; expired: boolean }>(
              `SELECT account_id, client_id, family_id, rotated_at IS NOT NULL AS rotated, revoked_at IS NOT NULL AS revoked,
                      expires_at <= ${ts} AS expired
                 FROM refresh_tokens WHERE token_hash = $2 FOR UPDATE`,
              [now, presented],
            );
            const rt = rows[0];
            if (!rt || rt.client_id !== clientId) throw new OAuthApiError('invalid_grant', 'the refresh token is unknown or was issued to another client');
            if (rt.revoked) throw new OAuthApiError('invalid_grant', 'the refresh token was revoked');
            if (rt.expired) throw new OAuthApiError('invalid_grant', 'the refresh token has expired; sign in again');
            if (rt.rotated) {
              // Replay of a rotated token: someone holds a stolen copy (or two refreshes of
              // the same token raced, and this one lost). Kill the family.
              await revokeFamily(c, rt.family_id, now);
              return { reuse: true } as const;
            }
            // Valid after all (the clock or the token changed since the fast path looked).
            await c.query(`UPDATE refresh_tokens SET rotated_at = ${ts} WHERE token_hash = $2`, [now, presented]);
            return issue(c, rt.account_id, clientId, rt.family_id, now);
          }).then((r) => {
            if ('reuse' in r) throw new OAuthApiError('invalid_grant', 'the refresh token was already used; every token of this sign-in is now revoked');
            return r;
          });
        }
        if (!body.grant_type) throw new OAuthApiError('invalid_request', 'grant_type is required');
        throw new OAuthApiError('unsupported_grant_type', `grant_type ${JSON.stringify(body.grant_type)} is not supported; use password or refresh_token`);
      },
    );

    app.post<{ Body: { token: string; token_type_hint?: string; client_id?: string } }>(
      '/v2/oauth/revoke',
      { schema: { body: ref('RevokeRequest') }, attachValidation: true },
      async (request, reply) => {
        if (request.validationError) throw new OAuthApiError('invalid_request', request.validationError.message);
        const now = await clock.now();
        const h = hashToken(request.body.token);
        await inTransaction(db, async (c) => {
          const rt = await c.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [h]);
          if (rt.rows[0]) return revokeFamily(c, rt.rows[0].family_id, now);
          await c.query(`UPDATE access_tokens SET revoked_at = ${ts} WHERE token_hash = $2 AND revoked_at IS NULL`, [now, h]);
        });
        return reply.code(200).header('cache-control', 'no-store').send();
      },
    );
  };

async function revokeFamily(c: pg.ClientBase, familyId: string, now: number): Promise<void> {
  await c.query(`UPDATE refresh_tokens SET revoked_at = ${ts} WHERE family_id = $2 AND revoked_at IS NULL`, [now, familyId]);
  await c.query(`UPDATE access_tokens SET revoked_at = ${ts} WHERE family_id = $2 AND revoked_at IS NULL`, [now, familyId]);
}
