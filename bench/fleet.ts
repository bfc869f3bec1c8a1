import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EmbeddedEnvironment } from '../harness/core/env/index.ts';
import { runFleet } from '../harness/core/fleet/index.ts';
import { cpuSecondsByGroup, peakRssMBByGroup, sysSecondsByGroup } from './cpu-usage.ts';
import { calibrateHost, formatCalibration } from './host-calibration.ts';
import { parsePgSet, PG_STATS_SETTINGS, pgStatsReport, pgStatsReset } from './pg-stats.ts';

/**
 * npm run bench:fleet -- --devices N [--seed S] [--days D] [--workers W] [--api-workers A] [--no-drain] [--pg-stats] [--pg-set name=value …]
 *
 * Starts the embedded environment (PostgreSQL + the reference API with A worker
 * processes), provisions and bonds N devices, simulates D days, uploads
 * everything, reconciles the ledger with what the platform stored, and prints
 * one JSON object as its last line. Exit code 1 when the books do not balance.
 * --pg-stats loads pg_stat_statements and prints, before the JSON, the
 * statements that took the database's time and the largest tables.
 * --pg-set (repeatable) passes one PostgreSQL setting to the embedded cluster,
 * on top of its defaults, e.g. --pg-set shared_buffers=4GB.
 */
const USAGE = `Usage: npm run bench:fleet -- [options]

Provisions and bonds a simulated fleet on the embedded environment (PostgreSQL +
the reference API), simulates days of brushing and phone syncs as real uploads,
reconciles the ledger with what the platform stored. It first measures the
host's unit costs, as npm run bench:host does (not counted in wallSeconds; the
summary's "host"). Progress goes to stderr; the last line of stdout is one JSON
summary. Exit 0 when the books balance, 1 when they do not (the violations and
a replay line go to stderr), 2 on bad input.

  --devices N        devices in the fleet (10000)
  --seed S           root seed: the same seed gives the same ledger digest (1)
  --days D           simulated days (1)
  --workers W        requests in flight at most (64)
  --api-workers A    API worker processes (2)
  --db-pool P        database connections per API worker (16)
  --chunk C          devices per bulk-provisioning request (25000)
  --no-drain         skip the final sync of what is left in the devices' rings
  --key-cache K      device keys the API keeps per process (its default: 1000000)
  --pg-stats         print where PostgreSQL's time went (pg_stat_statements)
  --pg-set name=val  a PostgreSQL setting for the embedded cluster (repeatable)
  --quiet            no progress lines
  --help             this text
`;

const OPTIONS = {
  devices: { type: 'string', default: '10000' },
  seed: { type: 'string', default: '1' },
  days: { type: 'string', default: '1' },
  workers: { type: 'string', default: '64' },
  'api-workers': { type: 'string', default: '2' },
  'db-pool': { type: 'string', default: '16' },
  chunk: { type: 'string', default: '25000' },
  'no-drain': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  'pg-stats': { type: 'boolean', default: false },
  'key-cache': { type: 'string' },
  'pg-set': { type: 'string', multiple: true, default: [] as string[] },
  help: { type: 'boolean', default: false },
} satisfies ParseArgsConfig['options'];
let parsed;
try {
  parsed = parseArgs({ options: OPTIONS });
} catch (err) {
  process.stderr.write(`bench:fleet: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const int = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`bench:fleet: --${name} must be a non-negative integer, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return n;
};

const devices = int('devices', values.devices);
const seed = int('seed', values.seed);
const days = int('days', values.days);
// The API's own default (1,000,000 device keys per process) unless --key-cache sets another size.
const keyCache = values['key-cache'] === undefined ? undefined : int('key-cache', values['key-cache']);
if (keyCache === 0) {
  process.stderr.write('bench:fleet: --key-cache must be at least 1 (device keys the API keeps per process)\n');
  process.exit(2);
}
let pgSettings: Record<string, string>;
try {
  pgSettings = { ...(values['pg-stats'] ? PG_STATS_SETTINGS : {}), ...parsePgSet(values['pg-set']) };
} catch (err) {
  process.stderr.write(`bench:fleet: ${(err as Error).message}\n`);
  process.exit(2);
}
// The host's unit costs right now (a few seconds, before anything else runs): results from
// different days or machines are only comparable next to them. Not counted in wallSeconds.
// A probe that fails (e.g. no loopback port to listen on) costs the summary its "host", not the run.
const host = await calibrateHost().catch((err: Error) => {
  process.stderr.write(`[fleet] host calibration failed, the summary's "host" is null: ${err.message}\n`);
  return null;
});
if (host) process.stderr.write(`[fleet] ${formatCalibration(host)}\n`);
const started = performance.now();
const env = await new EmbeddedEnvironment({
  workers: int('api-workers', values['api-workers']),
  startupTimeoutMs: 120_000,
  // Cheap password hashing: a million-device fleet signs up half a million accounts.
  apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_DB_POOL_SIZE: String(int('db-pool', values['db-pool'])), FLEETBED_LOG_LEVEL: 'error', ...(keyCache === undefined ? {} : { FLEETBED_KEY_CACHE_SIZE: String(keyCache) }) },
  postgresSettings: pgSettings,
})
  .start()
  .catch((err: Error & { code?: string }) => {
    // A refused option or a cluster that would not start (e.g. a --pg-set PostgreSQL does not know): nothing ran.
    process.stderr.write(`bench:fleet: the environment did not start (${err.code ?? err.name}): ${err.message}\n`);
    process.exit(2);
  });
