/**
 * npm run bench:ota-health [-- --devices N] [--sessions-per-device S] [--updated-percent P] [--runs R] [--mixed-lines]
 *
 * How long one health-gate evaluation of the OTA fleet-health monitor takes at
 * fleet size N. Starts the embedded environment (or, with DATABASE_URL set, the
 * API over that database), then writes the fleet straight into PostgreSQL with
 * set-based SQL (generate_series, server-side; not timed): N devices bonded to
 * one account, S sessions each over the last two days, and the per-device
 * heartbeat and rhythm (first and latest seq) the upload statement and the
 * heartbeat fold would have written for them —
 * and a rollout (created through the API, its release signed with the TEST
 * release key) of which P % of the fleet has confirmed the update, a tenth of
 * those quiet since. Then it runs POST /testbed/jobs/ota-health-monitor R
 * times and reads the health query's own wall time (evaluationMs) from each
 * answer. Last line: one JSON object.
 *
 * By default every device is an adult brush, so the evaluated product line is
 * the whole fleet (the worst case); --mixed-lines spreads them 60/30/10.
 *
 * Measured (shared 2-vCPU machine, embedded PostgreSQL 18, S = 2, P = 10, every
 * device in the evaluated line, 5–7 runs each):
 *   100,000 devices:    health query median 67–79 ms (min 51, max 107)
 *   1,000,000 devices:  health query median 402–507 ms (min 315, max 590); ota_devices 132 MiB
 * The query is one pass over the line's rows of ota_devices (see
 * reference-api/src/ota/health.ts), so it grows linearly with the line's size.
 */
import { createPrivateKey, createHash, sign } from 'node:crypto';
import pg from 'pg';
import { request } from 'undici';
import { resolveEnvironment } from '../harness/core/env/index.ts';
import { encodeFirmwareManifest, firmwareManifestSigningBytes, testReleaseSeed } from '../contract/ota.ts';
import { packFirmwareVersion } from '../contract/firmware-version.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';

const values = benchCli({
  name: 'ota-health',
  purpose: "one health-gate evaluation of the OTA fleet-health monitor at N devices (bench:ota's part 2)",
  about: `Writes the fleet straight into PostgreSQL with set-based SQL (not timed) on the
embedded environment, or on the API over DATABASE_URL when it is set, creates a
rollout through the API, then runs POST /testbed/jobs/ota-health-monitor R times
and reads the health query's own wall time (evaluationMs) from each answer. By
default every device is an adult brush (the worst case). Progress goes to
stderr; the last line of stdout is one JSON object.`,
  flags: {
    devices: flag.devices('devices in the evaluated fleet: 500, 10k, 1m', { default: 100_000 }),
    'sessions-per-device': flag.int('sessions per device over the last two days', { default: 2, min: 1, placeholder: 'S' }),
    'updated-percent': flag.int('percent of the fleet that confirmed the update', { default: 10, max: 100, placeholder: 'P' }),
    runs: flag.int('evaluations timed', { default: 5, min: 1, placeholder: 'R' }),
    'mixed-lines': flag.switch('spread the devices over the product lines 60/30/10'),
  },
});
const { devices, runs } = values;
const perDevice = values['sessions-per-device'];
const updatedPercent = values['updated-percent'];
const log = (s: string) => process.stderr.write(`[bench:ota-health] ${s}\n`);

let t = performance.now();
await using env = await resolveEnvironment(process.env.DATABASE_URL ? { env: 'url', databaseUrl: process.env.DATABASE_URL } : {}).start();
if (!env.databaseUrl) throw new Error('the environment does not expose its database URL; this bench writes the fleet with SQL');
log(`environment ready in ${((performance.now() - t) / 1000).toFixed(1)} s at ${env.apiUrl}`);

const db = new pg.Client({ connectionString: env.databaseUrl });
db.on('error', () => {}); // the environment's shutdown ends the connection
await db.connect();
const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await request(`${env.apiUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-factory-credential': env.factorySecret },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 600_000,
    bodyTimeout: 600_000,
  });
  const json = (await res.body.json()) as Record<string, any>;
  if (res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}: ${JSON.stringify(json)}`);
  return json;
};

