import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';

/**
 * Device keys derive from (root seed, device index): a million devices need no
 * key storage, and the same seed always gives the same fleet of keys.
 *
 *   seed_i = SHA-256("fleetbed/device-key/v1\0" || u64be(rootSeed) || u64be(index))
 *
 * seed_i is the RFC 8032 Ed25519 private key (32 bytes). Two implementations
 * sign with it, byte for byte the same (Ed25519 signatures are deterministic;
 * device-keys.test.ts checks both against each other and RFC 8032 §7.1):
 *
 * - Node crypto, the hot path: the seed is imported through JWK; OpenSSL derives
 *   the public key from `d` and ignores the placeholder `x` (measured: ~40k keys/s
 *   per core, vs ~2.7k/s through PKCS8 DER).
 * - @noble/ed25519, pure JavaScript: the portable implementation a device's
 *   firmware model (or k6, or a browser) can run. Its async API hashes with
 *   WebCrypto's SHA-512, so it needs no extra hash package.
 */
const TAG = Buffer.from('fleetbed/device-key/v1\0');
const PLACEHOLDER_X = Buffer.alloc(32).toString('base64url');

export function deviceKeySeed(rootSeed: number | bigint, index: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(rootSeed)), 0);
  b.writeBigUInt64BE(BigInt(index), 8);
  return createHash('sha256').update(TAG).update(b).digest();
}

export interface DeviceKey {
  privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
}

/** Node KeyObject for a 32-byte Ed25519 seed. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: PLACEHOLDER_X }, format: 'jwk' });
}

/** Raw 32-byte public key of a private (or public) Ed25519 KeyObject: the JWK's `x`, which OpenSSL derived at import. */
export function publicKeyOf(privateKey: KeyObject): Buffer {
  const x = privateKey.export({ format: 'jwk' }).x;
  if (!x) throw new Error('Ed25519 public key export produced no x');
  return Buffer.from(x, 'base64url');
}

export function deriveDeviceKey(rootSeed: number | bigint, index: number): DeviceKey {
  const privateKey = privateKeyFromSeed(deviceKeySeed(rootSeed, index));
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** Ed25519 signature (64 bytes) of `message`. */
export function signWith(privateKey: KeyObject, message: Uint8Array): Buffer {
  return sign(null, message, privateKey);
}

/** Raw 32-byte Ed25519 public key of a 32-byte seed, computed by @noble/ed25519 (portable path). */
export function noblePublicKey(seed: Uint8Array): Promise<Uint8Array> {
  return ed.getPublicKeyAsync(seed);
}

/** Ed25519 signature (64 bytes) of `message` under a 32-byte seed, computed by @noble/ed25519 (portable path). */
export function nobleSign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  return ed.signAsync(message, seed);
}

/** Verifies an Ed25519 signature with @noble/ed25519 (RFC 8032 rules, as OpenSSL applies them). */
export function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  return ed.verifyAsync(signature, message, publicKey);
}
