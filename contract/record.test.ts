import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as ed from '@noble/ed25519';
import { ContractDecodeError } from './errors.ts';
import { packFirmwareVersion } from './firmware-version.ts';
import {
  BRUSH_MODE_MAX,
  BRUSH_MODES,
  RECORD_FORMAT_2_SINCE,
  SESSION_RECORD_BYTES,
  SESSION_RECORD_FIELD_RANGES,
  SIGNED_RECORD_BYTES,
  decodeSessionRecord,
  encodeSessionRecord,
  packSignedRecord,
  readRecordDeviceId,
  readRecordSeq,
  recordFormatFor,
  sessionRecordSigningBytes,
  unpackSignedRecord,
  type SessionRecord,
} from './record.ts';

const R = SESSION_RECORD_FIELD_RANGES;
const intIn = ([min, max]: readonly [number, number]) =>
  fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);

const recordV1Arb: fc.Arbitrary<SessionRecord> = fc.record({
  formatVersion: fc.constant(1 as const),
  clockReset: fc.boolean(),
  headChanged: fc.boolean(),
  deviceId: intIn(R.deviceId),
  seq: intIn(R.seq),
  startedAt: intIn(R.startedAt),
  durationS: intIn(R.durationS),
  zones: intIn(R.zones),
  pressureAlerts: intIn(R.pressureAlerts),
  headId: intIn(R.headId),
  firmwareVersion: intIn(R.firmwareVersion),
  batteryPct: intIn(R.batteryPct),
});
const recordV2Arb: fc.Arbitrary<SessionRecord> = fc
  .tuple(recordV1Arb, fc.integer({ min: 0, max: BRUSH_MODE_MAX }))
  .map(([r, brushMode]) => ({ ...r, formatVersion: 2 as const, brushMode }));
const recordArb = fc.oneof(recordV1Arb, recordV2Arb);

const sample: SessionRecord = {
  formatVersion: 1,
  clockReset: true,
  headChanged: false,
  deviceId: 0x01_0203_0405,
  seq: 7,
  startedAt: 1_700_000_000,
  durationS: 120,
  zones: 0xff,
  pressureAlerts: 3,
  headId: 0x1000_0000_002a,
  firmwareVersion: packFirmwareVersion('1.4.2'),
  batteryPct: 87,
};

/** The same session written by format-2 firmware (whitening mode). */
const sample2: SessionRecord = { ...sample, formatVersion: 2, brushMode: 2 };

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));

function decodeError(bytes: Uint8Array): ContractDecodeError {
  try {
    decodeSessionRecord(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ContractDecodeError);
    return e as ContractDecodeError;
  }
  throw new Error(`decoded ${hex(bytes)} without error`);
}

