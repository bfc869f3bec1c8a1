import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bondProofSigningBytes } from '../contract/bond-proof.ts';
import { encodeSessionRecord, sessionRecordSigningBytes } from '../contract/record.ts';
import { createFleet } from './fleet.ts';
import { advanceFleet, recordTimes, sessionRecordOf } from './device.ts';
import { deriveDeviceKey, deviceKeySeed, nobleSign, noblePublicKey, nobleVerify, privateKeyFromSeed, publicKeyOf, signWith } from './device-keys.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** RFC 8032 §7.1, Ed25519 TEST 1, 2 and 3. */
const RFC8032 = [
  {
    name: 'TEST 1 (empty message)',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (one byte)',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (two bytes)',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('device keys: Node crypto (hot path) and @noble/ed25519 (portable) sign identically', () => {
  for (const v of RFC8032) {
    it(`RFC 8032 ${v.name}: both give the published public key and signature`, async () => {
      const seed = hex(v.secret);
      const message = hex(v.message);
      const nodeKey = privateKeyFromSeed(seed);
      expect(toHex(publicKeyOf(nodeKey))).toBe(v.publicKey);
      expect(toHex(await noblePublicKey(seed))).toBe(v.publicKey);
      expect(toHex(signWith(nodeKey, message))).toBe(v.signature);
      expect(toHex(await nobleSign(seed, message))).toBe(v.signature);
      expect(await nobleVerify(hex(v.signature), message, hex(v.publicKey))).toBe(true);
    });
  }

  it('derived device keys: same public key and byte-identical signatures over session records and bond proofs', async () => {
    const fleet = createFleet({ seed: 99, devices: 40 }, 1_767_225_600);
    const end = fleet.startS + 3 * 86_400;
    advanceFleet(fleet, end, { onProduced: () => {} });
    for (const d of [0, 1, 7, 39]) {
      const seed = deviceKeySeed(fleet.seed, d);
      const node = deriveDeviceKey(fleet.seed, d);
      expect(toHex(await noblePublicKey(seed))).toBe(toHex(node.publicKey));
      const times: number[] = [];
      recordTimes(fleet, d, 1, times);
      const messages = [
        sessionRecordSigningBytes(encodeSessionRecord(sessionRecordOf(fleet, d, 1, times[0]!))),
        bondProofSigningBytes({ deviceId: fleet.deviceId(d), accountId: '0f8fad5b-d9cb-469f-a165-70867728950e', challenge: new Uint8Array(32).fill(d), pressCounter: 1, buttonPressed: true }),
      ];
      for (const message of messages) {
        const a = signWith(node.privateKey, message);
        const b = await nobleSign(seed, message);
        expect(toHex(b)).toBe(toHex(a));
        expect(verify(null, message, createPublicKey(node.privateKey), b)).toBe(true);
      }
    }
  });

  it('keys depend on (root seed, index) only', () => {
    expect(toHex(deviceKeySeed(1, 5))).toBe(toHex(deviceKeySeed(1, 5)));
    expect(toHex(deviceKeySeed(1, 5))).not.toBe(toHex(deviceKeySeed(1, 6)));
    expect(toHex(deviceKeySeed(1, 5))).not.toBe(toHex(deviceKeySeed(2, 5)));
  });
});
