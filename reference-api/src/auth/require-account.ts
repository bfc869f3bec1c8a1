import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type pg from 'pg';
import { ApiError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import { hashToken, tokenKind } from './tokens.ts';
import { Coalescer } from '../db/coalesce.ts';

export interface Principal {
  accountId: string;
  kind: 'consumer' | 'care-provider';
  /** The platform clock (virtual in test mode) read in the same query, in ms. */
  now: number;
}

/** RFC 6750 §3: every 401 for a bearer-protected resource names the scheme. */
const CHALLENGE = { 'www-authenticate': 'Bearer realm="fleetbed"' };

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** The access token of the request, or a 401 problem. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new ApiError('unauthenticated', 'Send an OAuth access token as "Authorization: Bearer <token>".', { field: 'Authorization', headers: CHALLENGE });
  const m = BEARER.exec(header);
  if (!m?.[1]) throw new ApiError('unauthenticated', 'The Authorization header must be "Bearer <access token>".', { field: 'Authorization', headers: CHALLENGE });
  if (tokenKind(m[1]) !== 'at') {
    throw new ApiError('unauthenticated', 'That is not an access token (refresh tokens are only accepted by /v2/oauth/token).', { field: 'Authorization', headers: CHALLENGE });
  }
  return m[1];
}

/**
 * Resolves access tokens to accounts, reading the clock in the same query.
 * Concurrent requests share one query (see Coalescer): under load a phone
 * request costs a fraction of a round trip instead of one each.
 */
export class AccessTokens {
  readonly #lookup: Coalescer<Buffer, Principal | null>;

  constructor(db: pg.Pool, clock: Clock) {
    const nowSql = clock.virtual ? '(SELECT now_ms FROM testbed_clock)' : '$2::bigint';
    const text = `SELECT t.token_hash, t.account_id, a.kind, ${nowSql} AS now_ms FROM access_tokens t JOIN accounts a USING (account_id)
      WHERE t.token_hash = ANY($1::bytea[]) AND t.revoked_at IS NULL AND t.expires_at > to_timestamp(${nowSql}::double precision / 1000)`;
    this.#lookup = new Coalescer(
      async (hashes: Buffer[]) => {
        const values: unknown[] = [hashes];
        if (!clock.virtual) values.push(await clock.now());
        const { rows } = await db.query<{ token_hash: Buffer; account_id: string; kind: Principal['kind']; now_ms: number }>({
          name: clock.virtual ? 'fleetbed-auth-virtual' : 'fleetbed-auth',
          text,
          values,
        });
        const found = new Map(rows.map((r) => [r.token_hash.toString('hex'), r]));
        return hashes.map((h) => {
          const row = found.get(h.toString('hex'));
          return { ok: true, value: row ? { accountId: row.account_id, kind: row.kind, now: row.now_ms } : null };
        });
      },
      { maxInFlight: 1, maxItems: 256 },
    );
  }

  /** Queries sent and lookups they carried. */
  get stats() {
    return this.#lookup.stats;
  }

  /** The account of a valid access token, or null (unknown, expired and revoked are not told apart). */
  resolve(token: string): Promise<Principal | null> {
    return this.#lookup.submit(hashToken(token));
  }
}

/**
 * Resolve the request's access token to its account. Expired, revoked and
 * unknown tokens are all the same 401: the caller learns nothing about which.
 */
export async function requireAccount(request: FastifyRequest, tokens: AccessTokens): Promise<Principal> {
  const principal = await tokens.resolve(bearerToken(request));
  if (!principal) throw new ApiError('unauthenticated', 'The access token is unknown, expired or revoked; refresh it at /v2/oauth/token.', { field: 'Authorization', headers: CHALLENGE });
  return principal;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated phone's account, set by the phoneAuth hook. */
    principal: Principal | null;
  }
}

/**
 * onRequest hook of every phone route: authenticate before anything else, so a
 * request without a valid token is a 401 whatever else is wrong with it.
 */
export function phoneAuth(tokens: AccessTokens): onRequestHookHandler {
  return async (request) => {
    request.principal = await requireAccount(request, tokens);
  };
}

/** The principal phoneAuth set; a route without the hook is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} is missing the phoneAuth hook`);
  return request.principal;
}
