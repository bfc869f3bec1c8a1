import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../reference-api/src/app.ts';
import { runCheckers, runCareQueries, snapshotEvents, CHECKERS, NOT_IMPLEMENTED } from '../../harness/core/checkers/index.ts';
import type { CheckContext } from '../../harness/core/checkers/types.ts';
import { runFleet, type FleetRunResult } from '../../harness/core/fleet/index.ts';
import { RunHistory } from '../../harness/core/history.ts';
import { RUN_INVARIANTS, type InvariantId } from '../../harness/core/scenario/invariants.ts';
import type { ResolvedScenario } from '../../harness/core/scenario/types.ts';
import type { LedgerViolation } from '../../simulators/ledger.ts';
import type { InvariantResult } from '../../reports/types.ts';
import { startTestApi, TEST_FACTORY_SECRET, type TestApi } from '../support/api.ts';
import { databaseTargets } from '../support/databases.ts';
import { weaken } from '../fixtures/weaknesses.ts';

/**
 * Every checker on a small real world: a 40-device fleet driven for one day
 * against the reference API (in-process, listening on a free port, over a fresh
 * database). Green on that clean world; then each is turned red by one
 * injected bug (a ledger violation, or a change made behind the API's back)
 * and must name it in a witness.
 */
const SCENARIO = { name: 'checkers-unit', invariants: RUN_INVARIANTS } as unknown as ResolvedScenario;
const serverUrl = databaseTargets()[0]!.serverUrl!;

let api: TestApi;
let apiUrl: string;
let run: FleetRunResult;
let ctx: CheckContext;
let sql: pg.Client;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

function withViolations(extra: LedgerViolation[], totals: Partial<FleetRunResult['totals']> = {}): CheckContext {
  return { ...ctx, fleet: { ...run, violations: [...run.violations, ...extra], totals: { ...run.totals, violations: run.totals.violations + extra.length, ...totals } } };
}

async function check(id: InvariantId, c: CheckContext = ctx): Promise<InvariantResult> {
  return CHECKERS[id]!(c);
}

function storedDevice(): number {
  for (let d = 0; d < run.fleet.deviceCount; d++) if (run.ledger.stored[d]! > 2) return d;
  throw new Error('no device with stored sessions');
}

beforeAll(async () => {
  api = await startTestApi(serverUrl);
  apiUrl = await listen(api.app);
  run = await runFleet({
    environment: { apiUrl, factorySecret: TEST_FACTORY_SECRET, databaseUrl: api.db.url },
    fleet: { seed: 77, devices: 40, phones: { timeoutAfterCommit: 0.3, maxRecordsPerUpload: 4 }, clock: { resetPerDay: 0.1 } },
    days: 2,
    workers: 8,
    progress: { enabled: false },
  });
  const history = new RunHistory();
  history.eventSnapshot = await snapshotEvents(api.db.url);
  history.eventSnapshotAt = 86_400;
  ctx = { scenario: SCENARIO, fleet: run, history, env: { apiUrl, databaseUrl: api.db.url } };
  await runCareQueries({ env: { apiUrl }, factorySecret: TEST_FACTORY_SECRET, fleet: run, history, patients: 3 });
  sql = new pg.Client({ connectionString: api.db.url });
  await sql.connect();
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await api?.close();
});

