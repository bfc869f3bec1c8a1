/**
 * Strict Ed25519 rules the platform applies on top of Node's (OpenSSL's)
 * verify, which accepts small-order public keys, small-order R and
 * non-canonical encodings (see "Taming the many EdDSAs", Chalkias, Garillot,
 * Nikolaenko, 2020, and reference-api/src/ed25519-strict.test.ts).
 *
 * Two parts, with very different costs:
 *
 * - {@link ed25519PublicKeyProblem}: the full check of a public key (decode y,
 *   recover x, multiply by the cofactor). BigInt arithmetic, tens of µs: run
 *   once per key where keys enter the platform (factory provisioning, release
 *   keys in the configuration).
 * - {@link signatureRefusal}: what every verify checks before crypto.verify
 *   (S < L, R and A canonical, neither R nor A of small order), with byte
 *   comparisons only, well under a microsecond.
 *
 * The policy is cofactorless, like OpenSSL ([S]B = R + [k]A), plus those
 * refusals: of the twelve "Taming" cases it accepts only case 3 (mixed-order A
 * and R, which verifies cofactorless and cofactored alike), as ed25519-dalek's
 * verify_strict and libsodium do.
 */

/** The field prime 2^255 - 19. */
export const ED25519_P = 2n ** 255n - 19n;
/** The order of the base point (the prime subgroup): a canonical S is below it. */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

const P = ED25519_P;
const MASK255 = (1n << 255n) - 1n;

/** x mod p for 0 ≤ x < 2^510 (products of two reduced elements), without a division. */
function red(x: bigint): bigint {
  x = (x & MASK255) + 19n * (x >> 255n);
  x = (x & MASK255) + 19n * (x >> 255n);
  return x >= P ? x - P : x;
}
const mul = (a: bigint, b: bigint) => red(a * b);
const add = (a: bigint, b: bigint) => {
  const s = a + b;
  return s >= P ? s - P : s;
};
const sub = (a: bigint, b: bigint) => (a >= b ? a - b : a + P - b);

/** b^e mod p, square-and-multiply. */
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = b;
  while (e > 0n) {
    if (e & 1n) r = mul(r, x);
    x = mul(x, x);
    e >>= 1n;
  }
  return r;
}
const inv = (a: bigint) => pow(a, P - 2n);

/** z^(2^k), k squarings. */
function sqn(z: bigint, k: number): bigint {
  for (let i = 0; i < k; i++) z = mul(z, z);
  return z;
}

/** z^((p-5)/8) = z^(2^252-3), by ref10's addition chain (250 squarings, 11 multiplications, against ~500 for square-and-multiply). */
function pow22523(z: bigint): bigint {
  const z2 = mul(z, z);
  const z9 = mul(z, sqn(z2, 2));
  const z11 = mul(z2, z9);
  const z5_0 = mul(z9, mul(z11, z11)); // z^(2^5-1)
  const z10_0 = mul(sqn(z5_0, 5), z5_0);
  const z20_0 = mul(sqn(z10_0, 10), z10_0);
  const z40_0 = mul(sqn(z20_0, 20), z20_0);
  const z50_0 = mul(sqn(z40_0, 10), z10_0);
  const z100_0 = mul(sqn(z50_0, 50), z50_0);
  const z200_0 = mul(sqn(z100_0, 100), z100_0);
  const z250_0 = mul(sqn(z200_0, 50), z50_0);
  return mul(sqn(z250_0, 2), z);
}

/** The curve constant d = -121665/121666. */
const D = mul(P - 121665n, inv(121666n));
const D2 = add(D, D);
/** sqrt(-1) = 2^((p-1)/4). */
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** A point in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z. */
interface Ext {
  X: bigint;
  Y: bigint;
  Z: bigint;
  T: bigint;
}

/** Doubling (dbl-2008-hwcd, a = -1). */
function double(p: Ext): Ext {
  const A = mul(p.X, p.X);
  const B = mul(p.Y, p.Y);
  const C = add(mul(p.Z, p.Z), mul(p.Z, p.Z));
  const Dm = A === 0n ? 0n : P - A; // a·A with a = -1
  const E = sub(sub(mul(add(p.X, p.Y), add(p.X, p.Y)), A), B);
  const G = add(Dm, B);
  const F = sub(G, C);
  const H = sub(Dm, B);
  return { X: mul(E, F), Y: mul(G, H), Z: mul(F, G), T: mul(E, H) };
}