describe('session record codec', () => {
  it('encodes the documented layout byte for byte', () => {
    const golden = '01' + '01' + '0000000102030405' + '00000007' + '6553f100' + '0078' + 'ff' + '03' + '10000000002a' + '01040002' + '57' + '00';
    expect(hex(encodeSessionRecord(sample))).toBe(golden);
    expect(decodeSessionRecord(fromHex(golden))).toEqual(sample);
  });

  it('encodes format 2 byte for byte: version byte 2, brushMode in byte 33, every other byte as format 1', () => {
    const golden = '02' + '01' + '0000000102030405' + '00000007' + '6553f100' + '0078' + 'ff' + '03' + '10000000002a' + '01040002' + '57' + '02';
    expect(hex(encodeSessionRecord(sample2))).toBe(golden);
    const decoded = decodeSessionRecord(fromHex(golden));
    expect(decoded).toEqual(sample2);
    expect(decoded.brushMode).toBe(2);
    expect(BRUSH_MODES[decoded.brushMode!]).toBe('whitening');
    expect(hex(encodeSessionRecord(sample)).slice(2, 66)).toBe(golden.slice(2, 66));
  });

  it('a format-1 record decodes without brushMode', () => {
    expect('brushMode' in decodeSessionRecord(encodeSessionRecord(sample))).toBe(false);
  });

  it('ties the format to firmware, per product line', () => {
    expect(RECORD_FORMAT_2_SINCE['adult-brush']).toBe('2.4.0');
    expect(recordFormatFor('adult-brush', packFirmwareVersion('2.3.1'))).toBe(1);
    expect(recordFormatFor('adult-brush', packFirmwareVersion('2.3.65535'))).toBe(1);
    expect(recordFormatFor('adult-brush', packFirmwareVersion('2.4.0'))).toBe(2);
    expect(recordFormatFor('adult-brush', packFirmwareVersion('3.0.0'))).toBe(2);
    expect(recordFormatFor('kids-brush', packFirmwareVersion('1.8.0'))).toBe(1);
    expect(recordFormatFor('kids-brush', packFirmwareVersion('1.9.0'))).toBe(2);
    expect(recordFormatFor('interdental', packFirmwareVersion('1.2.4'))).toBe(1);
    expect(recordFormatFor('interdental', packFirmwareVersion('1.3.0'))).toBe(2);
  });

  it('round-trips every valid record', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const bytes = encodeSessionRecord(r);
        expect(bytes.length).toBe(SESSION_RECORD_BYTES);
        expect(decodeSessionRecord(bytes)).toEqual(r);
        expect(readRecordDeviceId(bytes)).toBe(r.deviceId);
        expect(readRecordSeq(bytes)).toBe(r.seq);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts only canonical bytes: whatever decodes re-encodes to the same bytes', () => {
    const near = fc.uint8Array({ minLength: 34, maxLength: 34 }).map((b) => {
      b[0] = 1 + (b[1]! & 1); // mostly valid headers (either format), so the property reaches the field checks
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(near, fc.uint8Array({ minLength: 34, maxLength: 34 })), (b) => {
        let r: SessionRecord;
        try {
          r = decodeSessionRecord(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ContractDecodeError);
          return;
        }
        expect(hex(encodeSessionRecord(r))).toBe(hex(b));
      }),
      { numRuns: 2000 },
    );
  });

  describe('encode rejects out-of-range fields, naming field, value and range', () => {
    for (const [field, [min, max]] of Object.entries(R)) {
      for (const bad of [min - 1, max + 1, min + 0.5, Number.NaN]) {
        it(`${field} = ${bad}`, () => {
          const r = { ...sample, [field]: bad };
          expect(() => encodeSessionRecord(r)).toThrow(RangeError);
          expect(() => encodeSessionRecord(r)).toThrow(`SessionRecord.${field} must be an integer in ${min}..${max}, got ${bad}`);
        });
      }
    }
    it.each([0, 3, 255])('formatVersion %i (neither 1 nor 2)', (v) => {
      expect(() => encodeSessionRecord({ ...sample, formatVersion: v as 1 })).toThrow(`SessionRecord.formatVersion must be 1 or 2, got ${v}`);
    });
    it('a brushMode on a format-1 record', () => {
      expect(() => encodeSessionRecord({ ...sample, brushMode: 0 })).toThrow('SessionRecord.brushMode must be absent for formatVersion 1, got 0');
    });
    it.each([undefined, -1, BRUSH_MODE_MAX + 1, 255, 1.5, Number.NaN])('format 2 with brushMode %s', (bad) => {
      expect(() => encodeSessionRecord({ ...sample2, brushMode: bad })).toThrow(`SessionRecord.brushMode must be an integer in 0..${BRUSH_MODE_MAX}, got ${bad}`);
    });
    it.each(['clockReset', 'headChanged'])('%s not a boolean', (field) => {
      const r = { ...sample, [field]: 1 } as unknown as SessionRecord;
      expect(() => encodeSessionRecord(r)).toThrow(`SessionRecord.${field} must be a boolean, got 1`);
    });
  });

  describe('decode rejects', () => {
    const good = encodeSessionRecord(sample);
    const patched = (offset: number, value: number) => {
      const b = good.slice();
      b[offset] = value;
      return b;
    };

    it.each([0, 1, 33, 35, 98])('%i bytes with RECORD_LENGTH', (n) => {
      const e = decodeError(new Uint8Array(n).fill(1));
      expect(e.code).toBe('RECORD_LENGTH');
      expect(e.message).toBe(`session record length: expected 34 bytes, received ${n} bytes`);
    });

    it.each([0, 3, 4, 0x80, 255])('formatVersion %i with RECORD_VERSION (format 1 or 2 bytes alike)', (v) => {
      for (const base of [good, encodeSessionRecord(sample2)]) {
        const b = base.slice();
        b[0] = v;
        const e = decodeError(b);
        expect(e.code).toBe('RECORD_VERSION');
        expect(e.message).toBe(`session record formatVersion: expected 1 or 2, received ${v}`);
        expect(() => readRecordDeviceId(b)).toThrow(ContractDecodeError);
        expect(() => sessionRecordSigningBytes(b)).toThrow(ContractDecodeError);
      }
    });

    it.each([1, 2, 3, 255])('a format-1 record with byte 33 = %i with RECORD_RESERVED (never read as format 2)', (v) => {
      const e = decodeError(patched(33, v));
      expect(e.code).toBe('RECORD_RESERVED');
      expect(e.message).toBe(`session record reserved byte 33 (format 1): expected 0, received ${v}`);
    });

    it.each([BRUSH_MODE_MAX + 1, 0x80, 255])('a format-2 record with brushMode %i with RECORD_FIELD_RANGE', (v) => {
      const b = encodeSessionRecord(sample2);
      b[33] = v;
      const e = decodeError(b);
      expect(e.code).toBe('RECORD_FIELD_RANGE');
      expect(e.message).toBe(`session record brushMode (format 2, byte 33): expected 0..${BRUSH_MODE_MAX}, received ${v}`);
    });

    it('every brushMode in range decodes as format 2', () => {
      for (let m = 0; m <= BRUSH_MODE_MAX; m++) {
        const b = encodeSessionRecord(sample2);
        b[33] = m;
        expect(decodeSessionRecord(b)).toEqual({ ...sample2, brushMode: m });
      }
    });

    it('unknown flag bits with RECORD_FLAGS', () => {
      expect(decodeError(patched(1, 0b101)).code).toBe('RECORD_FLAGS');
    });

    it('batteryPct over 100, seq 0 and deviceId from 2^53 with RECORD_FIELD_RANGE', () => {
      expect(decodeError(patched(32, 101)).message).toBe('session record batteryPct: expected 0..100, received 101');
      const seq0 = good.slice();
      seq0.fill(0, 10, 14);
      expect(decodeError(seq0).code).toBe('RECORD_FIELD_RANGE');
      const big = patched(3, 0x20); // high u32 = 0x00200000 → deviceId = 2^53 + …
      expect(decodeError(big).code).toBe('RECORD_FIELD_RANGE');
      expect(() => readRecordDeviceId(big)).toThrow(ContractDecodeError);
    });
  });
});

