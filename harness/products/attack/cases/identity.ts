import { sign } from 'node:crypto';
import { encodeSessionRecord } from '../../../../contract/record.ts';
import { defineCases } from '../types.ts';
import { b64, bytes, malleate, mutate, REC, signOtherDomain, smallOrderSignature, writeDeviceId } from './_util.ts';

const sigInvalid = { status: 422, codes: [REC + 'signature-invalid'] };

/** AUTH-1: who signed a record, and under which key. */
export const identityCases = defineCases([
  {
    id: 'identity-record-as-other-device',
    title: "A1's genuinely signed record relabelled as B's device B1, relayed by B's phone",
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.B, [mutate(w.sign(w.A1, w.freshRecord(w.A1, { seq: w.B1.nextSeq++ })), (b) => writeDeviceId(b, w.B1.deviceId))]),
  },
  {
    id: 'identity-unregistered-key',
    title: "a record for A's device signed by a key the platform never registered",
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [w.sign(w.A1, w.freshRecord(w.A1), w.rogueKey)]),
  },
  {
    id: 'identity-unknown-device',
    title: 'a record naming a device id the factory never provisioned',
    class: 'AUTH-1',
    expected: { status: 422, codes: [REC + 'device-not-bonded'] },
    run: ({ world: w }) => w.upload(w.A, [w.sign(w.A1, { ...w.freshRecord(w.A1), deviceId: w.U1.deviceId + 90 }, w.rogueKey)]),
  },
  {
    id: 'identity-malleable-s',
    title: 'signature malleability: S replaced by S + L (at or above the group order)',
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [mutate(w.sign(w.A1, w.freshRecord(w.A1)), (b) => Buffer.concat([b.subarray(0, 34), malleate(b.subarray(34))]))]),
  },
  {
    id: 'identity-small-order-signature',
    title: 'a signature with a small-order R and S = 0 (valid under a small-order public key)',
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => w.upload(w.A, [b64(Buffer.concat([encodeSessionRecord(w.freshRecord(w.A1)), smallOrderSignature()]))]),
  },
  {
    id: 'identity-wrong-domain',
    title: "the device's genuine signature over the record bytes, made for another purpose (bond-proof domain tag)",
    class: 'AUTH-1',
    expected: sigInvalid,
    run: ({ world: w }) => {
      const rb = encodeSessionRecord(w.freshRecord(w.A1));
      return w.upload(w.A, [b64(Buffer.concat([rb, signOtherDomain(w.A1.privateKey, 'bondProof', rb)]))]);
    },
  },
  {
    id: 'identity-bond-small-order',
    title: 'bond an unbonded device with a small-order "signature" as its proof',
    class: 'AUTH-3',
    expected: { status: 403, codes: ['bond-proof-invalid'] },
    run: async ({ world: w, http }) => {
      const body = w.bondBody(w.U1, w.A.accountId, await w.challenge(w.A, w.U1.deviceId));
      return http.send('POST', `/v2/devices/${w.U1.deviceId}/bond`, { headers: w.phone(w.A), json: { ...body, signature: b64(smallOrderSignature()) } });
    },
  },
  {
    id: 'identity-bond-malleable-s',
    title: "a genuine bonding proof (for A's own device, fresh counter) with S replaced by S + L",
    class: 'AUTH-3',
    expected: { status: 403, codes: ['bond-proof-invalid'] },
    run: async ({ world: w, http }) => {
      const body = w.bondBody(w.A1, w.A.accountId, await w.challenge(w.A, w.A1.deviceId));
      return http.send('POST', `/v2/devices/${w.A1.deviceId}/bond`, { headers: w.phone(w.A), json: { ...body, signature: b64(malleate(bytes(body.signature))) } });
    },
  },
]);
void sign;
