import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { encodeFirmwareManifest, firmwareManifestSigningBytes, testReleaseSeed, type FirmwareManifest } from '../../contract/ota.ts';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { PRODUCT_LINES, type ProductLine } from '../../contract/product-line.ts';
import { checkBehaviour, type FirmwareBehaviour } from './behaviour.ts';

/** Bytes a phone writes to the inactive bank per chunk. */
export const DEFAULT_CHUNK_BYTES = 4096;

export interface ImageSpec {
  productLine: ProductLine;
  version: string;
  antiRollbackCounter: number;
  sizeBytes?: number;
  /** Seeds the image bytes (imageContent). */
  contentSeed: number;
  behaviour?: FirmwareBehaviour;
  /** Release key seed (32 bytes); default the TEST release seed of contract/ota.ts. */
  releaseSeed?: Uint8Array;
  /** A manifest whose SHA-256 is NOT the content's (a bad build): fails verification at every device. */
  wrongHash?: boolean;
}

/** A signed image: what a release pipeline publishes, plus the latent behaviour the testbed plants. */
export interface FirmwareImage {
  manifest: FirmwareManifest;
  manifestBytes: Uint8Array;
  signature: Uint8Array;
  content: Uint8Array;
  behaviour: FirmwareBehaviour;
  chunkBytes: number;
  chunkCount: number;
}

/**
 * `sizeBytes` deterministic bytes for `seed` (xorshift32): the same image
 * content on every run, without storing it.
 */
export function imageContent(seed: number, sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = (seed ^ 0x9e37_79b9) >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

function keyOfSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.alloc(32).toString('base64url') }, format: 'jwk' });
}

/** Raw 32-byte public key of a release seed. */
export function releasePublicKey(seed: Uint8Array = testReleaseSeed()): Uint8Array {
  return new Uint8Array(Buffer.from(createPublicKey(keyOfSeed(seed)).export({ format: 'jwk' }).x!, 'base64url'));
}

/** Build and sign an image (Ed25519 is deterministic: the same spec gives the same bytes). */
export function buildImage(spec: ImageSpec, chunkBytes = DEFAULT_CHUNK_BYTES): FirmwareImage {
  const sizeBytes = spec.sizeBytes ?? 64 * 1024;
  const content = imageContent(spec.contentSeed, sizeBytes);
  const hash = sha256(content);
  if (spec.wrongHash) hash[0]! ^= 0xff;
  const manifest: FirmwareManifest = {
    formatVersion: 1,
    productLine: spec.productLine,
    firmwareVersion: packFirmwareVersion(spec.version),
    sizeBytes,
    antiRollbackCounter: spec.antiRollbackCounter,
    sha256: hash,
  };
  const manifestBytes = encodeFirmwareManifest(manifest);
  const signature = new Uint8Array(sign(null, firmwareManifestSigningBytes(manifestBytes), keyOfSeed(spec.releaseSeed ?? testReleaseSeed())));
  return { manifest, manifestBytes, signature, content, behaviour: checkBehaviour(spec.behaviour ?? { kind: 'good' }), chunkBytes, chunkCount: Math.ceil(sizeBytes / chunkBytes) };
}

export type VerifyDetail = 'none' | 'signature-invalid' | 'hash-mismatch';

/**
 * What a bootloader checks before it switches banks: the release signature
 * over the manifest, under a key burned into the bootloader, then the SHA-256
 * of the bytes in the inactive bank against the manifest's. Real crypto.
 */
export function verifyImage(manifestBytes: Uint8Array, signature: Uint8Array, bankBytes: Uint8Array, trustedKeys: readonly Uint8Array[]): VerifyDetail {
  const message = firmwareManifestSigningBytes(manifestBytes);
  const signed = trustedKeys.some((raw) => {
    try {
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
      return signature.length === 64 && verify(null, message, key, signature);
    } catch {
      return false;
    }
  });
  if (!signed) return 'signature-invalid';
  const expected = manifestBytes.subarray(16, 48);
  const actual = sha256(bankBytes);
  for (let i = 0; i < 32; i++) if (actual[i] !== expected[i]) return 'hash-mismatch';
  return 'none';
}

/** The bytes a bank holds after a download in which `corruptChunks` arrived with a flipped byte. */
export function bankBytesAfter(image: FirmwareImage, corruptChunks: readonly number[]): Uint8Array {
  const bytes = image.content.slice();
  for (const c of corruptChunks) bytes[Math.min(bytes.length - 1, c * image.chunkBytes)]! ^= 0x40;
  return bytes;
}

/**
 * The images of a run, indexed by small integers for the typed-array columns.
 * Each image's verification at its source is computed once, with real crypto:
 * whether its signature verifies under the devices' trusted keys and its
 * bytes hash to its manifest. A device's verification is then that verdict
 * and whether a chunk of its own download arrived corrupted (a flipped byte
 * changes the SHA-256; bankBytesAfter() and verifyImage() show it on bytes).
 */
export class ImageCatalog {
  readonly images: readonly FirmwareImage[];
  /** Product line code (PRODUCT_LINES index) of each image. */
  readonly line: Uint8Array;
  readonly version: Uint32Array;
  readonly counter: Uint32Array;
  readonly chunkCount: Uint32Array;
  /** 'none' when the image as published verifies; else why it does not. */
  readonly sourceVerdict: readonly VerifyDetail[];

  constructor(images: readonly FirmwareImage[], trustedKeys: readonly Uint8Array[] = [releasePublicKey()]) {
    if (images.length > 0x7fff_ffff) throw new RangeError(`at most 2^31-1 images, got ${images.length}`);
    this.images = images;
    const n = images.length;
    this.line = new Uint8Array(n);
    this.version = new Uint32Array(n);
    this.counter = new Uint32Array(n);
    this.chunkCount = new Uint32Array(n);
    this.sourceVerdict = images.map((img, i) => {
      this.line[i] = PRODUCT_LINES.indexOf(img.manifest.productLine);
      this.version[i] = img.manifest.firmwareVersion;
      this.counter[i] = img.manifest.antiRollbackCounter;
      this.chunkCount[i] = img.chunkCount;
      return verifyImage(img.manifestBytes, img.signature, img.content, trustedKeys);
    });
  }

  get size(): number {
    return this.images.length;
  }

  image(i: number): FirmwareImage {
    const img = this.images[i];
    if (!img) throw new RangeError(`no image ${i}: the catalog holds ${this.images.length}`);
    return img;
  }
}
