import type { KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { deviceKeySeed, privateKeyFromSeed, publicKeyOf } from '../../../simulators/device-keys.ts';
import type { FleetContext } from './context.ts';
import { expectStatus } from './http.ts';

const LINES_PER_CHUNK = 512;

/**
 * Register devices `d0..d1-1` at the factory in one atomic request: an NDJSON
 * body streamed as it is generated (keys derived from (seed, device index) on
 * the fly), never one giant string. The devices' private keys are left in
 * `keys[d - d0]` for the bonding that follows, so each key is derived once.
 */
export async function provisionRange(ctx: FleetContext, d0: number, d1: number, keys: KeyObject[]): Promise<void> {
  const body = Readable.from(ndjson(ctx, d0, d1, keys), { objectMode: false, highWaterMark: 64 * 1024 });
  const r = await ctx.http.send('POST', '/v2/factory/devices/bulk', { 'content-type': 'application/x-ndjson', 'x-factory-credential': ctx.factorySecret }, body);
  expectStatus(`bulk provisioning of devices ${d0}..${d1 - 1}`, r, 201);
  const provisioned = (JSON.parse(r.text) as { provisioned: number }).provisioned;
  if (provisioned !== d1 - d0) expectStatus(`bulk provisioning of ${d1 - d0} devices reported ${provisioned}`, r, -1);
}

function* ndjson(ctx: FleetContext, d0: number, d1: number, keys: KeyObject[]): Generator<string> {
  const { fleet } = ctx;
  let lines: string[] = [];
  for (let d = d0; d < d1; d++) {
    const key = privateKeyFromSeed(deviceKeySeed(fleet.seed, d));
    keys[d - d0] = key;
    const firmware = fleet.factoryFirmware(d);
    lines.push(
      `{"deviceId":${fleet.deviceId(d)},"serial":"${fleet.serial(d)}","productLine":"${fleet.productLine(d)}","publicKey":"${publicKeyOf(key).toString('base64url')}","firmwareVersion":"${firmware}"}\n`,
    );
    if (lines.length === LINES_PER_CHUNK) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}
