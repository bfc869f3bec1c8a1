/**
 * npm run bench:provision [-- --devices N] [--seed S] [--workers W]
 *
 * Starts the embedded environment (timed: envReadySeconds), derives N real
 * Ed25519 device keys from the seed (not timed), streams N registrations as
 * NDJSON through the factory bulk route (timed) and checks the platform holds
 * exactly N devices. Last line: one JSON object.
 */
import { Readable } from 'node:stream';
import pg from 'pg';
import { request } from 'undici';
import { EmbeddedEnvironment } from '../harness/core/env/index.ts';
import { PRODUCT_LINES } from '../contract/product-line.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';
import { derivePublicKeys } from './public-keys.ts';

const { devices, seed, workers } = benchCli({
  name: 'provision',
  purpose: 'bulk provisioning of real Ed25519 device keys through the NDJSON factory route',
  about: `Starts the embedded environment (timed: envReadySeconds), derives N device keys
from the seed (not timed), streams N registrations through the factory bulk route
(timed) and checks the platform holds exactly N devices. Progress goes to stderr;
the last line of stdout is one JSON object.`,
  flags: {
    devices: flag.devices('devices to provision: 500, 10k, 1m', { default: 1_000_000 }),
    seed: flag.int('root seed of the device keys', { default: 1, placeholder: 'S' }),
    workers: flag.int('API worker processes', { default: 1, min: 1, placeholder: 'W' }),
  },
});
const log = (s: string) => process.stderr.write(`[bench:provision] ${s}\n`);

log(`deriving ${devices.toLocaleString()} device keys from seed ${seed} (not timed)…`);
let t = performance.now();
const keys = await derivePublicKeys(seed, devices);
log(`keys ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);

t = performance.now();
await using env = await new EmbeddedEnvironment({ workers }).start();
const envReadySeconds = (performance.now() - t) / 1000;
log(`embedded environment ready in ${envReadySeconds.toFixed(2)} s at ${env.apiUrl}`);

function* ndjson(): Generator<string> {
  const batch = 2000;
  for (let i = 0; i < devices; i += batch) {
    let chunk = '';
    for (let j = i; j < Math.min(devices, i + batch); j++) {
      const line = PRODUCT_LINES[j % 10 < 6 ? 0 : j % 10 < 9 ? 1 : 2];
      chunk += `{"deviceId":${j + 1},"serial":"TB-${(j + 1).toString().padStart(9, '0')}","productLine":"${line}","publicKey":"${keys.subarray(j * 32, j * 32 + 32).toString('base64url')}","firmwareVersion":"1.0.0"}\n`;
    }
    yield chunk;
  }
}

t = performance.now();
const res = await request(`${env.apiUrl}/v2/factory/devices/bulk`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-ndjson', 'x-factory-credential': env.factorySecret },
  body: Readable.from(ndjson()),
  headersTimeout: 600_000,
  bodyTimeout: 600_000,
});
const body = (await res.body.json()) as { provisioned?: number };
const seconds = (performance.now() - t) / 1000;
if (res.statusCode !== 201 || body.provisioned !== devices) throw new Error(`bulk provisioning answered ${res.statusCode}: ${JSON.stringify(body)}`);

const db = new pg.Client({ connectionString: env.databaseUrl });
await db.connect();
const { rows } = await db.query<{ n: string; e: string }>(`SELECT (SELECT count(*) FROM devices) AS n, (SELECT count(*) FROM events WHERE kind = 'device.provisioned') AS e`);
await db.end();
if (Number(rows[0]!.n) !== devices || Number(rows[0]!.e) !== devices) throw new Error(`expected ${devices} devices and events, found ${rows[0]!.n} / ${rows[0]!.e}`);
log(`provisioned ${devices.toLocaleString()} devices in ${seconds.toFixed(2)} s; verified ${rows[0]!.n} rows and ${rows[0]!.e} events`);

console.log(JSON.stringify({ devices, seconds: +seconds.toFixed(2), devicesPerSecond: Math.round(devices / seconds), envReadySeconds: +envReadySeconds.toFixed(2) }));
