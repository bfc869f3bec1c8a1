import { describe, expect, it } from 'vitest';
import { TEST_RELEASE_PUBLIC_KEY } from '../../contract/ota.ts';
import { bankBytesAfter, buildImage, imageContent, ImageCatalog, releasePublicKey, verifyImage } from './image.ts';

const spec = { productLine: 'adult-brush' as const, version: '2.0.0', antiRollbackCounter: 2, contentSeed: 42, sizeBytes: 20_000 };

describe('firmware images', () => {
  it('are deterministic: the same spec gives the same bytes and signature', () => {
    expect(imageContent(1, 64)).toEqual(imageContent(1, 64));
    expect(imageContent(1, 64)).not.toEqual(imageContent(2, 64));
    const a = buildImage(spec);
    const b = buildImage(spec);
    expect(a.signature).toEqual(b.signature);
    expect(a.manifestBytes).toEqual(b.manifestBytes);
    expect(a.chunkCount).toBe(5);
  });

  it('are signed by the TEST release key of the contract unless told otherwise', () => {
    expect(Buffer.from(releasePublicKey()).toString('base64url')).toBe(TEST_RELEASE_PUBLIC_KEY);
  });

  it('verify with real crypto: signature first, then the hash of the bank', () => {
    const img = buildImage(spec);
    const trusted = [releasePublicKey()];
    expect(verifyImage(img.manifestBytes, img.signature, img.content, trusted)).toBe('none');
    expect(verifyImage(img.manifestBytes, img.signature, bankBytesAfter(img, [3]), trusted)).toBe('hash-mismatch');
    const rogue = buildImage({ ...spec, releaseSeed: new Uint8Array(32).fill(1) });
    expect(verifyImage(rogue.manifestBytes, rogue.signature, rogue.content, trusted)).toBe('signature-invalid');
    const tampered = img.manifestBytes.slice();
    tampered[15]! ^= 1; // the anti-rollback counter
    expect(verifyImage(tampered, img.signature, img.content, trusted)).toBe('signature-invalid');
    expect(verifyImage(img.manifestBytes, img.signature.subarray(1), img.content, trusted)).toBe('signature-invalid');
  });

  it('a catalog verifies each image once at its source', () => {
    const catalog = new ImageCatalog([buildImage(spec), buildImage({ ...spec, version: '2.0.1', wrongHash: true }), buildImage({ ...spec, releaseSeed: new Uint8Array(32).fill(9) })]);
    expect(catalog.sourceVerdict).toEqual(['none', 'hash-mismatch', 'signature-invalid']);
    expect([...catalog.counter]).toEqual([2, 2, 2]);
    expect(() => catalog.image(3)).toThrow(/no image 3/);
  });
});
