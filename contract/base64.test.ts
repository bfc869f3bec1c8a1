import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from './base64.ts';
import { ContractDecodeError } from './errors.ts';

describe('base64', () => {
  it('agrees with Node for both forms', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const std = Buffer.from(bytes).toString('base64');
        const url = Buffer.from(bytes).toString('base64url');
        expect(encodeBase64(bytes)).toBe(std);
        expect(encodeBase64Url(bytes)).toBe(url);
        expect(decodeBase64(std)).toEqual(bytes);
        expect(decodeBase64Url(url)).toEqual(bytes);
      }),
    );
  });

  it('encodes the RFC 4648 test vectors', () => {
    const vectors = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy'];
    ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].forEach((s, i) => {
      expect(encodeBase64(new TextEncoder().encode(s))).toBe(vectors[i]);
    });
  });

  it('decodes only canonical text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12, unit: fc.constantFrom(...'AQgw+/-_=Zz09 '.split('')) }), (text) => {
        for (const [decode, encode] of [
          [decodeBase64, encodeBase64],
          [decodeBase64Url, encodeBase64Url],
        ] as const) {
          let bytes: Uint8Array;
          try {
            bytes = decode(text);
          } catch (e) {
            expect((e as ContractDecodeError).code).toBe('BASE64_INVALID');
            continue;
          }
          expect(encode(bytes)).toBe(text);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it.each(['Zg', 'Zh==', 'Zg=', 'Z===', 'Zm9v\n', 'Zm-v', 'Zm9v===='])('rejects padded %j', (bad) => {
    expect(() => decodeBase64(bad)).toThrow(ContractDecodeError);
  });

  it.each(['Zg==', 'Zh', 'Z', 'Zm+v', 'Zm9v '])('rejects url %j', (bad) => {
    expect(() => decodeBase64Url(bad)).toThrow(ContractDecodeError);
  });
});
