import { describe, expect, it } from 'vitest';
import { BLE_FRAME_BYTES, bleFrameCount } from '../contract/ble.ts';
import { SIGNED_RECORD_BYTES } from '../contract/record.ts';
import { carryOverBle } from './ble-link.ts';

describe('carryOverBle', () => {
  it('delivers a signed record through 20-byte frames unchanged', () => {
    const signed = Uint8Array.from({ length: SIGNED_RECORD_BYTES }, (_, i) => (i * 37) & 0xff);
    expect(bleFrameCount(signed.length)).toBe(7);
    expect(BLE_FRAME_BYTES).toBe(20);
    for (const messageId of [0, 1, 255, 256, 70_000]) expect(Buffer.from(carryOverBle(1, messageId, signed)).equals(Buffer.from(signed))).toBe(true);
  });
});