describe('signed records', () => {
  const secretKey = new Uint8Array(32).fill(7);

  it('signs the domain-tagged record bytes and survives pack/unpack', async () => {
    const record = encodeSessionRecord(sample);
    const toSign = sessionRecordSigningBytes(record);
    expect(new TextDecoder().decode(toSign.subarray(0, 27))).toBe('fleetbed/session-record/v1\0');
    expect(hex(toSign.subarray(27))).toBe(hex(record));

    const signature = await ed.signAsync(toSign, secretKey);
    const packed = packSignedRecord(record, signature);
    expect(packed.length).toBe(SIGNED_RECORD_BYTES);
    expect(readRecordDeviceId(packed)).toBe(sample.deviceId);
    expect(readRecordSeq(packed)).toBe(sample.seq);

    const unpacked = unpackSignedRecord(packed);
    expect(decodeSessionRecord(unpacked.record)).toEqual(sample);
    const publicKey = await ed.getPublicKeyAsync(secretKey);
    expect(await ed.verifyAsync(unpacked.signature, sessionRecordSigningBytes(unpacked.record), publicKey)).toBe(true);
  });

  it('the signature covers the version byte: a format-2 record relabelled format 1 (or back) no longer verifies', async () => {
    const publicKey = await ed.getPublicKeyAsync(secretKey);
    const daily2 = encodeSessionRecord({ ...sample2, brushMode: 0 }); // byte 33 = 0: the flipped bytes decode as format 1
    const sig2 = await ed.signAsync(sessionRecordSigningBytes(daily2), secretKey);
    const as1 = daily2.slice();
    as1[0] = 1;
    expect(decodeSessionRecord(as1)).toEqual(sample);
    expect(await ed.verifyAsync(sig2, sessionRecordSigningBytes(daily2), publicKey)).toBe(true);
    expect(await ed.verifyAsync(sig2, sessionRecordSigningBytes(as1), publicKey)).toBe(false);
    const v1 = encodeSessionRecord(sample);
    const sig1 = await ed.signAsync(sessionRecordSigningBytes(v1), secretKey);
    const as2 = v1.slice();
    as2[0] = 2;
    expect(decodeSessionRecord(as2)).toEqual({ ...sample, formatVersion: 2, brushMode: 0 });
    expect(await ed.verifyAsync(sig1, sessionRecordSigningBytes(as2), publicKey)).toBe(false);
  });

  it('rejects wrong lengths', () => {
    const record = encodeSessionRecord(sample);
    expect(() => packSignedRecord(record.subarray(1), new Uint8Array(64))).toThrow('record must be 34 bytes, got 33');
    expect(() => packSignedRecord(record, new Uint8Array(63))).toThrow('signature must be 64 bytes, got 63');
    for (const n of [0, 34, 97, 99]) {
      try {
        unpackSignedRecord(new Uint8Array(n));
        expect.unreachable();
      } catch (e) {
        expect((e as ContractDecodeError).code).toBe('SIGNED_RECORD_LENGTH');
        expect((e as Error).message).toContain(`received ${n} bytes`);
      }
    }
    expect(() => sessionRecordSigningBytes(new Uint8Array(33))).toThrow(ContractDecodeError);
  });
});