/** Addition (add-2008-hwcd-3, a = -1). */
function addPoints(p: Ext, q: Ext): Ext {
  const A = mul(sub(p.Y, p.X), sub(q.Y, q.X));
  const B = mul(add(p.Y, p.X), add(q.Y, q.X));
  const C = mul(mul(p.T, D2), q.T);
  const Dd = mul(add(p.Z, p.Z), q.Z);
  const E = sub(B, A);
  const F = sub(Dd, C);
  const G = add(Dd, C);
  const H = add(B, A);
  return { X: mul(E, F), Y: mul(G, H), Z: mul(F, G), T: mul(E, H) };
}

const isIdentity = (p: Ext) => p.X === 0n && p.Y === p.Z;

/** The 32 bytes as a little-endian integer. */
function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function toLe(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** Why a 32-byte string is not an acceptable Ed25519 public key. */
export type PublicKeyProblem = 'wrong length' | 'non-canonical encoding' | 'not on the curve' | 'small order';

type Decoded = { ok: true; point: Ext; canonical: boolean } | { ok: false; problem: 'not on the curve' };

/**
 * RFC 8032 §5.1.3 decoding, leniently: y may be ≥ p (reduced) and x = 0 may
 * carry the sign bit; `canonical` says whether the encoding was the one
 * canonical one. Fails only for a y with no x on the curve.
 */
function decodeLenient(bytes: Uint8Array): Decoded {
  const n = le(bytes);
  const sign = n >> 255n;
  const yRaw = n & MASK255;
  let canonical = yRaw < P;
  const y = yRaw % P;
  const yy = mul(y, y);
  const u = sub(yy, 1n);
  const v = add(mul(D, yy), 1n);
  // x = u v^3 (u v^7)^((p-5)/8), then fix up by sqrt(-1) if needed.
  const v3 = mul(mul(v, v), v);
  const v7 = mul(mul(v3, v3), v);
  let x = mul(mul(u, v3), pow22523(mul(u, v7)));
  const vxx = mul(v, mul(x, x));
  if (vxx === u) {
    // x is a root
  } else if (vxx === (u === 0n ? 0n : P - u)) {
    x = mul(x, SQRT_M1);
  } else {
    return { ok: false, problem: 'not on the curve' };
  }
  if (x === 0n && sign === 1n) canonical = false;
  if ((x & 1n) !== sign) x = x === 0n ? 0n : P - x;
  return { ok: true, point: { X: x, Y: y, Z: 1n, T: mul(x, y) }, canonical };
}

/**
 * Whether `raw` is an Ed25519 public key the platform accepts, or why not:
 * 32 bytes; y < p and no sign bit on x = 0 ("non-canonical encoding"); a y
 * with a point on the curve ("not on the curve"); [8]A ≠ identity, i.e. not
 * one of the eight points of order ≤ 8 ("small order"). Null when acceptable.
 * BigInt arithmetic (~tens of µs): once per key, never per record.
 */
export function ed25519PublicKeyProblem(raw: Uint8Array): PublicKeyProblem | null {
  if (raw.length !== 32) return 'wrong length';
  if (hasNonCanonicalY(raw, 0)) return 'non-canonical encoding';
  const d = decodeLenient(raw);
  if (!d.ok) return d.problem;
  if (!d.canonical) return 'non-canonical encoding';
  if (isIdentity(double(double(double(d.point))))) return 'small order';
  return null;
}

// ---------------------------------------------------------------- the hot path: byte comparisons only

/** The canonical encoding of a point. */
function encode(p: Ext): Uint8Array {
  const zi = inv(p.Z);
  const x = mul(p.X, zi);
  const y = mul(p.Y, zi);
  return toLe(y | ((x & 1n) << 255n));
}

/**
 * Every 32-byte string that decodes (leniently) to one of the eight points of
 * order ≤ 8: their eight canonical encodings, and the non-canonical ones a
 * lax decoder also accepts — x = 0 with the sign bit set (identity, (0, -1))
 * and y + p for the points whose y < 19 (y = 0, y = 1), six more: fourteen.
 * Generated from one point T of order 8 ([k]T, k = 0..7), not typed in.
 */
export const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = (() => {
  const t = decodeLenient(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'));
  if (!t.ok) throw new Error('the order-8 generator is not on the curve');
  const points: Ext[] = [{ X: 0n, Y: 1n, Z: 1n, T: 0n }];
  for (let k = 1; k < 8; k++) points.push(addPoints(points[k - 1]!, t.point));
  if (!isIdentity(addPoints(points[7]!, t.point)) || isIdentity(points[4]!)) {
    throw new Error('the generator is not of order 8');
  }
  const out = new Map<string, Uint8Array>();
  const put = (y: bigint, sign: bigint) => {
    const e = toLe(y | (sign << 255n));
    out.set(Buffer.from(e).toString('hex'), e);
  };
  for (const p of points) {
    const canonical = encode(p);
    const n = le(canonical);
    const y = n & MASK255;
    const sign = n >> 255n;
    put(y, sign);
    const xZero = p.X === 0n;
    if (xZero) put(y, 1n);
    if (y + P <= MASK255) {
      put(y + P, sign);
      if (xZero) put(y + P, 1n);
    }
  }
  return Object.freeze([...out.values()]);
})();

/** First byte → whether some small-order encoding starts with it (most R fail this test at once). */
const SMALL_ORDER_FIRST = (() => {
  const t = new Uint8Array(256);
  for (const e of SMALL_ORDER_ENCODINGS) t[e[0]!] = 1;
  return t;
})();

/** Whether the 32 bytes of `b` at `off` are one of {@link SMALL_ORDER_ENCODINGS}. */
export function isSmallOrderEncoding(b: Uint8Array, off = 0): boolean {
  if (SMALL_ORDER_FIRST[b[off]!] === 0) return false;
  outer: for (const e of SMALL_ORDER_ENCODINGS) {
    for (let i = 0; i < 32; i++) if (b[off + i] !== e[i]) continue outer;
    return true;
  }
  return false;
}

/** Whether the y of the 32-byte point encoding at `off` is ≥ p (a non-canonical encoding of y − p). */
export function hasNonCanonicalY(b: Uint8Array, off = 0): boolean {
  if ((b[off + 31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (b[off + i] !== 0xff) return false;
  return b[off]! >= 0xed;
}

const L_BYTES = toLe(ED25519_L);

/** Whether the 32-byte little-endian scalar at `off` is ≥ L (non-canonical S; malleable). */
export function scalarAtLeastL(b: Uint8Array, off = 0): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = b[off + i]!;
    const l = L_BYTES[i]!;
    if (x !== l) return x > l;
  }
  return true;
}

/** Why a signature is refused before the curve equation is even tried. */
export type SignatureRefusal = 'signature-length' | 's-not-below-l' | 'r-non-canonical' | 'r-small-order';

/**
 * The strict policy's refusals of a signature (R ‖ S, 64 bytes) that need no
 * curve arithmetic: S ≥ L; R with y ≥ p; R one of the fourteen encodings of a
 * point of order ≤ 8 (which covers x = 0 with the sign bit set). Null: go on.
 * Byte comparisons only (a table lookup on R's first byte settles almost every R).
 */
export function signatureRefusal(signature: Uint8Array): SignatureRefusal | null {
  if (signature.length !== 64) return 'signature-length';
  if (scalarAtLeastL(signature, 32)) return 's-not-below-l';
  if (hasNonCanonicalY(signature, 0)) return 'r-non-canonical';
  if (isSmallOrderEncoding(signature, 0)) return 'r-small-order';
  return null;
}

/** Why a public key is refused at verify time (the cheap part of {@link ed25519PublicKeyProblem}). */
export type EncodedKeyRefusal = 'a-length' | 'a-non-canonical' | 'a-small-order';

/** The byte checks of a public key A that every verify can afford: 32 bytes, y < p, not of small order. */
export function encodedKeyRefusal(a: Uint8Array): EncodedKeyRefusal | null {
  if (a.length !== 32) return 'a-length';
  if (hasNonCanonicalY(a, 0)) return 'a-non-canonical';
  if (isSmallOrderEncoding(a, 0)) return 'a-small-order';
  return null;
}

/**
 * The base64url (JWK `x`) spellings of every 32-byte string that
 * {@link encodedKeyRefusal} refuses: the 38 with y ≥ p (19 values of y, either
 * sign) and the fourteen small-order encodings (four of them among the 38),
 * 48 in all. A key cached as its `x` is checked with one Set lookup.
 */
export const REFUSED_KEY_X: ReadonlySet<string> = (() => {
  const out = new Set<string>();
  for (let y = P; y <= MASK255; y++) for (const sign of [0n, 1n]) out.add(Buffer.from(toLe(y | (sign << 255n))).toString('base64url'));
  for (const e of SMALL_ORDER_ENCODINGS) out.add(Buffer.from(e).toString('base64url'));
  return out;
})();

/** Both cheap refusals, key first: what verifyEd25519 (reference-api/src/keys.ts) applies before crypto.verify. */
export function strictRefusal(a: Uint8Array, signature: Uint8Array): EncodedKeyRefusal | SignatureRefusal | null {
  return encodedKeyRefusal(a) ?? signatureRefusal(signature);
}
