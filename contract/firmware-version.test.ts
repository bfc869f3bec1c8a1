import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compareFirmwareVersion, packFirmwareVersion, unpackFirmwareVersion } from './firmware-version.ts';

const versionArb = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 65_535 }))
  .map(([a, b, c]) => ({ parts: [a, b, c] as const, text: `${a}.${b}.${c}` }));

describe('firmware version', () => {
  it('packs major(8).minor(8).patch(16)', () => {
    expect(packFirmwareVersion('1.4.2')).toBe(0x0104_0002);
    expect(packFirmwareVersion('0.0.0')).toBe(0);
    expect(packFirmwareVersion('255.255.65535')).toBe(0xffff_ffff);
    expect(unpackFirmwareVersion(0x0104_0002)).toBe('1.4.2');
  });

  it('round-trips text and packed forms', () => {
    fc.assert(
      fc.property(versionArb, ({ text }) => {
        expect(unpackFirmwareVersion(packFirmwareVersion(text))).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        expect(packFirmwareVersion(unpackFirmwareVersion(n))).toBe(n);
      }),
    );
  });

  it('orders like the (major, minor, patch) tuple', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        const [a0, a1, a2] = a.parts;
        const [b0, b1, b2] = b.parts;
        const expected = Math.sign(a0 - b0 || a1 - b1 || a2 - b2);
        expect(compareFirmwareVersion(a.text, b.text)).toBe(expected);
        expect(compareFirmwareVersion(packFirmwareVersion(a.text), b.text)).toBe(expected);
      }),
    );
    expect(['1.10.0', '1.2.3', '1.2.10', '0.9.9'].sort(compareFirmwareVersion)).toEqual(['0.9.9', '1.2.3', '1.2.10', '1.10.0']);
  });

  it.each(['', '1.4', '1.4.2.0', 'v1.4.2', '01.4.2', '1.4.-2', '1.4.2 ', '1..2', '256.0.0', '0.256.0', '0.0.65536'])(
    'rejects %j, naming it',
    (bad) => {
      expect(() => packFirmwareVersion(bad)).toThrow(RangeError);
      expect(() => packFirmwareVersion(bad)).toThrow(JSON.stringify(bad));
    },
  );

  it.each([-1, 0x1_0000_0000, 1.5, Number.NaN])('rejects packed %d, naming it', (bad) => {
    expect(() => unpackFirmwareVersion(bad)).toThrow(`got ${bad}`);
    expect(() => compareFirmwareVersion(bad, 0)).toThrow(RangeError);
  });
});