describe('on a clean run of the reference API', () => {
  it('every checker passes and says how much it checked', async () => {
    expect(run.ok).toBe(true);
    expect(run.totals.replays).toBeGreaterThan(0);
    const results = await runCheckers(RUN_INVARIANTS, ctx);
    expect(results.map((r) => r.id)).toEqual([...RUN_INVARIANTS]);
    for (const r of results) {
      expect({ id: r.id, verdict: r.verdict, witnesses: r.witnesses }).toEqual({ id: r.id, verdict: 'pass', witnesses: [] });
      expect(r.checked, r.id).toBeGreaterThan(0);
    }
    expect(results.find((r) => r.id === 'ING-1')!.checked).toBe(run.fleet.deviceCount);
    // The care probe: three patients read, then the second revokes and all three are read again.
    expect(ctx.history.careQueries.map((q) => q.status)).toEqual([200, 200, 200, 200, 403, 200]);
    expect(ctx.history.lifecycle.map((o) => [o.rule, o.status])).toEqual([['consent', 200], ['consent', 204], ['consent', 403], ['consent', 200]]);
  });

  it('without the database: API-only checks pass, database-only checks skip with a reason', async () => {
    const bare: CheckContext = { ...ctx, env: { apiUrl } };
    const results = Object.fromEntries((await runCheckers(RUN_INVARIANTS, bare)).map((r) => [r.id, r]));
    for (const id of ['ING-1', 'ING-3', 'ING-4', 'ING-5', 'AUTH-2', 'AUTH-3'] as const) expect(results[id]!.verdict, id).toBe('pass');
    for (const id of ['ING-2', 'AUTH-1', 'PRIV-1', 'PRIV-2'] as const) {
      expect(results[id]!.verdict, id).toBe('skip');
      expect(results[id]!.skipReason).toMatch(/database/);
    }
    expect(results['ING-1']!.checked).toBeGreaterThan(0);
    expect(results['AUTH-3']!.checked).toBe(run.households);
  });

  it('skips rather than passing vacuously', async () => {
    const noReplays = { ...ctx, fleet: { ...run, totals: { ...run.totals, replays: 0 } } };
    expect((await check('ING-3', noReplays)).verdict).toBe('skip');
    expect((await check('PRIV-2', { ...ctx, history: new RunHistory() })).skipReason).toMatch(/no care-provider query/);
  });

  it('runCheckers keeps catalogue order, skips ids without a checker, and fails a checker that throws', async () => {
    const results = await runCheckers(['PRIV-1', 'LEG-1', 'AUTH-4', 'ING-3'], ctx);
    expect(results.map((r) => [r.id, r.verdict])).toEqual([['ING-3', 'pass'], ['AUTH-4', 'skip'], ['LEG-1', 'skip'], ['PRIV-1', 'pass']]);
    expect(results[1]!.skipReason).toBe(NOT_IMPLEMENTED);
    // A legacy invariant has a checker, which reads a legacy scenario's run: none here.
    expect(results[2]!.skipReason).toMatch(/need a legacy scenario/);
    const broken = await runCheckers(['AUTH-2'], { ...ctx, env: { apiUrl: 'http://127.0.0.1:9' } });
    expect(broken[0]).toMatchObject({ verdict: 'fail', violations: 1 });
    expect(broken[0]!.witnesses[0]!.found).toMatch(/the checker failed/);
  });

  it('snapshotEvents samples every k-th event when the table is large', async () => {
    const all = await snapshotEvents(api.db.url);
    const s = await snapshotEvents(api.db.url, { maxRows: 5 });
    const k = Math.ceil(Math.max(...all.keys()) / 5);
    expect(k).toBeGreaterThan(1);
    expect(s.size).toBeGreaterThan(0);
    expect(s.size).toBeLessThanOrEqual(6);
    for (const [id, hash] of s) {
      expect(id % k).toBe(0);
      expect(all.get(id)).toBe(hash);
    }
  });
});

