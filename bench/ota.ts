/**
 * npm run bench:ota [-- --devices N] [--days D] [--baseline-days B] [--e2e-devices E] [--api-workers W] [--seed S] [--good-image]
 *
 * A staged rollout of a quietly bricking image through a simulated week, and one
 * health-gate evaluation at fleet size N. Two measured parts, said as they are:
 *
 * 1. end to end (real HTTP, real signatures, the OTA engine of harness/core/ota): E devices
 *    (default: N, at most 100,000) in households, the API on W cluster workers (default 2), provisioned through the bulk NDJSON route and bonded
 *    with the button-press flow, brush twice a day (skipping 3 % of days) and upload
 *    signed sessions through /v2/uploads: B days of baseline first (default 2; a week
 *    per upload), then D days (default 7) in which each phone syncs once a day —
 *    uploads its devices' sessions since its last sync, asks for an offer for each
 *    device that brushed, and relays the device-signed reports of the updates they run;
 *    the monitor job runs hourly. Rollout: 1 % / 10 % / 50 % / 100 %, 24 h soak each,
 *    24 h gate window (which no longer decides anything: the gate watches each device's
 *    own rhythm). Run twice from one seed, in two fresh embedded environments: policy
 *    health-gate, then transfer-success (the counterfactual). → blastRadius,
 *    haltedAtHours, haltStage, canaryDevices. With --good-image a third run rolls a
 *    good image under the health gate over the same fleet: → goodImage.
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
    'baseline-days': flag.int('days of fleet-health baseline before the rollout', { default: 2, min: 0, max: 365, placeholder: 'B' }),
    'good-image': flag.switch('also roll a good image under the health gate over the same fleet (a third run): no false halt'),
    // The week runs end to end on the whole fleet up to 100,000 devices (at 1,000,000 it would take hours: --e2e-devices raises it).
    'e2e-devices': flag.devices('devices of the end-to-end week (default: N, at most 100000)', { placeholder: 'E' }),
    'api-workers': flag.int('API worker processes', { default: 2, min: 1, placeholder: 'W' }),
    seed: flag.seed('root seed of the end-to-end week, a u64', { default: '4242' }),
  },
});
const { devices, days } = values;
const baselineDays = values['baseline-days'];
const e2eDevices = values['e2e-devices'] ?? Math.min(devices, 100_000);
const apiWorkers = values['api-workers'];
const log = (s: string) => process.stderr.write(`[bench:ota] ${s}\n`);
const t0 = performance.now();

// ------------------------------------------------------------------ 1. the week, end to end
const weekScenario = (image: 'quiet-death' | 'good') =>
  resolveScenario(
    {
      name: image === 'good' ? 'bench-ota-week-good' : 'bench-ota-week',
      description: `bench:ota: ${image === 'good' ? 'a good image' : 'a quietly bricking image'}, staged 1/10/50/100 % over a simulated week`,
      seed: values.seed,
      fleet: { devices: e2eDevices },
      duration: `${days}d`,
      ota: {
        sessionsPerDay: 2,
        monitorEvery: '1h',
        baseline: `${baselineDays}d`,
        syncEvery: '24h',
        counterfactual: image !== 'good',
        rollouts: [
          {
            image: { version: '2.4.0', antiRollbackCounter: 2, behaviour: image === 'good' ? { kind: 'good' } : { kind: 'quiet-death', hoursAfterBoot: 12 } },
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
const scenario = weekScenario('quiet-death');
log(`end to end: ${e2eDevices} devices, ${days} simulated days, policy health-gate then transfer-success (fresh environments)`);
const startEnvironment = () => resolveEnvironment({ env: 'embedded', workers: apiWorkers, apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_LOG_LEVEL: 'warn' } }).start();
const env = await startEnvironment();
let e2e;
try {
  // A halted rollout, or one completed on every device, changes nothing after its takers have had a day to
  // show it: each run stops there.
  e2e = await runOtaScenario(scenario, { environment: env, startEnvironment, stopWhenSettled: true, progress: { plainIntervalMs: 30_000 }, log });
} finally {
  await env.stop();
}
interface RolloutSummary {
  policy: string;
  state: string;
  cohorts: number[];
  haltStage: number | null;
  haltedAtHours: number | null;
  completedAtHours: number | null;
  onsetToHaltHours: number | null;
  tookImage: number;
  inFlightSlack: number;
}
interface OtaSummary {
  policy: string;
  phases?: Record<string, number>;
  rollouts: RolloutSummary[];
}
const ota = e2e.result.metrics.ota as
  | (OtaSummary & { blastRadius: Record<string, number>; haltedAtHours: Record<string, number | null>; monitorMs: number; counterfactual?: OtaSummary })
  | undefined;
if (!ota) throw new Error(`the end-to-end run failed: ${e2e.result.error}`);
const e2eSeconds = (performance.now() - t0) / 1000;
const perPolicy = (pick: (r: RolloutSummary) => number | null): Record<string, number | null> => {
  const out: Record<string, number | null> = {};
  for (const s of [ota, ota.counterfactual]) if (s?.rollouts[0]) out[s.policy] = pick(s.rollouts[0]);
  return out;
};
const canaryDevices = perPolicy((r) => r.cohorts[0] ?? null);
const haltStage = perPolicy((r) => r.haltStage);
const inFlightSlack = perPolicy((r) => r.inFlightSlack);
const onsetToHaltHours = perPolicy((r) => r.onsetToHaltHours);
log(`end to end: ${Math.round(e2eSeconds)} s; blast radius ${JSON.stringify(ota.blastRadius)}, halt stage ${JSON.stringify(haltStage)}, canary ${JSON.stringify(canaryDevices)}`);

// ------------------------------------------------------------------ 1b. a good image, same fleet (--good-image)
let goodImage: { state: string; completedAtHours: number | null; haltedAtHours: number | null; haltStage: number | null; tookImage: number; wallSeconds: number } | undefined;
if (values['good-image']) {
  log('good image: the same fleet and stages, a good image under the health gate (fresh environment)');
  const tg = performance.now();
  const envG = await startEnvironment();
  try {
    const good = await runOtaScenario(weekScenario('good'), { environment: envG, progress: { plainIntervalMs: 30_000 }, log });
    const g = (good.result.metrics.ota as OtaSummary | undefined)?.rollouts[0];
    if (!g) throw new Error(`the good-image run failed: ${good.result.error}`);
    goodImage = { state: g.state, completedAtHours: g.completedAtHours, haltedAtHours: g.haltedAtHours, haltStage: g.haltStage, tookImage: g.tookImage, wallSeconds: Math.round((performance.now() - tg) / 100) / 10 };
    log(`good image: ${JSON.stringify(goodImage)}`);
  } finally {
    await envG.stop();
  }
}

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
    e2eSeconds: Math.round(e2eSeconds * 10) / 10,
    baselineDays,
    blastRadius: ota.blastRadius,
    haltedAtHours: ota.haltedAtHours,
    haltStage,
    canaryDevices,
    inFlightSlack,
    onsetToHaltHours,
    ...(goodImage ? { goodImage } : {}),
    method: {
      rollout: `end to end over HTTP: ${e2eDevices} devices, ${baselineDays} days of baseline then ${days} simulated days (daily phone syncs), both policies (${Math.round(e2eSeconds)} s)`,
      healthEval: `${devices} devices written by SQL (INSERT … generate_series) into the platform DB the harness owns; POST /testbed/jobs/ota-health-monitor, health query median of 3 (${Math.round(healthSeconds)} s incl. setup)`,
    },
    healthEvalMsRange: health.healthEvalMs,
    monitorJobMs: health.jobMs.median,
    e2eMonitorMaxMs: ota.monitorMs,
  }),
);
