import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import vectors from './test-vectors/ed25519-edge-cases.json' with { type: 'json' };
import {
  ED25519_L,
  ED25519_P,
  ed25519PublicKeyProblem,
  encodedKeyRefusal,
  hasNonCanonicalY,
  REFUSED_KEY_X,
  scalarAtLeastL,
  signatureRefusal,
  SMALL_ORDER_ENCODINGS,
  strictRefusal,
} from './ed25519-strict.ts';
import { checkEd25519PublicKey, importEd25519PublicKey, KeyCache, verifyEd25519, WeakPublicKeyError } from './keys.ts';

/**
 * The platform's strict Ed25519 policy (ed25519-strict.ts, applied by
 * keys.ts verifyEd25519) against published edge-case vectors, next to what a
 * permissive verifier — Node's crypto.verify, i.e. OpenSSL 3 — answers for
 * the same bytes. The vectors are data only, in
 * test-vectors/ed25519-edge-cases.json, whose header names their sources and
 * licences (RFC 8032; novifinancial/ed25519-speccheck, Apache-2.0;
 * C2SP/wycheproof, Apache-2.0).
 *
 * Where the strict policy deliberately differs from OpenSSL: it refuses small-order
 * A (the forgery path of issue #18), small-order R, and non-canonical
 * encodings of R and A, before the curve equation. It stays cofactorless
 * like OpenSSL ([S]B = R + [k]A): a signature that passes only the cofactored
 * equation ([8][S]B = [8]R + [8][k]A) is refused by both. It does not demand
 * prime order of A or R (only "not of small order"): mixed-order points pass
 * the byte checks and are then judged by the equation.
 */

const hex = (s: string) => Buffer.from(s, 'hex');
const keyObject = (pk: Uint8Array) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') }, format: 'jwk' });
/** OpenSSL's verdict: the permissive verifier under the platform. */
const permissive = (pk: string, msg: string, sig: string) => {
  try {
    return verify(null, hex(msg), keyObject(hex(pk)), hex(sig));
  } catch {
    return false;
  }
};
/** The platform's verdict, as the API reaches it: the key from the database through KeyCache (trusted, not re-checked in full). */
const strict = (pk: string, msg: string, sig: string) => verifyEd25519(new KeyCache(4).get(1, hex(pk)), hex(msg), hex(sig));
const le = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();

describe('RFC 8032 §7.1 (TEST 1-3): ordinary signatures verify under the strict policy', () => {
  for (const v of vectors.rfc8032) {
    it(`${v.name}: permissive accepts, strict accepts, the key passes provisioning's check`, () => {
      expect(permissive(v.pk, v.msg, v.sig)).toBe(true);
      expect(strict(v.pk, v.msg, v.sig)).toBe(true);
      expect(ed25519PublicKeyProblem(hex(v.pk))).toBeNull();
      expect(verifyEd25519(importEd25519PublicKey(hex(v.pk)), hex(v.msg), hex(v.sig))).toBe(true);
    });
  }
});