describe('each checker turns red on a real bug, with a witness', () => {
  it('ING-3: a replay with a different answer', async () => {
    const r = await check('ING-3', withViolations([{ check: 'replay-differs', detail: 'upload k1 of phone 3: the retry was not marked Idempotent-Replayed' }]));
    expect(r).toMatchObject({ verdict: 'fail', violations: 1 });
    expect(r.witnesses[0]!.found).toMatch(/replay-differs.*k1/);
  });

  it('ING-4 and ING-5 split rejections: time codes to ING-4, a good record refused to ING-5', async () => {
    const id = run.fleet.deviceId(0);
    const c = withViolations([
      { check: 'unexpected-rejection', deviceId: id, seq: 3, detail: 'rejected as too-late; the platform\'s time rules predict acceptance (startedAt 1, platform time 2 ms)' },
      { check: 'unexpected-rejection', deviceId: id, seq: 4, detail: 'rejected as signature-invalid; the platform\'s time rules predict acceptance (startedAt 1, platform time 2 ms)' },
      { check: 'answer-count', detail: 'upload k2: 4 records sent, 3 verdicts returned' },
    ]);
    const ing4 = await check('ING-4', c);
    const ing5 = await check('ING-5', c);
    expect(ing4).toMatchObject({ verdict: 'fail', violations: 1 });
    expect(ing4.witnesses[0]).toMatchObject({ device: id, seq: 3 });
    expect(ing5).toMatchObject({ verdict: 'fail', violations: 2 });
    expect(ing5.witnesses.map((w) => w.seq ?? null)).toEqual([null, 4]);
  });

  it('ING-1: a record the ledger saw stored twice, and an acknowledged session deleted behind the API', async () => {
    const d = storedDevice();
    const id = run.fleet.deviceId(d);
    const fromLedger = await check('ING-1', withViolations([{ check: 'stored-twice', deviceId: id, seq: 2, detail: 'the platform answered stored for a record it had already stored' }]));
    expect(fromLedger.verdict).toBe('fail');
    expect(fromLedger.witnesses[0]).toMatchObject({ device: id, seq: 2 });

    const { rows } = await sql.query<{ seq: string }>('SELECT seq::text FROM sessions WHERE device_id = $1 ORDER BY seq LIMIT 1', [id]);
    const seq = Number(rows[0]!.seq);
    await sql.query('SET session_replication_role = replica');
    await sql.query('DELETE FROM sessions WHERE device_id = $1 AND seq = $2', [id, seq]);
    await sql.query('SET session_replication_role = origin');
    for (const c of [ctx, { ...ctx, env: { apiUrl } }]) {
      const r = await check('ING-1', { ...c });
      expect(r.verdict).toBe('fail');
      const w = r.witnesses.find((x) => x.device === id);
      expect(w, c.env.databaseUrl ? 'sql' : 'api').toMatchObject({ device: id, seq });
      expect(w!.found).toMatch(new RegExp(`seq ${seq} was acknowledged as stored and is gone`));
    }
  });

  it('ING-1: a stored record whose content was overwritten with another copy (same seqs, other duration) — counts agree, content does not', async () => {
    let d = run.fleet.deviceCount - 1;
    while (d > 0 && run.ledger.stored[d]! < 2) d--;
    const id = run.fleet.deviceId(d);
    expect(d).not.toBe(storedDevice());
    const overwrite = (delta: number) =>
      sql.query(
        `UPDATE sessions SET duration_s = duration_s + $2, record = set_byte(set_byte(record, 18, ((duration_s + $2) >> 8) & 255), 19, (duration_s + $2) & 255)
          WHERE device_id = $1 AND seq = (SELECT min(seq) FROM sessions WHERE device_id = $1)`,
        [id, delta],
      );
    await sql.query('SET session_replication_role = replica');
    await overwrite(1);
    try {
      for (const c of [ctx, { ...ctx, env: { apiUrl } }]) {
        const r = await check('ING-1', { ...c });
        expect(r.verdict).toBe('fail');
        const w = r.witnesses.find((x) => x.device === id);
        expect(w, c.env.databaseUrl ? 'sql' : 'api').toBeDefined();
        expect(w!.found).toMatch(/^content digest [0-9a-f]{8}: a stored record's content was overwritten/);
        expect(w!.expected).toContain(`content digest ${run.ledger.storedContent[d]!.toString(16).padStart(8, '0')}`);
      }
    } finally {
      await overwrite(-1);
      await sql.query('SET session_replication_role = origin');
    }
  });

  it('ING-2: an event updated in place after the snapshot, and a disabled append-only trigger', async () => {
    const first = Math.min(...ctx.history.eventSnapshot!.keys());
    await sql.query('SET session_replication_role = replica');
    await sql.query(`UPDATE events SET data = data || '{"tampered":true}' WHERE event_id = $1`, [first]);
    await sql.query('SET session_replication_role = origin');
    await sql.query('ALTER TABLE sessions DISABLE TRIGGER sessions_append_only_truncate');
    const r = await check('ING-2');
    expect(r).toMatchObject({ verdict: 'fail', violations: 2 });
    expect(r.witnesses.map((w) => w.found).join('\n')).toMatch(/TRUNCATE.*none enabled|sessions_append_only_truncate \(tgenabled D\)/);
    expect(r.witnesses.find((w) => w.found.includes(`event ${first} `))!.found).toMatch(/updated in place/);
    await sql.query('ALTER TABLE sessions ENABLE TRIGGER sessions_append_only_truncate');
  });

  it('AUTH-1: a stored signature that does not verify', async () => {
    const id = run.fleet.deviceId(storedDevice());
    await sql.query('SET session_replication_role = replica');
    const { rows } = await sql.query<{ seq: string }>(
      `UPDATE sessions SET signature = set_byte(signature, 5, get_byte(signature, 5) # 1)
        WHERE (device_id, seq) = (SELECT device_id, max(seq) FROM sessions WHERE device_id = $1 GROUP BY device_id) RETURNING seq::text`,
      [id],
    );
    await sql.query('SET session_replication_role = origin');
    const r = await check('AUTH-1');
    expect(r).toMatchObject({ verdict: 'fail', violations: 1 });
    expect(r.witnesses[0]).toMatchObject({ device: id, seq: Number(rows[0]!.seq) });
    expect(r.witnesses[0]!.found).toMatch(/does not verify/);
  });

  it('AUTH-2: a platform that lets another account read a device (BOLA fixture, in-process)', async () => {
    const app = await buildApp({ databaseUrl: api.db.url, testMode: true, factorySecret: TEST_FACTORY_SECRET, passwordHashCost: 1024, logLevel: 'silent' });
    const detach = await weaken('bola-read-other-device', app, api.db.url);
    try {
      const url = await listen(app);
      const r = await check('AUTH-2', { ...ctx, env: { apiUrl: url, databaseUrl: api.db.url } });
      expect(r.verdict).toBe('fail');
      expect(r.violations).toBe(r.checked);
      expect(r.witnesses[0]!.found).toMatch(/^200 /);
      expect(r.witnesses[0]!.detail).toMatch(/BOLA/);
    } finally {
      await app.close();
      await detach();
    }
  });

  it('AUTH-3: an owner changed without a proof, and a rebond event the harness never made', async () => {
    const d = storedDevice();
    const id = run.fleet.deviceId(d);
    const other = (run.fleet.householdOfDevice(d) + 1) % run.households;
    const otherDevice = run.fleet.deviceId(run.fleet.hhFirstDevice[other]!);
    await sql.query('UPDATE devices SET owner_account_id = (SELECT owner_account_id FROM devices WHERE device_id = $2) WHERE device_id = $1', [id, otherDevice]);
    await sql.query(`INSERT INTO events (kind, device_id, occurred_at) VALUES ('device.rebonded', $1, now())`, [id]);
    const r = await check('AUTH-3');
    expect(r).toMatchObject({ verdict: 'fail', violations: 2 });
    expect(r.witnesses.every((w) => w.device === id)).toBe(true);
    expect(r.witnesses.map((w) => w.found).join('\n')).toMatch(/owned by account .*\n.*device.rebonded/s);
  });

  it('PRIV-1: an identifier column outside identity_*', async () => {
    await sql.query('ALTER TABLE devices ADD COLUMN owner_email text');
    const r = await check('PRIV-1');
    expect(r).toMatchObject({ verdict: 'fail', violations: 1 });
    expect(r.witnesses[0]!.found).toBe('devices.owner_email (text)');
  });

  it('PRIV-2: a care query without its audit row', async () => {
    const history = Object.assign(new RunHistory(), { careQueries: [...ctx.history.careQueries, ctx.history.careQueries[0]!] });
    const r = await check('PRIV-2', { ...ctx, history });
    expect(r).toMatchObject({ verdict: 'fail', violations: 1 });
    // The first patient was read twice (before and after the other's revocation): two audit rows, three queries now.
    expect(r.witnesses[0]).toMatchObject({ expected: expect.stringMatching(/^3 identity_join_audit/), found: '2 row(s)' });
  });
});
