/**
 * npm run bench:load [-- --seconds 5 --connections 64 --devices 1000 --step 6s]
 *
 * 1. A trivial local endpoint (a child Node process answering every request with a small
 *    JSON body) is driven by fleetbed's open-model generator, capped at `--connections`
 *    requests in flight, at a target rate far above what it can reach, for `--seconds`
 *    (arrivals still due then are not sent): what it sustains is `generatorRequestsPerSecond`.
 * 2. autocannon drives the same endpoint with the same connections in the same run:
 *    `autocannonRequestsPerSecond`; `generatorRatio` is the first over the second.
 * 3. `fleetbed load --find-max` against the embedded reference API (a fresh PostgreSQL):
 *    the saturation point under the default SLO, and the generator's CPU per upload.
 * Progress goes to stderr; the last line of stdout is one JSON object.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Identities } from '../simulators/identities.ts';
import { createFleet } from '../simulators/fleet.ts';
import { resolveFleetOptions } from '../simulators/fleet-options.ts';
import { Ledger } from '../simulators/ledger.ts';
import { AppState } from '../harness/core/fleet/app-state.ts';
import type { FleetContext } from '../harness/core/fleet/context.ts';
import { FleetHttp } from '../harness/core/fleet/http.ts';
import { Progress } from '../harness/core/fleet/progress.ts';
import { constantSchedule } from '../harness/products/load/arrivals.ts';
import { playSchedule } from '../harness/products/load/engine.ts';
import { LoadMeasure } from '../harness/products/load/measure.ts';
import { NaturalSyncs } from '../harness/products/load/natural-syncs.ts';
import { resolveLoadPlan } from '../harness/products/load/resolve-load-plan.ts';
import { runLoad } from '../harness/products/load/run-load.ts';
import type { SyncDriver } from '../harness/products/load/sync-driver.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';

const { seconds: SECONDS, connections: CONNECTIONS, devices: DEVICES, step: STEP } = benchCli({
  name: 'load',
  purpose: "fleetbed's load generator against autocannon, and the reference API's saturation point",
  flags: {
    seconds: flag.int('seconds of each generator measurement', { default: 5, min: 1 }),
    connections: flag.int('connections (requests in flight) for both generators', { default: 64, min: 1 }),
    devices: flag.devices('devices of the find-max fleet: 500, 10k', { default: 1000 }),
    step: flag.int('seconds each find-max step holds its rate', { default: 6, min: 1 }),
  },
});
const log = (s: string) => process.stderr.write(`[bench:load] ${s}\n`);

interface AutocannonResult {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<AutocannonResult>;

// The trivial endpoint, in its own process so it does not share the generator's core.
const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ epochMs: 1700000000000, results: [], counts: { stored: 0, duplicate: 0, rejected: 0 } });
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); }); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.send(s.address().port));
`;
const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => server.once('message', (m) => resolve(m as number)));
const url = `http://127.0.0.1:${port}`;
const payload = JSON.stringify({ records: ['x'.repeat(92)] });
try {
  // 1. fleetbed's generator: the open-model engine, a trivial upload per arrival.
  const fleet = createFleet(resolveFleetOptions({ seed: 1, devices: 200 }), 1_700_000_000);
  const http = new FleetHttp(url, CONNECTIONS);
  const ctx = { http, fleet, ledger: new Ledger(fleet), app: new AppState(fleet), identities: new Identities(1), progress: new Progress({ enabled: false }), factorySecret: '', workers: CONNECTIONS, nowMs: Number.MAX_SAFE_INTEGER, stats: {} } as unknown as FleetContext;
  // nowMs: the trivial endpoint has no virtual clock, so the engine never sets one (every arrival's virtual time is "past").
  const driver = {
    ctx,
    prepare: () => undefined,
    send: async () => {
      await http.send('POST', '/v2/uploads', { 'content-type': 'application/json', authorization: 'Bearer at_x', 'idempotency-key': 'bench' }, payload);
      return 0;
    },
  } as unknown as SyncDriver;
  const natural = new NaturalSyncs(fleet);
  await playSchedule(constantSchedule(fleet, natural, 2000, 1000), driver, new LoadMeasure(), { maxInFlight: CONNECTIONS, lateStartMs: 10, stopAfterMs: 2000 }); // warm-up
  const m = new LoadMeasure();
  const played = await playSchedule(constantSchedule(fleet, natural, 200_000, SECONDS * 1000), driver, m, { maxInFlight: CONNECTIONS, lateStartMs: 10, stopAfterMs: SECONDS * 1000 });
  const generatorRequestsPerSecond = Math.round(played.completed / (played.wallMs / 1000));
  const generatorCpuMicrosPerRequest = Math.round(played.generatorCpuMicros / Math.max(1, played.completed));
  await http.close();
  log(`fleetbed generator: ${generatorRequestsPerSecond} requests/s with ${CONNECTIONS} in flight (${generatorCpuMicrosPerRequest} µs CPU per request, trivial body)`);

  // 2. autocannon, same endpoint, same connections.
  const ac = await autocannon({ url: `${url}/v2/uploads`, method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, connections: CONNECTIONS, duration: SECONDS });
  const autocannonRequestsPerSecond = Math.round(ac.requests.total / SECONDS);
  log(`autocannon: ${autocannonRequestsPerSecond} requests/s with ${CONNECTIONS} connections (${ac.errors} errors, ${ac.non2xx} non-2xx)`);

  // 3. The reference API's saturation point, through fleetbed load --find-max.
  const plan = resolveLoadPlan(
    { name: 'bench-find-max', description: 'bench:load saturation search', seed: 7, fleet: { devices: DEVICES }, arrival: { shape: 'constant', rate: 10, duration: '1s' }, findMax: { startRate: 20, factor: 2, stepDuration: `${STEP}s`, precision: 0.15 } },
    'bench/load.ts',
  );
  const { load } = await runLoad({ plan, findMax: true, fixture: 'none', command: 'npm run bench:load', progress: { enabled: false }, log, observer: { findMaxStep: (s) => log(`find-max ${s.phase} ${s.targetSyncsPerSecond} syncs/s: ${s.pass ? 'holds' : `breaks (${s.reason})`}, ${s.recordsPerSecond} records/s, p99 ${s.p99Ms} ms`) } });
  const fm = load.findMax!;
  log(fm.fleet.text);
  console.log(
    JSON.stringify({
      generatorRequestsPerSecond,
      autocannonRequestsPerSecond,
      generatorRatio: +(generatorRequestsPerSecond / Math.max(1, autocannonRequestsPerSecond)).toFixed(3),
      generatorCpuMicrosPerUpload: load.generator.cpuMicrosPerUpload,
      generatorCpuMicrosPerTrivialRequest: generatorCpuMicrosPerRequest,
      saturation: { recordsPerSecond: fm.recordsPerSecond, syncsPerSecond: fm.maxSyncsPerSecond, p99Ms: fm.p99Ms, slo: fm.slo, limitedByGenerator: fm.limitedByGenerator },
      fleet: fm.fleet,
      connections: CONNECTIONS,
      ledgerOk: load.ledger.ok,
    }),
  );
} finally {
  server.kill('SIGTERM');
}
