import { startFleetEnvironment } from '../harness/core/fixtures/index.ts';
import { runFleet } from '../harness/core/fleet/index.ts';
import { cpuSecondsByGroup, peakRssMBByGroup, sysSecondsByGroup } from '../harness/core/cpu-usage.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';
import { calibrateHost, formatCalibration } from './host-calibration.ts';
import { parsePgSet, PG_STATS_SETTINGS, pgStatsReport, pgStatsReset } from './pg-stats.ts';

/**
 * npm run bench:fleet -- --devices N [--seed S] [--days D] [--shard I/N] [--workers W] [--api-workers A] [--no-drain] [--pg-stats] [--pg-set name=value …] (--help lists them all)
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
const values = benchCli({
  name: 'fleet',
  purpose: 'a simulated fleet through the real flows, end to end, with its books reconciled',
  about: `Provisions and bonds a simulated fleet on the embedded environment (PostgreSQL +
the reference API), simulates days of brushing and phone syncs as real uploads,
reconciles the ledger with what the platform stored. The provisioned, bonded
fleet comes from a fixture in the cache when one matches (seed, devices, code,
migrations); when none does, one is built and saved first, so the next run
starts from it ("fixture" in the summary: built, reused or none; --no-fixture
for the full path). It first measures the
host's unit costs, as npm run bench:host does (not counted in wallSeconds; the
summary's "host"). Progress goes to stderr; the last line of stdout is one JSON
summary. Exit 0 when the books balance, 1 when they do not (the violations and
a replay line go to stderr), 2 on bad input. With --shard I/N it sets up and
drives only the I-th of N slices of the fleet's households (docs/sharding.md):
the summary's "shard" names the slice, its records and rates are the slice's,
and its ledgerDigest is the slice's own (N shards' digests differ from each
other and from the whole fleet's; fleetbed run/load --shard and fleetbed merge
add shards up).`,
  flags: {
    devices: flag.devices('devices in the fleet: 500, 10k, 1m', { default: 10_000 }),
    seed: flag.int('root seed: the same seed gives the same ledger digest', { default: 1, placeholder: 'S' }),
    days: flag.int('simulated days', { default: 1, placeholder: 'D' }),
    shard: flag.shard("drive only the I-th of N slices of the fleet's households (1-based)"),
    workers: flag.int('requests in flight at most', { default: 64, min: 1, placeholder: 'W' }),
    'api-workers': flag.int('API worker processes', { default: 2, min: 1, placeholder: 'A' }),
    'db-pool': flag.int('database connections per API worker', { default: 16, min: 1, placeholder: 'P' }),
    chunk: flag.int('devices per bulk-provisioning request', { default: 25_000, min: 1, placeholder: 'C' }),
    'no-drain': flag.switch("skip the final sync of what is left in the devices' rings"),
    // The API's own default (1,000,000 device keys per process) unless --key-cache sets another size.
    'key-cache': flag.int("device keys the API keeps per process (the API's default: 1000000)", { min: 1, placeholder: 'K' }),
    'pg-stats': flag.switch("print where PostgreSQL's time went (pg_stat_statements)"),
    'pg-set': flag.repeatable('a PostgreSQL setting for the embedded cluster', { placeholder: 'name=val', parse: parsePgSet }),
    'no-fixture': flag.switch('set the fleet up through the API even when a fixture matches; build none (docs/fixtures.md)'),
    quiet: flag.switch('no progress lines'),
  },
});

const { devices, seed, days, shard } = values;
// The fleet as every part sees it: the shard is a fleet option (so part of a fixture's key too).
const fleet = { seed, devices, ...(shard ? { shard } : {}) };
const keyCache = values['key-cache'];
const pgSettings = { ...(values['pg-stats'] ? PG_STATS_SETTINGS : {}), ...values['pg-set'] };

// The host's unit costs right now (a few seconds, before anything else runs): results from
// different days or machines are only comparable next to them. Not counted in wallSeconds.
// A probe that fails (e.g. no loopback port to listen on) costs the summary its "host", not the run.
const host = await calibrateHost().catch((err: Error) => {
  process.stderr.write(`[fleet] host calibration failed, the summary's "host" is null: ${err.message}\n`);
  return null;
});
if (host) process.stderr.write(`[fleet] ${formatCalibration(host)}\n`);
const started = performance.now();
const fleetEnv = await startFleetEnvironment({
  fleet,
  environment: {
    workers: values['api-workers'],
    startupTimeoutMs: 120_000,
    // Cheap password hashing: a million-device fleet signs up half a million accounts.
    apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_DB_POOL_SIZE: String(values['db-pool']), FLEETBED_LOG_LEVEL: 'error', ...(keyCache === undefined ? {} : { FLEETBED_KEY_CACHE_SIZE: String(keyCache) }) },
    postgresSettings: pgSettings,
  },
  policy: values['no-fixture'] ? 'none' : 'build',
  workers: values.workers,
  chunkDevices: values.chunk,
  progress: { enabled: !values.quiet },
  log: (line) => process.stderr.write(`[fleet] ${line}\n`),
}).catch((err: Error & { code?: string }) => {
    // A refused option or a cluster that would not start (e.g. a --pg-set PostgreSQL does not know): nothing ran.
  process.stderr.write(`bench:fleet: the environment did not start (${err.code ?? err.name}): ${err.message}\n`);
  process.exit(2);
});
const env = fleetEnv.environment;
process.stderr.write(`[fleet] fixture: ${fleetEnv.fixture}${fleetEnv.key ? ` (${fleetEnv.key.id})` : ''}\n`);
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
    fleet,
    days,
    drain: !values['no-drain'],
    workers: values.workers,
    chunkDevices: values.chunk,
    progress: { enabled: !values.quiet },
    cpuSampler: () => cpuSecondsByGroup(groups),
    ...(fleetEnv.setup ? { setup: fleetEnv.setup } : {}),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  // Share of each group's CPU spent in the kernel (on loopback, mostly the TCP stack of both ends).
  const cpuNow = cpuSecondsByGroup(groups);
  const sysNow = sysSecondsByGroup(groups);
  const kernelCpuShare = Object.fromEntries(Object.keys(groups).map((g) => [g, round((sysNow[g]! - sysAtStart[g]!) / Math.max(0.01, cpuNow[g]! - cpuAtStart[g]!))]));
  // All three groups' CPU from the fleet's start to its reconciliation: per device, and as cores kept busy on average.
  const cpuTotal = Object.keys(groups).reduce((sum, g) => sum + cpuNow[g]! - cpuAtStart[g]!, 0);
  const sliceDevices = r.fleet.sliceDevices;
  const cpuMsPerDevice = round((cpuTotal * 1000) / Math.max(1, sliceDevices));
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
    // The slice this process drove: everything below (records, rates, the digest) is the slice's.
    ...(shard ? { shard: { index: shard.index, count: shard.count, households: r.fleet.hhTo - r.fleet.hhFrom, devices: sliceDevices, phones: r.fleet.phoneTo - r.fleet.phoneFrom, deviceFrom: r.fleet.deviceFrom, deviceTo: r.fleet.deviceTo } } : {}),
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
    fixture: fleetEnv.fixture,
    ...(fleetEnv.key ? { fixtureKey: fleetEnv.key.id } : {}),
    phases: { environment: round(envSeconds - (fleetEnv.phases.fixtureBuild ?? 0) - (fleetEnv.phases.fixtureRestore ?? 0)), ...fleetEnv.phases, ...r.phases },
    phaseCpuSeconds: r.phaseCpu,
    kernelCpuShare,
    cpuMsPerDevice,
    coresBusy,
    ledgerDigest: r.ledgerDigest,
    host,
  };
  if (shard) process.stderr.write(`[fleet] shard ${shard.index}/${shard.count}: households ${r.fleet.hhFrom}..${r.fleet.hhTo - 1} (${sliceDevices} of ${r.devices} devices); ledgerDigest ${r.ledgerDigest.slice(0, 16)}… is the slice's own\n`);
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
