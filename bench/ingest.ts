/**
 * npm run bench:ingest [-- --batch 16 --devices 2048 --accounts 64 --levels 4,8,16,32,64,128 --seconds 6 --workers 2]
 *
 * 1. Measures the verify ceiling: Node crypto Ed25519 verifies/s summed over
 *    every core (one worker thread per core, cached KeyObjects), on a quiet
 *    machine. It is measured again after every level (a 2 s probe while nothing
 *    else runs): a shared host's CPU speed drifts by 20 % within minutes, so a
 *    level is compared with the probes taken right before and right after it.
 * 2. Starts the embedded environment (API with --workers processes), provisions
 *    and bonds devices through the real flows, pre-signs unique records.
 * 3. Uploads batches at rising concurrency (closed loop), every rule in force:
 *    token auth, Idempotency-Key, ownership, signature, late window, sessions and
 *    events written. Peak = the best level's stored records/s.
 * 4. Runs an open loop at half the peak rate and reports p50/p99 latency
 *    (measured from each request's scheduled start: no coordinated omission).
 * 5. Checks the database holds exactly the records reported stored.
 * Last line: one JSON object.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sign } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import hdr from 'hdr-histogram-js';
import { EmbeddedEnvironment } from '../harness/core/env/index.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';
import { cpuSecondsByGroup } from '../harness/core/cpu-usage.ts';
import { bondProofSigningBytes } from '../contract/bond-proof.ts';
import { deriveDeviceKey } from '../simulators/device-keys.ts';

const { batch: BATCH, devices: DEVICES, accounts: ACCOUNTS, levels: LEVELS, seconds: SECONDS, workers: WORKERS, seed: SEED } = benchCli({
  name: 'ingest',
  purpose: 'upload throughput with every rule in force, against the Ed25519 verify ceiling',
  about: `Measures the verify ceiling on every core, then uploads signed batches at rising
concurrency (closed loop), then p50/p99 latency at half the peak (open loop), and
checks the database holds exactly the records reported stored. Progress goes to
stderr; the last line of stdout is one JSON object.`,
  flags: {
    batch: flag.int('records per upload', { default: 16, min: 1 }),
    devices: flag.devices('devices provisioned and bonded: 500, 10k, 1m', { default: 2048 }),
    accounts: flag.int('accounts the devices are bonded to', { default: 64, min: 1 }),
    levels: flag.ints('concurrency levels of the closed loop, in order', { default: [4, 8, 16, 32, 64, 128], min: 1 }),
    seconds: flag.int('seconds at each level', { default: 6, min: 1 }),
    workers: flag.int('API worker processes: one per core of this host', { default: availableParallelism(), min: 1 }),
    seed: flag.int('root seed of the device keys', { default: 1, placeholder: 'S' }),
  },
});
const CORES = availableParallelism();
const log = (s: string) => process.stderr.write(`[bench:ingest] ${s}\n`);

function runWorker<T>(module: string, data: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { module: new URL(module, import.meta.url).href, ...data } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

// 1. Verify ceiling on a quiet machine.
async function verifyCeiling(seconds: number): Promise<number> {
  const perCore = await Promise.all(Array.from({ length: CORES }, () => runWorker<number>('./verify-worker.ts', { seconds })));
  const total = Math.round(perCore.reduce((a, b) => a + b, 0));
  log(`verify ceiling: ${total}/s over ${CORES} cores (${perCore.map((r) => Math.round(r)).join(' + ')})`);
  return total;
}
const firstCeiling = await verifyCeiling(3);

// 2. Environment, accounts, devices, bonds.
await using env = await new EmbeddedEnvironment({ workers: WORKERS, apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_LOG_LEVEL: 'silent' } }).start();
log(`embedded environment ready at ${env.apiUrl} with ${WORKERS} API workers`);
const http = new Pool(env.apiUrl, { connections: Math.max(...LEVELS) + 8, pipelining: 1 });
async function call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await http.request({ method, path, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode} ${text}`);
  return text ? JSON.parse(text) : undefined;
}
const { epochMs } = await call('GET', '/testbed/clock');
if (process.env.FLEETBED_BENCH_PRESQL) {
  const c = new pg.Client({ connectionString: env.databaseUrl });
  await c.connect();
  for (const stmt of process.env.FLEETBED_BENCH_PRESQL.split(';')) if (stmt.trim()) await c.query(stmt);
  await c.end();
}
const keys = Array.from({ length: DEVICES }, (_, i) => deriveDeviceKey(SEED, i + 1));
for (let i = 0; i < DEVICES; i += 1000) {
  await call('POST', '/v2/factory/devices', {
    devices: keys.slice(i, i + 1000).map((k, j) => ({ deviceId: i + j + 1, serial: `BI-${i + j + 1}`, productLine: 'adult-brush', publicKey: k.publicKey.toString('base64url'), firmwareVersion: '1.0.0' })),
  }, { 'x-factory-credential': env.factorySecret });
}
const accounts: { accountId: string; token: string }[] = [];
for (let a = 0; a < ACCOUNTS; a++) {
  const email = `bench-${a}@example.test`;
  const { accountId } = await call('POST', '/v2/accounts', { email, password: 'bench-password-123', displayName: `bench ${a}` });
  const tok = await call('POST', '/v2/oauth/token', { grant_type: 'password', client_id: 'fleetbed-phone', username: email, password: 'bench-password-123' });
  accounts.push({ accountId, token: tok.access_token });
}
await Promise.all(
  Array.from({ length: 16 }, async (_, lane) => {
    for (let d = lane; d < DEVICES; d += 16) {
      const acct = accounts[d % ACCOUNTS]!;
      const auth = { authorization: `Bearer ${acct.token}` };
      const { challenge } = await call('POST', `/v2/devices/${d + 1}/bond-challenge`, undefined, auth);
      const proof = bondProofSigningBytes({ deviceId: d + 1, accountId: acct.accountId, challenge: Buffer.from(challenge, 'base64url'), pressCounter: 1, buttonPressed: true });
      await call('POST', `/v2/devices/${d + 1}/bond`, { challenge, pressCounter: 1, buttonPressed: true, signature: sign(null, proof, keys[d]!.privateKey).toString('base64url') }, auth);
    }
  }),
);
log(`provisioned and bonded ${DEVICES} devices to ${ACCOUNTS} accounts`);

// Pre-sign enough unique records for every level at a generous rate, on every core.
const perDevice = Math.ceil(((LEVELS.length + 1.5) * SECONDS * Math.max(firstCeiling, 10_000)) / DEVICES);
log(`pre-signing ${(perDevice * DEVICES).toLocaleString()} records (${perDevice} per device) on ${CORES} cores…`);
const jobs = Array.from({ length: DEVICES }, (_, d) => ({ deviceId: d + 1, fromSeq: 1, count: perDevice }));
const parts = await Promise.all(
  Array.from({ length: CORES }, (_, c) => runWorker<string[][]>('./sign-worker.ts', { seed: SEED, jobs: jobs.filter((_, i) => i % CORES === c), startedAt: Math.floor(epochMs / 1000) })),
);
const recordsOf: string[][] = new Array(DEVICES);
parts.forEach((p, c) => p.forEach((recs, k) => (recordsOf[c + k * CORES] = recs)));

// Batches: account a's devices are d ≡ a (mod ACCOUNTS); walk them round-robin.
const devicesOf = accounts.map((_, a) => Array.from({ length: Math.ceil((DEVICES - a) / ACCOUNTS) }, (_, k) => a + k * ACCOUNTS));
const cursor = new Int32Array(DEVICES);
let batchNo = 0;
function nextBatch(): { body: string; headers: Record<string, string> } {
  const a = batchNo % ACCOUNTS;
  const devs = devicesOf[a]!;
  const records: string[] = [];
  for (let i = 0; records.length < BATCH; i++) {
    const d = devs[(Math.floor(batchNo / ACCOUNTS) * BATCH + i) % devs.length]!;
    const r = recordsOf[d]![cursor[d]!++];
    if (r === undefined) throw new Error('ran out of pre-signed records; lower --seconds or levels');
    records.push(r);
  }
  batchNo++;
  return { body: JSON.stringify({ records }), headers: { 'content-type': 'application/json', authorization: `Bearer ${accounts[a]!.token}`, 'idempotency-key': `bench-${batchNo}-${a}` } };
}

let storedTotal = 0;
async function send(histogram: hdr.Histogram, startedAt = performance.now()): Promise<void> {
  const { body, headers } = nextBatch();
  const res = await http.request({ method: 'POST', path: '/v2/uploads', headers, body });
  const text = await res.body.text();
  histogram.recordValue(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
  if (res.statusCode !== 200) throw new Error(`upload → ${res.statusCode} ${text.slice(0, 300)}`);
  const stored = (JSON.parse(text) as { counts: { stored: number } }).counts.stored;
  if (stored !== BATCH) throw new Error(`upload stored ${stored} of ${BATCH}: ${text.slice(0, 300)}`);
  storedTotal += stored;
}
const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

// 3. Closed loop at rising concurrency.
const levels: { concurrency: number; recordsPerSecond: number; verifyCeilingPerSecond: number; p50Ms: number; p99Ms: number; cpuMicrosPerRecord: Record<string, number> }[] = [];
const ceilingProbes = [await verifyCeiling(2)];
const groups = () => cpuSecondsByGroup({ api: [env.pids.api!], postgres: [env.pids.postgres!], loadgen: [process.pid] });
for (const c of LEVELS) {
  const h = newHistogram();
  const before = storedTotal;
  const cpuBefore = groups();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(Array.from({ length: c }, async () => {
    while (performance.now() < end) await send(h);
  }));
  const rate = (storedTotal - before) / ((performance.now() - start) / 1000);
  const cpuAfter = groups();
  const cpuMicrosPerRecord = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, Math.round(((cpuAfter[k]! - cpuBefore[k]!) * 1e6) / (storedTotal - before))]));
  ceilingProbes.push(await verifyCeiling(2));
  const ceiling = Math.round((ceilingProbes.at(-2)! + ceilingProbes.at(-1)!) / 2);
  levels.push({ concurrency: c, recordsPerSecond: Math.round(rate), verifyCeilingPerSecond: ceiling, p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, cpuMicrosPerRecord });
  log(`concurrency ${String(c).padStart(3)}: ${Math.round(rate).toString().padStart(6)} records/s (${(rate / ceiling).toFixed(3)} of the verify ceiling ${ceiling}/s around it)  p50 ${(h.getValueAtPercentile(50) / 1000).toFixed(1)} ms  p99 ${(h.getValueAtPercentile(99) / 1000).toFixed(1)} ms  CPU µs/record ${JSON.stringify(cpuMicrosPerRecord)}`);
}
const peak = levels.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));

// 4. Open loop at half the peak rate.
const half = newHistogram();
const targetRate = peak.recordsPerSecond / 2;
const interval = (BATCH / targetRate) * 1000;
const t0 = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; t0 + i * interval < t0 + SECONDS * 1000; i++) {
  const due = t0 + i * interval;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  inflight.push(send(half, due));
}
await Promise.all(inflight);
log(`open loop at ${Math.round(targetRate)} records/s: p50 ${(half.getValueAtPercentile(50) / 1000).toFixed(1)} ms  p99 ${(half.getValueAtPercentile(99) / 1000).toFixed(1)} ms`);

// 5. The database holds exactly what was reported stored.
const db = new pg.Client({ connectionString: env.databaseUrl });
await db.connect();
const { rows } = await db.query<{ s: string; e: string }>(`SELECT (SELECT count(*) FROM sessions) AS s, (SELECT sum((data->>'stored')::int) FROM events WHERE kind = 'upload.stored') AS e`);
await db.end();
await http.close();
if (Number(rows[0]!.s) !== storedTotal || Number(rows[0]!.e) !== storedTotal) {
  throw new Error(`reported ${storedTotal} stored, database holds ${rows[0]!.s} sessions and upload.stored events counting ${rows[0]!.e}`);
}
log(`database holds exactly the ${storedTotal.toLocaleString()} sessions reported stored, and the upload.stored events count them`);

console.log(JSON.stringify({
  recordsPerSecond: peak.recordsPerSecond,
  verifyCeilingPerSecond: peak.verifyCeilingPerSecond,
  ratio: +(peak.recordsPerSecond / peak.verifyCeilingPerSecond).toFixed(3),
  ceilingProbes,
  halfRateRecordsPerSecond: Math.round(targetRate),
  p50Ms: half.getValueAtPercentile(50) / 1000,
  p99Ms: half.getValueAtPercentile(99) / 1000,
  recordsPerBatch: BATCH,
  apiWorkers: WORKERS,
  peakConcurrency: peak.concurrency,
  levels,
}));
