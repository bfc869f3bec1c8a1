import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

export const FACTORY_HEADER = 'x-factory-credential';

/**
 * Factory routes are authenticated by the configured factory secret in the
 * X-Factory-Credential header, never by a phone's token. A bearer token on a
 * factory route is refused as forbidden (it is a credential of the wrong kind).
 */
export function requireFactory(request: FastifyRequest, secret: string): void {
  const given = request.headers[FACTORY_HEADER];
  if (typeof given !== 'string' || given.length === 0) {
    if (request.headers.authorization) {
      throw new ApiError('forbidden', 'Factory routes do not accept OAuth tokens; send the factory credential in X-Factory-Credential.', { field: 'Authorization' });
    }
    throw new ApiError('factory-credential-required', 'Send the factory credential in the X-Factory-Credential header.', { field: 'X-Factory-Credential' });
  }
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  if (!timingSafeEqual(a, b)) throw new ApiError('factory-credential-required', 'The factory credential is wrong.', { field: 'X-Factory-Credential' });
}
