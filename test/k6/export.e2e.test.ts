import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k6WorldOf } from '../../harness/cli/commands/k6.ts';
import { resolveEnvironment, type StartedEnvironment } from '../../harness/core/env/index.ts';
import { CLIENT_ID } from '../../harness/core/fleet/context.ts';
import { FleetHttp } from '../../harness/core/fleet/http.ts';
import { exportK6, type K6Manifest } from '../../harness/products/k6/export-k6.ts';
import { prepareForK6 } from '../../harness/products/k6/prepare-platform.ts';
import { reconcileExport } from '../../harness/products/k6/reconcile-export.ts';
import { resolveLoadPlan } from '../../harness/products/load/resolve-load-plan.ts';

/**
 * fleetbed k6 export, end to end without k6: the generated script type-checks against
 * @types/k6; the exported rows, sent the way the script sends them (OAuth per phone, rows
 * picked by iterationInTest across three "instances"), reconcile against the embedded
 * platform; one upload sent twice under a new key, or one skipped, fails reconcile.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const plan = resolveLoadPlan({ name: 'k6-small', description: 'small', seed: 77, fleet: { devices: 60 }, arrival: { shape: 'constant', rate: 20, duration: '3s' }, thresholds: { upload_duration: ['p(99)<5000'], achieved_rate_ratio: ['value>0.9'] } });

interface Row {
  p: number;
  n?: 1;
  u: Array<{ k: string; b: string; r?: 1 }>;
}

function rowsOf(dir: string, m: K6Manifest): Row[] {
  const rows: Row[] = [];
  for (const ph of ['prelude', 'load'] as const) for (const f of m.phases[ph].files) rows.push(...(JSON.parse(readFileSync(join(dir, f.name), 'utf8')) as Row[]));
  return rows;
}

/** Send rows as the k6 script does; `instances` VUs each take the iterations i ≡ k (mod instances). */
async function sendLikeK6(url: string, dir: string, m: K6Manifest, rows: Row[], instances: number): Promise<void> {
  const creds: Array<[string, string]> = m.credentials.flatMap((f) => JSON.parse(readFileSync(join(dir, f.name), 'utf8')) as Array<[string, string]>);
  const http = new FleetHttp(url, 8);
  try {
    await Promise.all(
      Array.from({ length: instances }, async (_, k) => {
        const tokens = new Map<number, string>();
        for (let i = k; i < rows.length; i += instances) {
          const row = rows[i]!;
          if (row.n) tokens.delete(row.p);
          for (const u of row.u) {
            for (let times = u.r ? 2 : 1; times > 0; times--) {
              let t = tokens.get(row.p);
              if (!t) {
                const r = await http.json<{ access_token: string }>('POST', '/v2/oauth/token', { grant_type: 'password', username: creds[row.p]![0], password: creds[row.p]![1], client_id: CLIENT_ID });
                expect(r.status).toBe(200);
                tokens.set(row.p, (t = r.body.access_token));
              }
              const r = await http.send('POST', '/v2/uploads', { 'content-type': 'application/json', authorization: `Bearer ${t}`, 'idempotency-key': u.k }, u.b);
              expect([200, 422]).toContain(r.status);
            }
          }
        }
      }),
    );
  } finally {
    await http.close();
  }
}

