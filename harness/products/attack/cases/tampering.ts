import { defineCases, type AttackCase } from '../types.ts';
import { mutate, REC, writeDeviceId } from './_util.ts';
import type { AttackWorld } from '../world.ts';

const sigInvalid = { status: 422, codes: [REC + 'signature-invalid'] };
const envelope = { status: 400, codes: ['validation-failed'] };

/** Each field of a genuinely signed, never-stored record changed after signing. */
const FIELDS: Array<[field: string, f: (b: Buffer, w: AttackWorld) => void, expected: typeof sigInvalid]> = [
  // Relabel the record as the other format (1 ↔ 2): both are valid layouts now, so only the signature can refuse it.
  ['formatVersion', (b) => void (b[0] = b[0] === 1 ? 2 : 1), sigInvalid],
  ['formatVersionUnknown', (b) => void (b[0] = 0xff), envelope],
  ['flags', (b) => void (b[1]! ^= 0x01), sigInvalid],
  ['deviceId', (b, w) => writeDeviceId(b, w.A2.deviceId), sigInvalid],
  ['seq', (b) => void (b[13]! ^= 0x40), sigInvalid],
  ['startedAt', (b) => void (b[17]! ^= 0x01), sigInvalid],
  ['durationS', (b) => void (b[19]! ^= 0x01), sigInvalid],
  ['zones', (b) => void (b[20]! ^= 0x01), sigInvalid],
  ['pressureAlerts', (b) => void (b[21]! ^= 0x01), sigInvalid],
  ['headId', (b) => void (b[27]! ^= 0x01), sigInvalid],
  ['firmwareVersion', (b) => void (b[29]! ^= 0x01), sigInvalid],
  ['batteryPct', (b) => void (b[32]! ^= 0x01), sigInvalid],
  ['reserved', (b) => void (b[33] = 1), envelope],
];

const fieldCases: AttackCase[] = FIELDS.map(([field, f, expected]) => ({
  id: `tamper-${field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`,
  title: `change the record's ${field} after the device signed it`,
  class: 'AUTH-1',
  expected,
  run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => f(b, w))]),
}));

export const tamperingCases = defineCases([
  ...fieldCases,
  {
    id: 'tamper-signature-bit',
    title: 'flip one bit of the signature (R)',
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => void (b[34]! ^= 0x01))]),
  },
  {
    id: 'tamper-signature-zero',
    title: 'replace the signature with 64 zero bytes',
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => void b.fill(0, 34))]),
  },
  {
    id: 'tamper-signature-removed',
    title: 'drop the signature: send the 34-byte record alone',
    class: 'AUTH-1',
    expected: envelope,
    run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => b.subarray(0, 34))]),
  },
  {
    id: 'tamper-truncated',
    title: 'truncate the signed record by one byte',
    class: 'AUTH-1',
    expected: envelope,
    run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => b.subarray(0, b.length - 1))]),
  },
  {
    id: 'tamper-padded',
    title: 'pad the signed record with one extra byte',
    class: 'AUTH-1',
    expected: envelope,
    run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => Buffer.concat([b, Buffer.from([0])]))]),
  },
  {
    id: 'tamper-base64-alphabet',
    title: 'the same bytes in standard base64 with padding (a second encoding of one record)',
    class: 'AUTH-1',
    expected: envelope,
    run: ({ world: w }) => w.upload(w.A, [Buffer.from(w.sign(w.A1, w.freshRecord(w.A1)), 'base64url').toString('base64').replace(/A/, '+') + '=']),
  },
]);