describe('"Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko 2020), cases 0-11 (ed25519-speccheck cases.json)', () => {
  // Per case: OpenSSL's verdict (as the paper's results table reports for OpenSSL 3.0: V V V V X X X X X X X V),
  // the strict verdict, the rule that refuses it before crypto.verify (null: the equation decides), and what
  // provisioning says about its public key.
  const expected: Array<{ permissive: boolean; strict: boolean; rule: string | null; key: string | null; why: string }> = [
    { permissive: true, strict: false, rule: 'a-small-order', key: 'small order', why: 'S = 0, A and R small: the forgery of issue #18 (verifies for the message with no key at all)' },
    { permissive: true, strict: false, rule: 'a-small-order', key: 'small order', why: 'small A, mixed R' },
    { permissive: true, strict: false, rule: 'r-small-order', key: null, why: 'mixed A, small R' },
    { permissive: true, strict: true, rule: null, key: null, why: 'mixed A and R, passes cofactorless and cofactored: accepted (no prime-order demand)' },
    { permissive: false, strict: false, rule: null, key: null, why: 'passes only the cofactored equation: cofactorless like OpenSSL, refused by the equation' },
    { permissive: false, strict: false, rule: null, key: null, why: 'passes only a cofactored check with pre-reduced 8h: refused by the equation' },
    { permissive: false, strict: false, rule: 's-not-below-l', key: null, why: 'S > L' },
    { permissive: false, strict: false, rule: 's-not-below-l', key: null, why: 'S >> L' },
    { permissive: false, strict: false, rule: 'r-small-order', key: null, why: 'non-canonical R ((0,-1) with the sign bit set), reduced for the hash' },
    { permissive: false, strict: false, rule: 'r-small-order', key: null, why: 'non-canonical R, not reduced for the hash' },
    { permissive: false, strict: false, rule: 'a-small-order', key: 'non-canonical encoding', why: 'non-canonical A, reduced for the hash' },
    { permissive: true, strict: false, rule: 'a-small-order', key: 'non-canonical encoding', why: 'non-canonical A, not reduced for the hash: OpenSSL accepts, strict refuses' },
  ];

  it('holds the twelve cases, in order', () => {
    expect(vectors.speccheck.map((c) => c.case)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
  for (const c of vectors.speccheck) {
    const e = expected[c.case]!;
    it(`case ${c.case} (${e.why}): OpenSSL ${e.permissive ? 'accepts' : 'refuses'}, strict ${e.strict ? 'accepts' : `refuses (${e.rule ?? 'equation'})`}`, () => {
      expect(permissive(c.pub_key, c.message, c.signature)).toBe(e.permissive);
      expect(strict(c.pub_key, c.message, c.signature)).toBe(e.strict);
      expect(strictRefusal(hex(c.pub_key), hex(c.signature))).toBe(e.rule);
      expect(ed25519PublicKeyProblem(hex(c.pub_key))).toBe(e.key);
    });
  }
  it('the strict policy accepts exactly case 3 (as ed25519-dalek verify_strict and libsodium do)', () => {
    expect(vectors.speccheck.filter((c) => strict(c.pub_key, c.message, c.signature)).map((c) => c.case)).toEqual([3]);
  });
});

describe('Project Wycheproof ed25519_test.json: the InvalidSignature, InvalidEncoding and SignatureMalleability tests, and tcId 1-9', () => {
  // Rules the strict policy refuses with before crypto.verify, per tcId (absent: the equation refuses).
  const rule: Record<number, string> = {
    10: 'r-small-order', 11: 'r-small-order', 12: 'r-small-order', 15: 'r-small-order', 16: 'r-small-order', 17: 'r-small-order',
    13: 's-not-below-l', 14: 's-not-below-l', 18: 's-not-below-l', 19: 's-not-below-l', 23: 's-not-below-l', 24: 's-not-below-l', 28: 's-not-below-l', 29: 's-not-below-l',
    25: 'r-non-canonical', 26: 'r-non-canonical', 27: 'r-non-canonical', 61: 'r-non-canonical',
    60: 'r-small-order', 151: 'r-small-order',
    63: 's-not-below-l', 64: 's-not-below-l', 65: 's-not-below-l', 66: 's-not-below-l', 67: 's-not-below-l', 68: 's-not-below-l', 69: 's-not-below-l', 70: 's-not-below-l',
  };
  it('holds the selection', () => {
    expect(vectors.wycheproof.length).toBe(59);
    expect(vectors.wycheproof.filter((t) => t.result === 'valid').map((t) => t.tcId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  for (const t of vectors.wycheproof) {
    const valid = t.result === 'valid';
    it(`tcId ${t.tcId} [${t.flags.join(', ')}] ${t.comment}: ${valid ? 'accepted' : `refused (${rule[t.tcId] ?? 'equation'})`} by strict and OpenSSL alike`, () => {
      expect(strict(t.pk, t.msg, t.sig)).toBe(valid);
      expect(permissive(t.pk, t.msg, t.sig)).toBe(valid);
      expect(strictRefusal(hex(t.pk), hex(t.sig))).toBe(rule[t.tcId] ?? null);
    });
  }
});

describe('the small-order encodings', () => {
  const hexes = SMALL_ORDER_ENCODINGS.map((e) => Buffer.from(e).toString('hex'));

  it('are fourteen distinct strings: the eight points of order ≤ 8 canonically, and six non-canonical spellings', () => {
    expect(new Set(hexes).size).toBe(14);
    const canonical = SMALL_ORDER_ENCODINGS.filter((e) => ed25519PublicKeyProblem(e) === 'small order');
    const nonCanonical = SMALL_ORDER_ENCODINGS.filter((e) => ed25519PublicKeyProblem(e) === 'non-canonical encoding');
    expect(canonical.length).toBe(8);
    expect(nonCanonical.length).toBe(6);
    // @noble/ed25519 (strict decoding) agrees: the eight decode to small-order points, the six do not decode.
    for (const e of canonical) expect(ed.Point.fromHex(Buffer.from(e).toString('hex')).isSmallOrder()).toBe(true);
    for (const e of nonCanonical) expect(() => ed.Point.fromHex(Buffer.from(e).toString('hex'))).toThrow();
  });

  it('include the published ones: identity, (0,-1), the order-8 points of the speccheck cases, and the x = 0 / y ≥ p spellings', () => {
    for (const h of [
      '0100000000000000000000000000000000000000000000000000000000000000', // identity
      '0100000000000000000000000000000000000000000000000000000000000080', // identity, sign bit set (Wycheproof tcId 151)
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // (0, -1)
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // (0, -1), sign bit set (speccheck cases 8-11)
      '0000000000000000000000000000000000000000000000000000000000000000', // order 4 (Wycheproof tcId 60, R = 0)
      '0000000000000000000000000000000000000000000000000000000000000080', // order 4
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8 (speccheck case 0 R)
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8 (speccheck case 0 A)
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p (≡ 0)
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // y = p, sign bit set
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1 (≡ 1, the identity)
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // y = p + 1, sign bit set
    ]) {
      expect(hexes, h).toContain(h);
    }
  });

  it('REFUSED_KEY_X holds exactly the 48 spellings encodedKeyRefusal refuses (38 with y ≥ p, 14 small order, 4 in both)', () => {
    expect(REFUSED_KEY_X.size).toBe(48);
    for (const x of REFUSED_KEY_X) expect(encodedKeyRefusal(Buffer.from(x, 'base64url')), x).not.toBeNull();
    for (let i = 0; i < 500; i++) {
      const raw = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
      expect(REFUSED_KEY_X.has(raw.toString('base64url'))).toBe(false);
      expect(encodedKeyRefusal(raw)).toBeNull();
    }
  });
});

describe('byte checks at their boundaries', () => {
  it('S: L - 1 passes, L, L + 1 and 2^256 - 1 are refused', () => {
    expect(scalarAtLeastL(le(ED25519_L - 1n))).toBe(false);
    expect(scalarAtLeastL(le(0n))).toBe(false);
    expect(scalarAtLeastL(le(2n ** 252n))).toBe(false);
    expect(scalarAtLeastL(le(ED25519_L))).toBe(true);
    expect(scalarAtLeastL(le(ED25519_L + 1n))).toBe(true);
    expect(scalarAtLeastL(Buffer.alloc(32, 0xff))).toBe(true);
  });
  it('y: p - 1 is canonical, p .. 2^255 - 1 are not, with either sign bit', () => {
    expect(hasNonCanonicalY(le(ED25519_P - 1n))).toBe(false);
    for (let y = ED25519_P; y < 2n ** 255n; y++) {
      expect(hasNonCanonicalY(le(y))).toBe(true);
      expect(hasNonCanonicalY(le(y | (1n << 255n)))).toBe(true);
    }
  });
  it('a signature of the wrong length is refused', () => {
    expect(signatureRefusal(Buffer.alloc(63))).toBe('signature-length');
    expect(signatureRefusal(Buffer.alloc(65))).toBe('signature-length');
  });
});

describe('public keys where they enter (provisioning, release keys): the full check', () => {
  it('agrees with @noble/ed25519 (strict decoding + isSmallOrder) on 1000 real and 1000 perturbed keys', () => {
    for (let i = 0; i < 1000; i++) {
      const raw = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
      expect(ed25519PublicKeyProblem(raw)).toBeNull();
      raw[i % 32]! ^= 1 << (i % 8);
      let noble: 'ok' | 'small' | 'bad';
      try {
        noble = ed.Point.fromHex(raw.toString('hex')).isSmallOrder() ? 'small' : 'ok';
      } catch {
        noble = 'bad';
      }
      const mine = ed25519PublicKeyProblem(raw);
      expect(mine === null ? 'ok' : mine === 'small order' ? 'small' : 'bad', raw.toString('hex')).toBe(noble);
    }
  });

  it('names the problem: non-canonical encoding, not on the curve, small order', () => {
    expect(ed25519PublicKeyProblem(le(1n))).toBe('small order');
    expect(ed25519PublicKeyProblem(le(ED25519_P + 3n))).toBe('non-canonical encoding'); // y ≥ p, before any curve arithmetic
    expect(ed25519PublicKeyProblem(le(1n | (1n << 255n)))).toBe('non-canonical encoding'); // x = 0 with the sign bit
    expect(ed25519PublicKeyProblem(le(2n))).toBe('not on the curve'); // y = 2: (y²-1)/(dy²+1) has no square root
    expect(ed25519PublicKeyProblem(Buffer.alloc(31))).toBe('wrong length');
    expect(() => checkEd25519PublicKey(le(1n))).toThrow(WeakPublicKeyError);
    expect(() => checkEd25519PublicKey(le(1n))).toThrow(/expected a canonical encoding of a point of large order, received one that is small order/);
    expect(() => importEd25519PublicKey(le(2n))).toThrow(/not on the curve/);
  });
});

describe('the forgery of issue #18, end to end at the verify function', () => {
  it('under the identity as "device key", R = identity, S = 0 verifies for any message in OpenSSL; the strict verify refuses it', () => {
    const identity = le(1n);
    const forged = Buffer.concat([identity, Buffer.alloc(32)]);
    for (const message of ['a record', 'a bond proof', 'an OTA report']) {
      expect(verify(null, Buffer.from(message), keyObject(identity), forged)).toBe(true);
      expect(verifyEd25519(new KeyCache(2).get(1, identity), Buffer.from(message), forged)).toBe(false);
    }
  });

  it('under a genuine key, small-order R with S = 0, and the genuine signature with S + L, are refused; the genuine one verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const key = new KeyCache(2).get(1, Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    const message = Buffer.from('fleetbed');
    const good = sign(null, message, privateKey);
    expect(verifyEd25519(key, message, good)).toBe(true);
    for (const r of SMALL_ORDER_ENCODINGS) expect(verifyEd25519(key, message, Buffer.concat([r, Buffer.alloc(32)]))).toBe(false);
    const s = BigInt('0x' + Buffer.from(good.subarray(32)).reverse().toString('hex'));
    expect(verifyEd25519(key, message, Buffer.concat([good.subarray(0, 32), le(s + ED25519_L)]))).toBe(false);
  });
});
