import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import { ref, type Services } from '../app.ts';
import { OAuthApiError } from '../errors.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import { inTransaction } from '../db/pool.ts';
import { TokenGrantStore } from '../auth/store.ts';

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
    const accessTtlMs = config.accessTokenTtlSeconds * 1000;
    const refreshTtlMs = config.refreshTokenTtlSeconds * 1000;

    // The common statements (the password grant's read, a new token pair, a rotation) are shared
    // by concurrent requests (see TokenGrantStore); the slow path below runs on its own.
    const grants = new TokenGrantStore(db, clock, { accessMs: accessTtlMs, refreshMs: refreshTtlMs });

    // A new access + refresh token pair of one family, in one statement (atomic on its own): the
    // slow path's issue, inside its transaction.
    const ISSUE = {
      name: 'fleetbed-oauth-issue',
      text: `WITH access AS (
               INSERT INTO access_tokens (token_hash, account_id, client_id, family_id, expires_at)
               VALUES ($2, $4, $5, $6, to_timestamp(($1::double precision + $7) / 1000))
             )
             INSERT INTO refresh_tokens (token_hash, account_id, client_id, family_id, expires_at)
             VALUES ($3, $4, $5, $6, to_timestamp(($1::double precision + $8) / 1000))`,
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
          const row = await grants.signInRead(body.client_id, body.username);
          if (!row.clientOk) throw new OAuthApiError('invalid_client', `unknown client_id ${JSON.stringify(body.client_id)}`);
          if (row.nowMs === null) throw new Error('testbed_clock has no row: were the migrations applied?');
          if (!row.accountId || !row.passwordHash || !(await verifyPassword(body.password, row.passwordHash))) {
            throw new OAuthApiError('invalid_grant', 'the username or password is wrong');
          }
          const access = newToken('at');
          const refresh = newToken('rt');
          await grants.issuePair({ now: row.nowMs, accessHash: hashToken(access), refreshHash: hashToken(refresh), accountId: row.accountId, clientId: body.client_id, familyId: randomUUID() });
          return tokenResponse(access, refresh);
        }
        if (body.grant_type === 'refresh_token') {
          if (!body.refresh_token) throw new OAuthApiError('invalid_request', 'refresh_token is required for grant_type=refresh_token');
          const presented = hashToken(body.refresh_token);
          if (body.client_id) {
            const access = newToken('at');
            const refresh = newToken('rt');
            if (await grants.rotate({ presented, clientId: body.client_id, accessHash: hashToken(access), refreshHash: hashToken(refresh) })) return tokenResponse(access, refresh);
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