// ---------------------------------------------------------------- the fleet, straight into PostgreSQL (not timed)
t = performance.now();
const nowMs = Number((await db.query<{ now_ms: string }>('SELECT now_ms FROM testbed_clock')).rows[0]!.now_ms);
const ts = (ms: number) => new Date(ms).toISOString();
const { rows: acct } = await db.query<{ account_id: string }>(`INSERT INTO accounts (created_at) VALUES ($1) RETURNING account_id`, [ts(nowMs)]);
const accountId = acct[0]!.account_id;
const line = values['mixed-lines']
  ? `CASE WHEN g % 10 < 6 THEN 'adult-brush' WHEN g % 10 < 9 THEN 'kids-brush' ELSE 'interdental' END`
  : `'adult-brush'`;
const CHUNK = 100_000;
for (let from = 1; from <= devices; from += CHUNK) {
  const to = Math.min(devices, from + CHUNK - 1);
  await db.query(
    `INSERT INTO devices (device_id, serial, product_line, public_key, factory_firmware, firmware_version, owner_account_id, bonded_at, provisioned_at)
     SELECT g, 'B-' || g, ${line}, '\\x${'00'.repeat(32)}'::bytea, '1.0.0', '1.0.0', $3, $4, $4 FROM generate_series($1::bigint, $2::bigint) g`,
    [from, to, accountId, ts(nowMs - 30 * 86_400_000)],
  );
  if (from === 1) {
    await db.query(`INSERT INTO consumables (head_id, head_type, resolved, first_device_id, first_seen_at) VALUES (17592186044417, 'adult-clean', true, 1, $1)`, [ts(nowMs)]);
  }
  // S sessions per device, spread over the last two days (device time), received when started.
  await db.query(
    `INSERT INTO sessions (device_id, seq, account_id, head_id, started_at, duration_s, zones, pressure_alerts, firmware_version, battery_pct,
                           clock_reset, head_changed, record, signature, received_at)
     SELECT g, s, $3, 17592186044417, t, 120, 255, 0, '1.0.0', 80, false, false, '\\x00'::bytea, '\\x${'00'.repeat(64)}'::bytea, t
       FROM generate_series($1::bigint, $2::bigint) g, generate_series(1, $4::int) s,
            LATERAL (SELECT to_timestamp(($5::double precision - ((g * 7919 + s * 104729) % 172800) * 1000 - 60000) / 1000) AS t) x`,
    [from, to, accountId, perDevice, nowMs],
  );
  // The heartbeat and rhythm, as the upload statement and the fold (reference-api/src/ota/heartbeat.ts) write them for the stored sessions.
  await db.query(
    `INSERT INTO ota_devices (device_id, product_line, running_version, first_session_at, last_session_at, first_seq, last_seq)
     SELECT s.device_id, d.product_line, ota_pack_version(d.firmware_version), min(least(s.started_at, s.received_at)), max(least(s.started_at, s.received_at)),
            min(s.seq), max(s.seq)
       FROM sessions s JOIN devices d USING (device_id) WHERE s.device_id BETWEEN $1 AND $2 GROUP BY s.device_id, d.product_line, d.firmware_version`,
    [from, to],
  );
  log(`${to.toLocaleString()} devices with ${perDevice} sessions each (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

// A release (signed with the TEST release key, which the API trusts in test mode) and a rollout of it.
const sha256 = createHash('sha256').update('bench image').digest();
const manifest = encodeFirmwareManifest({ formatVersion: 1, productLine: 'adult-brush', firmwareVersion: packFirmwareVersion('2.0.0'), sizeBytes: 262_144, antiRollbackCounter: 1, sha256 });
const releaseKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(testReleaseSeed()).toString('base64url'), x: Buffer.alloc(32).toString('base64url') }, format: 'jwk' });
const release = await api('POST', '/v2/ota/releases', {
  productLine: 'adult-brush',
  version: '2.0.0',
  sizeBytes: 262_144,
  sha256: sha256.toString('base64url'),
  antiRollbackCounter: 1,
  signature: sign(null, firmwareManifestSigningBytes(manifest), releaseKey).toString('base64url'),
});
const rollout = await api('POST', '/v2/ota/rollouts', {
  releaseId: release.releaseId,
  policy: 'health-gate',
  stages: [{ percent: 100, soakSeconds: 7 * 86_400 }],
  gate: { windowSeconds: 12 * 3600, minSample: 100 },
});
// P % of the line confirmed the update a day ago (as their signed reports would leave them); a tenth of those went quiet.
await db.query(
  `WITH m AS (
     INSERT INTO ota_rollout_devices (rollout_id, device_id, bucket, stage_index, offered_at)
     SELECT $1, device_id, device_id % 10000, 0, $3 FROM devices WHERE product_line = 'adult-brush' AND device_id % 100 < $2
     RETURNING device_id
   )
   UPDATE ota_devices o SET rollout_id = $1, state = 'confirmed', running_version = $4, report_seq = 5, boot_count = 1,
          reported_at = $3, confirmed_at = $3, anti_rollback_counter = 1,
          last_session_at = CASE WHEN o.device_id % 10 = 0 THEN $3::timestamptz ELSE o.last_session_at END
     FROM m WHERE o.device_id = m.device_id`,
  [rollout.rolloutId, updatedPercent, ts(nowMs - 86_400_000), packFirmwareVersion('2.0.0')],
);
await db.query(`UPDATE ota_rollouts SET member_count = (SELECT count(*) FROM ota_rollout_devices WHERE rollout_id = $1) WHERE rollout_id = $1`, [rollout.rolloutId]);
await db.query('VACUUM ANALYZE ota_devices');
const { rows: sizes } = await db.query<{ rows: string; bytes: string; sessions: string }>(
  `SELECT (SELECT count(*) FROM ota_devices) AS rows, pg_total_relation_size('ota_devices') AS bytes, (SELECT count(*) FROM sessions) AS sessions`,
);
const setupSeconds = (performance.now() - t) / 1000;
log(`fleet written in ${setupSeconds.toFixed(1)} s: ${sizes[0]!.rows} ota_devices rows (${(Number(sizes[0]!.bytes) / 2 ** 20).toFixed(0)} MiB), ${sizes[0]!.sessions} sessions`);

// ---------------------------------------------------------------- timed: the monitor job, R times
const evalMs: number[] = [];
const jobMs: number[] = [];
let last: Record<string, any> | undefined;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const run = await api('POST', '/testbed/jobs/ota-health-monitor');
  jobMs.push(performance.now() - t0);
  last = (run.result.rollouts as Array<Record<string, any>>).find((r) => r.rolloutId === rollout.rolloutId);
  if (!last) throw new Error(`the monitor did not evaluate rollout ${rollout.rolloutId}: ${JSON.stringify(run)}`);
  evalMs.push(last.evaluation.evaluationMs);
  log(`run ${i + 1}: health query ${last.evaluation.evaluationMs.toFixed(1)} ms, job ${jobMs[i]!.toFixed(1)} ms, decision ${last.evaluation.decision}`);
}
await db.end();
const sorted = [...evalMs].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(
  JSON.stringify({
    devices,
    sessions: Number(sizes[0]!.sessions),
    updated: last!.evaluation.updated,
    baseline: last!.evaluation.baseline,
    healthEvalMs: { min: +sorted[0]!.toFixed(1), median: +median.toFixed(1), max: +sorted[sorted.length - 1]!.toFixed(1) },
    jobMs: { median: +[...jobMs].sort((a, b) => a - b)[Math.floor(jobMs.length / 2)]!.toFixed(1) },
    decision: last!.evaluation.decision,
    setupSeconds: +setupSeconds.toFixed(1),
  }),
);