describe('fleetbed k6 export', () => {
  let dir: string;
  let m: K6Manifest;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetbed-k6-'));
    m = exportK6(k6WorldOf(plan, Date.UTC(2030, 0, 7)), dir, { parallelism: 3 }).manifest;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a script that type-checks against @types/k6', () => {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2020', lib: ['ES2020'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: false, types: ['k6'], typeRoots: [join(ROOT, 'node_modules/@types')] }, files: ['script.ts'] }));
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('records the plan as k6 options and leaves out what k6 cannot evaluate', () => {
    expect(m.k6.scenarios.load).toMatchObject({ executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s' });
    expect(m.k6.thresholds).toEqual({ upload_duration: ['p(99)<5000'] });
    expect(m.k6.thresholdsLeftOut).toEqual(['achieved_rate_ratio']);
    expect(m.phases.load.rows).toBe(60);
    expect(m.ledger.storedRecords).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'testrun.yaml'), 'utf8')).toContain('parallelism: 3');
  });

  it('is the same export for the same seed', () => {
    const again = mkdtempSync(join(tmpdir(), 'fleetbed-k6-'));
    try {
      const m2 = exportK6(k6WorldOf(plan, Date.UTC(2030, 0, 7)), again, { parallelism: 3 }).manifest;
      expect(m2.ledger.digest).toBe(m.ledger.digest);
      expect(readFileSync(join(again, m2.phases.load.files[0]!.name), 'utf8')).toBe(readFileSync(join(dir, m.phases.load.files[0]!.name), 'utf8'));
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  const k6 = spawnSync('k6', ['version'], { encoding: 'utf8' });
  const noK6 = k6.error !== undefined || k6.status !== 0;
  if (noK6) console.log('fleetbed k6 export: the real `k6 run` test is skipped: no k6 binary on PATH');
  it.skipIf(noK6)('runs under a real k6 against the embedded platform, and reconcile passes', async () => {
    const env = await resolveEnvironment({ env: 'embedded', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_LOG_LEVEL: 'silent' }, startupTimeoutMs: 60_000 }).start();
    const runDir = mkdtempSync(join(tmpdir(), 'fleetbed-k6-run-'));
    try {
      const mm = exportK6(k6WorldOf(plan, Date.UTC(2030, 0, 7)), runDir, { parallelism: 1 }).manifest;
      await prepareForK6(mm, { targetUrl: env.apiUrl, factorySecret: env.factorySecret });
      execFileSync('k6', ['run', '--quiet', '-e', `FLEETBED_TARGET_URL=${env.apiUrl}`, `--summary-export=${join(runDir, 'k6.json')}`, join(runDir, 'script.ts')], { cwd: runDir, stdio: 'inherit' });
      const r = await reconcileExport(runDir, mm, { databaseUrl: env.databaseUrl! });
      expect(r.examples).toEqual([]);
      expect(r.ok).toBe(true);
    } finally {
      await env.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.each([
  ['sent as exported across 3 instances', 'none', true],
  ['one upload sent twice under a new idempotency key', 'twice', false],
  ['one upload skipped', 'skip', false],
] as const)('k6 export against the embedded platform: %s', (_name, tamper, ok) => {
  let env: StartedEnvironment;
  let dir: string;
  beforeAll(async () => {
    env = await resolveEnvironment({ env: 'embedded', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', FLEETBED_LOG_LEVEL: 'silent' }, startupTimeoutMs: 60_000 }).start();
    dir = mkdtempSync(join(tmpdir(), 'fleetbed-k6-'));
    const m = exportK6(k6WorldOf(plan, Date.UTC(2030, 0, 7)), dir, { parallelism: 3 }).manifest;
    await prepareForK6(m, { targetUrl: env.apiUrl, factorySecret: env.factorySecret });
    const rows = rowsOf(dir, m);
    const i = rows.findIndex((r) => r.u.length > 0 && !r.u[0]!.r);
    if (tamper === 'twice') rows.push({ p: rows[i]!.p, u: [{ ...rows[i]!.u[0]!, k: `${rows[i]!.u[0]!.k}-again` }] });
    if (tamper === 'skip') {
      // Skip an upload and every later relay of its first record (a phone re-sends what it did not see acknowledged).
      const first = (JSON.parse(rows[i]!.u[0]!.b) as { records: string[] }).records[0]!;
      for (const r of rows) r.u = r.u.filter((u) => !u.b.includes(first));
    }
    await sendLikeK6(env.apiUrl, dir, m, rows, 3);
  }, 180_000);
  afterAll(async () => {
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`reconcile --from says ${ok ? 'pass' : 'fail'}`, async () => {
    const m = JSON.parse(readFileSync(join(dir, 'fleetbed-k6.json'), 'utf8')) as K6Manifest;
    const r = await reconcileExport(dir, m, { databaseUrl: env.databaseUrl! });
    if (ok) expect(r.examples).toEqual([]);
    expect(r.storedInLedger).toBeGreaterThan(0);
    expect(r.keys!.exported).toBeGreaterThan(0);
    if (tamper === 'twice') expect(r.keys!.unexpected).toBe(1);
    if (tamper === 'skip') expect(r.mismatches).toBeGreaterThan(0);
    expect(r.ok).toBe(ok);
  });
});
