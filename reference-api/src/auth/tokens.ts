import { createHash, randomBytes } from 'node:crypto';

/** Opaque bearer tokens: 32 random bytes, base64url, with a readable prefix. Only hashes are stored. */
export function newToken(prefix: 'at' | 'rt'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function tokenKind(token: string): 'at' | 'rt' | undefined {
  if (token.startsWith('at_')) return 'at';
  if (token.startsWith('rt_')) return 'rt';
  return undefined;
}
