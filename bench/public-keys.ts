import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Public keys of devices [0, count) for `seed`, 32 bytes each, derived on
 * every core (worker threads). ~40k keys/s per core.
 */
export async function derivePublicKeys(seed: number, count: number, threads = availableParallelism()): Promise<Buffer> {
  const out = Buffer.alloc(count * 32);
  const per = Math.ceil(count / threads);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const from = t * per;
      const n = Math.max(0, Math.min(per, count - from));
      if (n === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { module: new URL('./public-keys-worker.ts', import.meta.url).href, seed, from, count: n } });
        w.once('message', (buf: Uint8Array) => {
          out.set(buf, from * 32);
          resolve();
        });
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`key worker exited with ${code}`)));
      });
    }),
  );
  return out;
}
