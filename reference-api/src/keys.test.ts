import { describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
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

  it('holds the registered key: a device whose key changed is cached anew, without evicting another', () => {
    const cache = new KeyCache(2);
    const x = (k: { export(o: { format: 'jwk' }): { x?: string } }) => k.export({ format: 'jwk' }).x!;
    const [a, b, c] = Array.from({ length: 3 }, () => Buffer.from(x(generateKeyPairSync('ed25519').publicKey), 'base64url'));
    expect(x(cache.get(1, a!).key)).toBe(a!.toString('base64url'));
    cache.get(2, c!);
    expect(x(cache.get(1, b!).key)).toBe(b!.toString('base64url'));
    expect(x(cache.peek(1)!.key)).toBe(b!.toString('base64url'));
    expect(cache.peek(2)).toBeDefined();
    expect(cache.size).toBe(2);
    expect(() => cache.get(3, Buffer.alloc(31))).toThrow(/32 bytes, got 31/);
  });
});

describe('KeyCache.keysOf', () => {
  it("keeps every key of one call even when loading the missing ones evicts the call's own cached keys", async () => {
    const raw = (i: number) =>
      Buffer.from(createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.alloc(32, i).toString('base64url'), x: Buffer.alloc(32).toString('base64url') }, format: 'jwk' })).export({ format: 'jwk' }).x!, 'base64url');
    const cache = new KeyCache(2);
    cache.get(1, raw(1)); // the oldest entry
    cache.get(2, raw(2));
    const loads: number[][] = [];
    const keys = await cache.keysOf([1, 3, 3, 4, 99], async (missing) => {
      loads.push(missing);
      return missing.filter((id) => id !== 99).map((id) => ({ device_id: id, public_key: raw(id) }));
    });
    expect(loads).toEqual([[3, 4, 99]]);
    expect(cache.peek(1)).toBeUndefined(); // evicted by loading 3 and 4 …
    expect([...keys.keys()].sort()).toEqual([1, 3, 4]); // … and still this call's
    for (const id of [1, 3, 4]) expect(keys.get(id)!.key.export({ format: 'jwk' }).x).toBe(raw(id).toString('base64url'));
    expect(keys.has(99)).toBe(false);
  });
});
