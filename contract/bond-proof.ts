import { signingBytes } from './signing.ts';

/**
 * The payload a device signs when its button is pressed during pairing.
 *
 * Layout (big-endian), 66 bytes:
 *
 * | offset | width | field         | meaning                                              |
 * | ------ | ----- | ------------- | ---------------------------------------------------- |
 * | 0      | 8     | deviceId      | the device's factory id (u64, < 2^53)                |
 * | 8      | 16    | accountId     | the account the phone asks to bond to (UUID bytes)   |
 * | 24     | 32    | challenge     | the server's single-use nonce                        |
 * | 56     | 8     | pressCounter  | monotonically increasing button-press counter (u64)  |
 * | 64     | 1     | buttonPressed | 1 when the physical button was pressed, else 0       |
 * | 65     | 1     | reserved      | 0                                                    |
 */
export interface BondProofPayload {
  deviceId: number;
  accountId: string;
  challenge: Uint8Array;
  pressCounter: number;
  buttonPressed: boolean;
}

export const BOND_PROOF_PAYLOAD_BYTES = 66;
export const BOND_CHALLENGE_BYTES = 32;

export function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${JSON.stringify(uuid)}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function encodeBondProofPayload(p: BondProofPayload): Uint8Array {
  if (p.challenge.length !== BOND_CHALLENGE_BYTES) {
    throw new RangeError(`challenge must be ${BOND_CHALLENGE_BYTES} bytes, got ${p.challenge.length}`);
  }
  const out = new Uint8Array(BOND_PROOF_PAYLOAD_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(p.deviceId));
  out.set(uuidToBytes(p.accountId), 8);
  out.set(p.challenge, 24);
  view.setBigUint64(56, BigInt(p.pressCounter));
  out[64] = p.buttonPressed ? 1 : 0;
  return out;
}

/** The exact bytes the device signs for a bonding proof. */
export function bondProofSigningBytes(p: BondProofPayload): Uint8Array {
  return signingBytes('bondProof', encodeBondProofPayload(p));
}