if (values['pg-stats']) await pgStatsReset(env.databaseUrl);
const envSeconds = (performance.now() - started) / 1000;
let exitCode = 1;
const groups = { harness: [process.pid], api: [env.pids.api], postgres: [env.pids.postgres] };
const cpuAtStart = cpuSecondsByGroup(groups);
const cpuClockStart = performance.now();
const sysAtStart = sysSecondsByGroup(groups);
try {
  const r = await runFleet({
    environment: env,
    fleet: { seed, devices },
    days,
    drain: !values['no-drain'],
    workers: int('workers', values.workers),
    chunkDevices: int('chunk', values.chunk),
    progress: { enabled: !values.quiet },
    cpuSampler: () => cpuSecondsByGroup(groups),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  // Share of each group's CPU spent in the kernel (on loopback, mostly the TCP stack of both ends).
  const cpuNow = cpuSecondsByGroup(groups);
  const sysNow = sysSecondsByGroup(groups);
  const kernelCpuShare = Object.fromEntries(Object.keys(groups).map((g) => [g, round((sysNow[g]! - sysAtStart[g]!) / Math.max(0.01, cpuNow[g]! - cpuAtStart[g]!))]));
  // All three groups' CPU from the fleet's start to its reconciliation: per device, and as cores kept busy on average.
  const cpuTotal = Object.keys(groups).reduce((sum, g) => sum + cpuNow[g]! - cpuAtStart[g]!, 0);
  const cpuMsPerDevice = round((cpuTotal * 1000) / Math.max(1, devices));
  const coresBusy = round(cpuTotal / Math.max(0.01, (performance.now() - cpuClockStart) / 1000));
  const records = r.totals.relayed;
  if (!r.ok) {
    for (const v of r.violations) process.stderr.write(`[fleet] violation ${v.check}${v.deviceId === undefined ? '' : ` (device ${v.deviceId}${v.seq === undefined ? '' : ` seq ${v.seq}`})`}: ${v.detail}\n`);
    for (const e of r.reconciliation.examples) process.stderr.write(`[fleet] mismatch: ${e}\n`);
    process.stderr.write(`[fleet] reproduce with: ${r.replay}\n`);
  }
  const summary = {
    ok: r.ok,
    devices: r.devices,
    households: r.households,
    phones: r.phones,
    simulatedDays: r.simulatedDays,
    records,
    produced: r.totals.produced,
    stored: r.totals.stored,
    rejected: r.totals.rejected,
    lostAtDevice: r.totals.lostAtDevice,
    copiesSent: r.totals.copies,
    duplicateVerdicts: r.totals.duplicateVerdicts,
    lateCopies: r.totals.lateCopies,
    replays: r.totals.replays,
    rejectionsByCode: r.totals.rejectionsByCode,
    violations: r.totals.violations,
    reconciliation: { method: r.reconciliation.method, mismatches: r.reconciliation.mismatches, storedOnPlatform: r.reconciliation.storedOnPlatform, signaturesVerified: r.reconciliation.signaturesVerified },
    requests: r.requests,
    uploads: r.stats.uploads,
    wallSeconds: round(wallSeconds),
    recordsPerSecond: Math.round(records / wallSeconds),
    bytesPerDevice: r.bytesPerDevice,
    heapBytesPerDevice: r.heapBytesPerDevice,
    appBytesPerDevice: r.appBytesPerDevice,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    // The API's processes, each at its peak, summed (PostgreSQL's backends share their buffers: not summed).
    apiPeakRssMB: peakRssMBByGroup({ api: [env.pids.api] }).api,
    phases: { environment: round(envSeconds), ...r.phases },
    phaseCpuSeconds: r.phaseCpu,
    kernelCpuShare,
    cpuMsPerDevice,
    coresBusy,
    ledgerDigest: r.ledgerDigest,
    host,
  };
  exitCode = r.ok ? 0 : 1;
  if (values['pg-stats']) for (const line of await pgStatsReport(env.databaseUrl)) process.stderr.write(`[pg-stats] ${line}\n`);
  await env.stop();
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await env.stop();
}
process.exit(exitCode);

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
