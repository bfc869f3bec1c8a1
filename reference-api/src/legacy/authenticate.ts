import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Dialect, MigrationState } from '../../../contract/legacy/dialect.ts';
import { ApiError } from '../errors.ts';
import { retired, type Db } from './lines.ts';

/** How the old system kept a user's secret: SHA-256 of it (the secrets it issued are random, not passwords). */
export function hashLegacySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Compared against when the user does not exist, so that a wrong user id costs what a wrong secret does. */
const NO_USER = hashLegacySecret('\0no such legacy user\0');

/** The user id and secret a request presents in its line's scheme (undefined when absent). */
export function legacyCredentials(d: Dialect, request: FastifyRequest): { userId?: string; secret?: string; where: string } {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  switch (d.auth.kind) {
    case 'basic': {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
      const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      return colon > 0 ? { userId: decoded.slice(0, colon), secret: str(decoded.slice(colon + 1)), where: 'Authorization' } : { where: 'Authorization' };
    }
    case 'api-key': {
      const header = request.headers[d.auth.header.toLowerCase()];
      return { userId: str(query[d.auth.userParam]), secret: str(header), where: `${d.auth.header} and ${d.auth.userParam}` };
    }
    case 'query-token':
      return { userId: str(query[d.auth.userParam]), secret: str(query[d.auth.tokenParam]), where: `${d.auth.tokenParam} and ${d.auth.userParam}` };
  }
}

/**
 * The caller of a v1 route: a retired line first answers 410 (whoever asks);
 * then the user id and secret of the line's auth scheme must match a user of
 * the old system (SHA-256 of the secret, compared in constant time), else
 * 401 legacy-unauthenticated — with the Basic challenge on Basic lines.
 * Returns the user id and the line's state.
 */
export async function authenticateLegacy(db: Db, d: Dialect, request: FastifyRequest): Promise<{ userId: string; state: MigrationState }> {
  const given = legacyCredentials(d, request);
  const { rows } = await db.query<{ state: MigrationState; secret_hash: Buffer | null }>(
    `SELECT l.state, (SELECT u.secret_hash FROM legacy.users u WHERE u.line = l.line AND u.user_id = $2) AS secret_hash
       FROM legacy_lines l WHERE l.line = $1`,
    [d.line, given.userId ?? ''],
  );
  const line = rows[0];
  if (!line) throw new Error(`legacy_lines has no row for ${d.line}: were the lines seeded (seedLegacyLines)?`);
  if (line.state === 'v2-only') throw retired(d);
  const stored = line.secret_hash ?? NO_USER;
  const ok = timingSafeEqual(stored, hashLegacySecret(given.secret ?? '')) && line.secret_hash !== null && given.secret !== undefined && given.userId !== undefined;
  if (!ok) {
    const how =
      d.auth.kind === 'basic'
        ? 'Authorization: Basic base64(userId:secret)'
        : d.auth.kind === 'api-key'
          ? `the secret in header ${d.auth.header} and the user id in query parameter ${d.auth.userParam}`
          : `the secret in query parameter ${d.auth.tokenParam} and the user id in query parameter ${d.auth.userParam}`;
    const what = given.userId === undefined || given.secret === undefined ? 'missing' : 'wrong';
    throw new ApiError('legacy-unauthenticated', `The ${d.line} credential is ${what}: send ${how}, as the old system issued them.`, {
      field: given.where,
      ...(d.auth.kind === 'basic' ? { headers: { 'www-authenticate': `Basic realm="${d.line}"` } } : {}),
    });
  }
  return { userId: given.userId!, state: line.state };
}
