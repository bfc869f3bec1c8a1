import type { KeyObject } from 'node:crypto';
import { bondDevice } from './bonding.ts';
import type { FleetContext } from './context.ts';
import { runWorkers } from './http.ts';
import { provisionRange } from './provision.ts';

/**
 * Provision the whole fleet through the factory bulk route and bond every
 * device, in chunks of about `chunkDevices` (whole households): while chunk k
 * is being bonded, chunk k+1 streams into the bulk route, so PostgreSQL's COPY
 * and the API's bonding run side by side, and each device key is derived once.
 */
export async function provisionAndBond(ctx: FleetContext, chunkDevices: number): Promise<{ provisionSeconds: number }> {
  const { fleet, progress } = ctx;
  const chunks: Array<[number, number]> = [];
  for (let h = fleet.hhFrom; h < fleet.hhTo; ) {
    const d0 = fleet.hhFirstDevice[h]!;
    while (h < fleet.hhTo && fleet.hhFirstDevice[h]! - d0 < chunkDevices) h++;
    chunks.push([d0, fleet.hhFirstDevice[h]!]);
  }
  let provisioned = 0;
  let provisionSeconds = 0;
  const provision = (k: number) => {
    const [d0, d1] = chunks[k]!;
    const keys = new Array<KeyObject>(d1 - d0);
    const started = performance.now();
    const done = provisionRange(ctx, d0, d1, keys).then(() => {
      provisioned += d1 - d0;
      provisionSeconds += (performance.now() - started) / 1000;
      return keys;
    });
    done.catch(() => undefined); // awaited below; do not let a failure surface as unhandled meanwhile
    return done;
  };
  progress.start('provision+bond', fleet.sliceDevices, () => `${provisioned.toLocaleString('en-US')} provisioned`);
  let next = provision(0);
  for (let k = 0; k < chunks.length; k++) {
    const keys = await next;
    if (k + 1 < chunks.length) next = provision(k + 1);
    const [d0, d1] = chunks[k]!;
    let d = d0;
    await runWorkers(ctx.workers, () => {
      if (d >= d1) return undefined;
      const device = d++;
      return async () => {
        await bondDevice(ctx, device, keys[device - d0]!);
        progress.add();
      };
    });
  }
  progress.end(`${provisioned.toLocaleString('en-US')} provisioned`);
  return { provisionSeconds };
}
