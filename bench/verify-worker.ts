import { createPublicKey, sign, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { deriveDeviceKey } from '../simulators/device-keys.ts';

/**
 * One core's Ed25519 verify rate with a cached KeyObject, on 98-byte-class
 * messages: the ceiling the ingestion path is measured against.
 */
const { seconds } = workerData as { seconds: number };
const keys = Array.from({ length: 64 }, (_, i) => deriveDeviceKey(99, i));
const pubs = keys.map((k) => createPublicKey(k.privateKey));
const msgs = keys.map((_, i) => Buffer.alloc(61, i));
const sigs = keys.map((k, i) => sign(null, msgs[i]!, k.privateKey));
let n = 0;
let ok = 0;
const start = performance.now();
const end = start + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 256; i++) {
    const j = n++ & 63;
    if (verify(null, msgs[j]!, pubs[j]!, sigs[j]!)) ok++;
  }
}
if (ok !== n) throw new Error('a valid signature failed to verify');
parentPort!.postMessage(n / ((performance.now() - start) / 1000));
