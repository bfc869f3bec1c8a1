import { parentPort, workerData } from 'node:worker_threads';
import { deriveDeviceKey } from '../simulators/device-keys.ts';

const { seed, from, count } = workerData as { seed: number; from: number; count: number };
const out = new Uint8Array(count * 32);
for (let i = 0; i < count; i++) out.set(deriveDeviceKey(seed, from + i).publicKey, i * 32);
parentPort!.postMessage(out, [out.buffer]);
