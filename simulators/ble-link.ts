import { FrameAssembler, splitIntoFrames } from '../contract/ble.ts';
import { SimulatorError } from './errors.ts';

/**
 * The BLE hop between a device and the phone: the device cuts a message (a
 * packed signed record) into 20-byte notifications, the phone reassembles and
 * CRC-checks it. Every record a simulated phone uploads has made this trip, so
 * the bytes on the wire to the platform are the bytes the framing delivered.
 * The link is lossless here (frame faults belong to a fault injector); a
 * framing bug surfaces as an error naming the device and message.
 */
export function carryOverBle(deviceId: number, messageId: number, payload: Uint8Array): Uint8Array {
  const assembler = new FrameAssembler();
  const frames = splitIntoFrames(messageId & 0xff, payload);
  for (let i = 0; i < frames.length; i++) {
    const r = assembler.push(frames[i]!);
    if (r.status === 'complete' && i === frames.length - 1) return r.payload;
    if (r.status !== 'incomplete') {
      throw new SimulatorError('FLEETBED_BLE_LINK_FAILED', `device ${deviceId}: BLE message ${messageId & 0xff} frame ${i} of ${frames.length} was ${r.status}${'message' in r ? `: ${r.message}` : ''}`);
    }
  }
  throw new SimulatorError('FLEETBED_BLE_LINK_FAILED', `device ${deviceId}: BLE message ${messageId & 0xff} never completed`);
}
