import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { KeyCache } from './keys.ts';

describe('KeyCache', () => {
  it('at capacity evicts the oldest key only: keys just loaded stay readable', () => {
    const cache = new KeyCache(3);
    const pubs = Array.from({ length: 5 }, () => Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    const raw = (i: number) => pubs[i]!;
    for (let i = 1; i <= 3; i++) cache.get(i, raw(i));
    cache.get(4, raw(4));
    expect(cache.peek(1)).toBeUndefined();
    expect(cache.peek(2)).toBeDefined();
    expect(cache.peek(3)).toBeDefined();
    expect(cache.peek(4)).toBeDefined();
  });
});
