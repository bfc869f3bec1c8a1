/**
 * npm run bench:ota [-- --devices N] [--days D] [--e2e-devices E] [--api-workers W] [--seed S]
 *
 * A staged rollout of a quietly bricking image through a simulated week, and one
 * health-gate evaluation at fleet size N. Two measured parts, said as they are:
 *
 * 1. end to end (real HTTP, real signatures, the OTA engine of harness/core/ota): E devices
 *    (default: N, at most 100,000) in households, the API on W cluster workers (default 2), provisioned through the bulk NDJSON route and bonded
 *    with the button-press flow, brush twice a day and upload signed sessions through
 *    /v2/uploads for D days (default 7), phones ask for offers, dual-bank bootloaders run
 *    the update and relay device-signed reports, the monitor job runs hourly. Rollout:
 *    1 % / 10 % / 50 % / 100 %, 24 h soak each, 24 h gate window. Run twice from one seed,
 *    in two fresh embedded environments: policy health-gate, then transfer-success (the
 *    counterfactual). → blastRadius, haltedAtHours.
 * 2. health-gate evaluation at N devices (default 100,000): bench/ota-health.ts
 *    writes the fleet straight into the platform's PostgreSQL, which the harness owns
 *    (set-based INSERT … SELECT generate_series: devices, two sessions each and the heartbeat
 *    the upload statement would write for them, and confirmed reports for 10 %), creates
 *    the rollout through the API, then times POST /testbed/jobs/ota-health-monitor: the
 *    health query's own wall time is healthEvalMs (median of 3).
 *
 * Last line: one JSON object.
 */
import { execFile } from 'node:child_process';
import { resolveEnvironment } from '../harness/core/env/index.ts';
import { runOtaScenario } from '../harness/products/run/run-ota-scenario.ts';
import { resolveScenario } from '../harness/core/scenario/resolve-scenario.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';

const values = benchCli({
  name: 'ota',
  purpose: 'a staged rollout of a quietly bricking image through a simulated week, and a health-gate evaluation at N devices',
  about: `Part 1 runs the week end to end over HTTP under both policies (health-gate, then
transfer-success) in two fresh embedded environments: blastRadius, haltedAtHours.
Part 2 runs bench:ota-health at N devices written by SQL: healthEvalMs (median
of 3). Progress goes to stderr; the last line of stdout is one JSON object.`,
  flags: {
    devices: flag.devices('devices of the health-gate evaluation: 500, 10k, 1m', { default: 100_000 }),
    days: flag.int('simulated days of the end-to-end week', { default: 7, min: 1, placeholder: 'D' }),
    // The week runs end to end on the whole fleet up to 100,000 devices (at 1,000,000 it would take hours: --e2e-devices raises it).
    'e2e-devices': flag.devices('devices of the end-to-end week (default: N, at most 100000)', { placeholder: 'E' }),
    'api-workers': flag.int('API worker processes', { default: 2, min: 1, placeholder: 'W' }),
    seed: flag.seed('root seed of the end-to-end week, a u64', { default: '4242' }),
  },
});
const { devices, days } = values;
const e2eDevices = values['e2e-devices'] ?? Math.min(devices, 100_000);
const apiWorkers = values['api-workers'];
const log = (s: string) => process.stderr.write(`[bench:ota] ${s}\n`);
const t0 = performance.now();

// ------------------------------------------------------------------ 1. the week, end to end
const scenario = resolveScenario(
  {
    name: 'bench-ota-week',
    description: 'bench:ota: a quietly bricking image, staged 1/10/50/100 % over a simulated week',
    seed: values.seed,
    fleet: { devices: e2eDevices },
    duration: `${days}d`,
    ota: {
      sessionsPerDay: 2,
      monitorEvery: '1h',
      counterfactual: true,
      rollouts: [
        {
          image: { version: '2.4.0', antiRollbackCounter: 2, behaviour: { kind: 'quiet-death', hoursAfterBoot: 12 } },
          stages: [
            { percent: 1, soak: '24h' },
            { percent: 10, soak: '24h' },
            { percent: 50, soak: '24h' },
            { percent: 100, soak: '24h' },
          ],
          gate: { window: '24h', minSample: 5, failureMinSample: 5 },
        },
      ],
    },
  },
  'bench/ota.ts',
);
log(`end to end: ${e2eDevices} devices, ${days} simulated days, policy health-gate then transfer-success (fresh environments)`);
const startEnvironment = () => resolveEnvironment({ env: 'embedded', workers: apiWorkers, apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_LOG_LEVEL: 'warn' } }).start();
const env = await startEnvironment();
let e2e;
try {
  e2e = await runOtaScenario(scenario, { environment: env, startEnvironment, progress: { plainIntervalMs: 30_000 }, log });
} finally {
  await env.stop();
}
const ota = e2e.result.metrics.ota as { blastRadius: Record<string, number>; haltedAtHours: Record<string, number | null>; monitorMs: number } | undefined;
if (!ota) throw new Error(`the end-to-end run failed: ${e2e.result.error}`);
const e2eSeconds = (performance.now() - t0) / 1000;

// ------------------------------------------------------------------ 2. one gate evaluation at N devices
log(`health-gate evaluation at ${devices.toLocaleString('en-US')} devices (fleet written by SQL into the harness-owned database)`);
const t1 = performance.now();
const health = await new Promise<{ healthEvalMs: { median: number; min: number; max: number }; jobMs: { median: number }; setupSeconds: number; updated: unknown; baseline: unknown }>((resolve, reject) =>
  execFile('node', ['--import', 'tsx', 'bench/ota-health.ts', '--devices', String(devices), '--runs', '3'], { maxBuffer: 64 * 1024 * 1024, timeout: 3_600_000 }, (err, stdout, stderr) => {
    if (err) return reject(new Error(`ota-health bench failed: ${err.message}\n${stderr.slice(-2000)}`));
    process.stderr.write(stderr);
    resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
  }),
);
const healthSeconds = (performance.now() - t1) / 1000;

console.log(
  JSON.stringify({
    devices,
    rolloutDevices: e2eDevices,
    simulatedDays: days,
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    healthEvalMs: health.healthEvalMs.median,
    blastRadius: ota.blastRadius,
    haltedAtHours: ota.haltedAtHours,
    method: {
      rollout: `end to end over HTTP: ${e2eDevices} devices through ${days} simulated days, both policies (${Math.round(e2eSeconds)} s)`,
      healthEval: `${devices} devices written by SQL (INSERT … generate_series) into the platform DB the harness owns; POST /testbed/jobs/ota-health-monitor, health query median of 3 (${Math.round(healthSeconds)} s incl. setup)`,
    },
    healthEvalMsRange: health.healthEvalMs,
    monitorJobMs: health.jobMs.median,
    e2eMonitorMaxMs: ota.monitorMs,
  }),
);
