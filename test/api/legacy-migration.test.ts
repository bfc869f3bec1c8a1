import { afterEach, describe, expect, it } from 'vitest';
import { applyDrift, diffRow, DRIFT_KINDS, interpret, revisionFor, type Divergence, type DriftChange } from '../../contract/legacy/dialect.ts';
import { DIALECTS } from '../../contract/legacy/dialects.ts';
import { legacyRowKey, v2WriteFails, type LegacyMappingResult, type LegacyReconciliation, type LegacyReconciliationList, type LegacyRepairJobResult } from '../../contract/legacy/wire.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachDatabase, withClient } from '../support/fixtures.ts';
import { addUsers, dialect, digest, getSessions, lineStatus, nextNight, operator, postSessions, read, reconcile, records, runJob, setGate, setState, truth, upload, userIdFor, type LegacyUser } from './legacy-client.ts';

const MIGRATION_EPOCH_NIGHT = '2026-01-01'; // testbed_clock's seed in migration 001

/** The change of each drift kind, for a line's revision 0. */
function driftOf(kind: (typeof DRIFT_KINDS)[number]): DriftChange {
  switch (kind) {
    case 'add-field':
      return { kind, key: 'pressureAlerts', name: 'pa', type: 'int' };
    case 'unit-change':
      return { kind, field: 'durationS' };
    case 'rename-field':
      return { kind, field: 'durationS', to: 'duration_v2' };
    case 'new-enum-value':
      return { kind, raw: '9', mode: 'night' };
    case 'overload-field':
      return { kind, sentinel: -1 };
  }
}

/**
 * The strangler-fig migration of a legacy line against real PostgreSQL:
 * dual-write with backfill, the partial case and its repair, drift caught by
 * reconciliation exactly as the contract's diffRow predicts, the mapping fix,
 * the cutover gate, retirement, and the identity map.
 */
describeEachDatabase('legacy migration', (serverUrl) => {
  const apis: TestApi[] = [];
  afterEach(async () => {
    for (const a of apis.splice(0)) await a.close();
  });
  async function fresh(): Promise<TestApi> {
    const api = await startTestApi(serverUrl);
    apis.push(api);
    return api;
  }
  const userFor = (line: string, n: number): LegacyUser => ({ line, userId: userIdFor(dialect(line), n), secret: `secret-${line}-${n}` });
  const report = (app: TestApi['app'], line: string, night: string) => operator<LegacyReconciliation>(app, 'GET', `/v2/legacy/lines/${line}/reconciliations/${night}`);

  it('dual-write backfills every legacy row, writes new uploads to both stores equal in content, and a clean night reads the same after cutover', async () => {
    const { app } = await fresh();
    const d = dialect('dental-pro');
    const rev = d.revisions[0]!;
    const [a, b] = [userFor(d.line, 1), userFor(d.line, 2)];
    await addUsers(app, [a, b]);
    const before = [...records(d, rev, 'DW-A', 0, 20)];
    expect((await upload(app, d, a, before)).v2).toBe('not-applicable');
    await upload(app, d, b, records(d, rev, 'DW-B', 0, 5));

    const dual = await setState(app, d.line, 'dual-write');
    expect(dual).toMatchObject({ state: 'dual-write', mappingRevision: 0, mappingChanges: 0, rows: { legacy: 25, v2: 25, pendingV2: 0 } });
    expect(dual.dualWriteAt).toBe(new Date(Date.parse(`${MIGRATION_EPOCH_NIGHT}T00:00:00Z`)).toISOString());

    const after = records(d, rev, 'DW-A', 20, 30);
    const r = await upload(app, d, a, after);
    expect(r.v2).toBe('written');
    expect(r.results.every((x) => x.status === 'stored')).toBe(true);
    expect((await lineStatus(app, d.line)).rows).toEqual({ legacy: 35, v2: 35, pendingV2: 0 });
    const legacyView = await read(app, d, a);
    expect(legacyView.source).toBe('legacy');
    expect(legacyView.sessions).toHaveLength(30);

    const job = await reconcile(app);
    expect(job.lines).toEqual([
      expect.objectContaining({ line: d.line, night: MIGRATION_EPOCH_NIGHT, rowsCompared: 35, buckets: 64, bucketsDiffering: 0, clean: true, cleanNights: 1, divergences: { 'missing-in-v2': 0, 'missing-in-legacy': 0, 'field-differs': 0, 'unmapped-field': 0 } }),
    ]);
    await setGate(app, d.line, 1);
    expect((await setState(app, d.line, 'reads-cut-over')).state).toBe('reads-cut-over');
    const v2View = await read(app, d, a);
    expect(v2View).toEqual({ source: 'v2', sessions: legacyView.sessions });
    // Still dual-writing after cutover.
    expect((await upload(app, d, a, records(d, rev, 'DW-A', 30, 31))).v2).toBe('written');
    expect((await read(app, d, a)).sessions).toHaveLength(31);
  });

  it('a v2 write that fails after the legacy commit answers v2: pending; reconciliation sees exactly those rows missing in v2; legacy-repair converges and the re-run night is clean', async () => {
    const { app } = await fresh();
    const d = dialect('kids-club');
    const rev = d.revisions[0]!;
    const u = userFor(d.line, 7);
    await addUsers(app, [u]);
    await setState(app, d.line, 'dual-write');
    expect((await app.inject({ method: 'PUT', url: '/testbed/legacy/faults', payload: { v2WriteFailurePerMille: 300 } })).json()).toEqual({ v2WriteFailurePerMille: 300 });
    const raws = records(d, rev, 'PF-1', 0, 200);
    const r = await upload(app, d, u, raws);
    const failing = r.results.filter((x) => v2WriteFails(x.rowKey!, 300)).map((x) => x.rowKey!);
    expect(failing.length).toBeGreaterThan(20);
    expect(failing.length).toBeLessThan(120);
    expect(r.v2).toBe('pending');
    expect((await lineStatus(app, d.line)).rows).toEqual({ legacy: 200, v2: 200 - failing.length, pendingV2: failing.length });
    // Nothing is lost: the legacy side serves every record.
    expect((await read(app, d, u)).sessions).toHaveLength(200);

    const dirty = (await reconcile(app)).lines[0]!;
    expect(dirty).toMatchObject({ clean: false, cleanNights: 0, divergences: { 'missing-in-v2': failing.length, 'missing-in-legacy': 0, 'field-differs': 0, 'unmapped-field': 0 } });
    expect((await report(app, d.line, MIGRATION_EPOCH_NIGHT)).rows).toEqual([...failing].sort().map((rowKey) => ({ rowKey, kind: 'missing-in-v2', field: null })));

    expect(await runJob<LegacyRepairJobResult>(app, 'legacy-repair')).toEqual({ repaired: failing.length, pending: 0 });
    expect(await runJob<LegacyRepairJobResult>(app, 'legacy-repair')).toEqual({ repaired: 0, pending: 0 });
    expect((await lineStatus(app, d.line)).rows).toEqual({ legacy: 200, v2: 200, pendingV2: 0 });
    const rerun = (await reconcile(app)).lines[0]!;
    expect(rerun).toMatchObject({ night: MIGRATION_EPOCH_NIGHT, clean: true, cleanNights: 1 });
    const list = await operator<LegacyReconciliationList>(app, 'GET', `/v2/legacy/lines/${d.line}/reconciliations`);
    expect(list.reports.map((x) => [x.night, x.clean])).toEqual([[MIGRATION_EPOCH_NIGHT, true]]);
    // The fault hits a row's first v2 write only: a duplicate re-upload writes nothing and owes nothing.
    expect((await upload(app, d, u, raws.slice(0, 10))).v2).toBe('not-applicable');
  });

  describe.each(DRIFT_KINDS)('drift (%s) deployed to the old API during dual-write', (kind) => {
    it('reconciliation reports exactly the divergences diffRow predicts, by kind and row; the gate resets; the mapping fix re-derives the rows and the next night is clean', async () => {
      const { app } = await fresh();
      const d = dialect('sonic-classic');
      const rev0 = d.revisions[0]!;
      const u = userFor(d.line, 1);
      await addUsers(app, [u]);
      await setState(app, d.line, 'dual-write');
      const old = records(d, rev0, 'DR-1', 0, 30);
      await upload(app, d, u, old);
      expect((await reconcile(app)).lines[0]).toMatchObject({ clean: true, cleanNights: 1 });

      await nextNight(app);
      const rev1 = applyDrift(rev0, driftOf(kind), rev0.appBuild + 10);
      const deployed = await app.inject({ method: 'PUT', url: `/testbed/legacy/lines/${d.line}/revisions`, payload: rev1 });
      expect(deployed.statusCode, deployed.body).toBe(200);
      expect(deployed.json()).toMatchObject({ dialectRevision: 1, mappingRevision: 0 });
      // New builds send the new revision; old builds keep sending the old one.
      const extras: Record<string, number> = kind === 'add-field' ? { pressureAlerts: 3 } : {};
      const fresh1 = records(d, rev1, 'DR-1', 100, 140, extras);
      if (kind === 'new-enum-value') for (const r of fresh1.slice(0, 10)) (r as Record<string, unknown>).mode = 9;
      await upload(app, d, u, fresh1, { build: rev1.appBuild });
      await upload(app, d, u, records(d, rev0, 'DR-1', 200, 210), { build: rev0.appBuild + 5 });

      // What the contract predicts: legacy side read under the deployed revision, v2 side under the mapping (revision 0).
      const expectedRows: Divergence[] = fresh1
        .flatMap((raw) => {
          const key = legacyRowKey(d.line, u.userId, String(raw.id));
          const legacy = interpret(d, revisionFor([rev0, rev1], rev1.appBuild), raw);
          const v2 = interpret(d, revisionFor([rev0], rev1.appBuild), raw);
          return diffRow(key, legacy.session, { session: v2.session, unmapped: v2.unmapped });
        })
        .sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
      expect(expectedRows.length, 'the drift makes rows diverge').toBeGreaterThan(0);
      const night2 = (await reconcile(app)).lines[0]!;
      expect(night2).toMatchObject({ night: '2026-01-02', clean: false, cleanNights: 0 });
      expect(night2.bucketsDiffering).toBeLessThanOrEqual(new Set(expectedRows.map((r) => r.rowKey.slice(0, 2))).size);
      const got = (await report(app, d.line, '2026-01-02')).rows;
      expect(got).toEqual(expectedRows);
      expect((await lineStatus(app, d.line)).cleanNights).toBe(0);

      const fixed = await operator<LegacyMappingResult>(app, 'PUT', `/v2/legacy/lines/${d.line}/mapping`, { revisions: [rev0, rev1] });
      expect(fixed).toEqual({ line: d.line, mappingRevision: 1, mappingChanges: 1, remapped: 30 + 40 + 10 });
      // The same mapping again is not another change.
      expect((await operator<LegacyMappingResult>(app, 'PUT', `/v2/legacy/lines/${d.line}/mapping`, { revisions: [rev0, rev1] })).mappingChanges).toBe(1);
      await nextNight(app);
      expect((await reconcile(app)).lines[0]).toMatchObject({ night: '2026-01-03', clean: true, cleanNights: 1, bucketsDiffering: 0 });
    });
  });

  it('the gate (requiredCleanNights 3) refuses cutover at 1 and 2 clean nights and allows it at 3; a divergence resets the count; a skipped night restarts it', async () => {
    const { app } = await fresh();
    const d = dialect('flosser-one');
    const u = userFor(d.line, 42);
    await addUsers(app, [u]);
    await setState(app, d.line, 'dual-write');
    await setGate(app, d.line, 3);
    await upload(app, d, u, records(d, d.revisions[0]!, 'GT-1', 0, 10));
    const refused = await setState(app, d.line, 'reads-cut-over', 409);
    expect(refused).toMatchObject({ code: 'cutover-gate-closed' });
    expect(refused.detail).toContain('0 of 3 consecutive clean nights, last reconciled never');

    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(1);
    await nextNight(app);
    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(2);
    expect((await setState(app, d.line, 'reads-cut-over', 409)).detail).toContain('2 of 3 consecutive clean nights, last reconciled 2026-01-02');
    // A night with a divergence (a v2 write owed) resets it.
    await app.inject({ method: 'PUT', url: '/testbed/legacy/faults', payload: { v2WriteFailurePerMille: 1000 } });
    await nextNight(app);
    expect((await upload(app, d, u, records(d, d.revisions[0]!, 'GT-1', 10, 11))).v2).toBe('pending');
    expect((await reconcile(app)).lines[0]).toMatchObject({ clean: false, cleanNights: 0 });
    await runJob(app, 'legacy-repair');
    // Re-running the night replaces its report, computed from the night before.
    expect((await reconcile(app)).lines[0]).toMatchObject({ night: '2026-01-03', clean: true, cleanNights: 3 });
    // A skipped night restarts the count.
    await nextNight(app, 2);
    expect((await reconcile(app)).lines[0]).toMatchObject({ night: '2026-01-05', clean: true, cleanNights: 1 });
    await nextNight(app);
    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(2);
    // Enough clean nights but the last reconciliation is stale: still closed.
    await nextNight(app);
    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(3);
    await nextNight(app, 2);
    expect((await setState(app, d.line, 'reads-cut-over', 409)).detail).toMatch(/3 of 3 consecutive clean nights, last reconciled 2026-01-07: the count needs a reconciliation of 2026-01-08 or 2026-01-09/);
    // Reconciling again after the gap starts a new run: 1 of 3, then 2, then 3 opens the gate.
    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(1);
    expect((await setState(app, d.line, 'reads-cut-over', 409)).detail).toContain('1 of 3 consecutive clean nights, last reconciled 2026-01-09');
    await nextNight(app);
    await reconcile(app);
    await setState(app, d.line, 'reads-cut-over', 409);
    await nextNight(app);
    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(3);
    const cut = await setState(app, d.line, 'reads-cut-over');
    expect(cut).toMatchObject({ state: 'reads-cut-over', cleanNights: 3, lastReconciledNight: '2026-01-11' });
  });

  it('the default gate: 29 clean nights are not enough, the 30th opens it (one reconciliation a night on the virtual clock)', async () => {
    const { app } = await fresh();
    const d = dialect('junior-timer');
    const u = userFor(d.line, 1);
    await addUsers(app, [u]);
    await setState(app, d.line, 'dual-write');
    await upload(app, d, u, records(d, d.revisions[0]!, 'D30', 0, 20));
    expect((await lineStatus(app, d.line)).requiredCleanNights).toBe(30);
    for (let night = 1; night <= 29; night++) {
      expect((await reconcile(app)).lines[0]!.cleanNights).toBe(night);
      await setState(app, d.line, 'reads-cut-over', 409);
      await nextNight(app);
    }
    expect((await setState(app, d.line, 'reads-cut-over', 409)).detail).toContain('29 of 30 consecutive clean nights');
    expect((await reconcile(app)).lines[0]!.cleanNights).toBe(30);
    expect((await setState(app, d.line, 'reads-cut-over')).state).toBe('reads-cut-over');
  });

  it('only one step forward; a retired line answers 410 on both v1 routes and keeps its mapping', async () => {
    const { app } = await fresh();
    const d = dialect('eco-brush');
    const u = userFor(d.line, 1);
    await addUsers(app, [u]);
    for (const skip of ['reads-cut-over', 'v2-only', 'legacy-only']) expect((await setState(app, d.line, skip, 409)).code).toBe('migration-state-invalid');
    await setState(app, d.line, 'dual-write');
    expect((await setState(app, d.line, 'dual-write', 409)).code).toBe('migration-state-invalid');
    await upload(app, d, u, records(d, d.revisions[0]!, 'RT-1', 0, 3));
    await setGate(app, d.line, 1);
    await reconcile(app);
    await setState(app, d.line, 'reads-cut-over');
    const retired = await setState(app, d.line, 'v2-only');
    expect(retired).toMatchObject({ state: 'v2-only', rows: { legacy: 3, v2: 3, pendingV2: 0 } });
    expect(retired.retiredAt).not.toBeNull();
    const before = await digest(app);
    for (const res of [await postSessions(app, d, u, records(d, d.revisions[0]!, 'RT-1', 3, 4)), await getSessions(app, d, u)]) {
      expect(res.statusCode).toBe(410);
      expect(res.json().code).toBe('legacy-retired');
      expect(res.headers.deprecation).toBeDefined(); // eco-brush is deprecated
    }
    expect((await setState(app, d.line, 'v2-only', 409)).code).toBe('migration-state-invalid');
    const mapping = await app.inject({ method: 'PUT', url: `/v2/legacy/lines/${d.line}/mapping`, headers: { 'x-factory-credential': 'test-factory-secret-0123456789' }, payload: { revisions: d.revisions } });
    expect(mapping.statusCode).toBe(409);
    expect(await digest(app)).toBe(before);
  });

  it('a mapping is validated (400 naming every problem), and one set before dual-write is the one dual-write uses', async () => {
    const { app } = await fresh();
    const d = dialect('smile-plus');
    const rev0 = d.revisions[0]!;
    const bad = await app.inject({
      method: 'PUT',
      url: `/v2/legacy/lines/${d.line}/mapping`,
      headers: { 'x-factory-credential': 'test-factory-secret-0123456789' },
      payload: { revisions: [{ ...rev0, revision: 1, fields: { ...rev0.fields, recordId: { name: 'other' } } }, { ...rev0, revision: 1 }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/revisions\[0\]\.revision: must be 0/);
    expect(bad.json().detail).toMatch(/revisions\[1\]\.appBuild: must be above/);
    expect(bad.json().detail).toMatch(/recordId\.name: must be uuid/);
    const rev1 = applyDrift(rev0, { kind: 'unit-change', field: 'durationS' }, rev0.appBuild + 1);
    const set = await operator<LegacyMappingResult>(app, 'PUT', `/v2/legacy/lines/${d.line}/mapping`, { revisions: [rev0, rev1] });
    expect(set).toEqual({ line: d.line, mappingRevision: 1, mappingChanges: 0, remapped: 0 });
    expect((await setState(app, d.line, 'dual-write')).mappingRevision).toBe(1);
  });

  it('identity: one e-mail on three e-mail lines is one v2 account; numeric 42 and household 42 are two; every decision is logged', async () => {
    const api1 = await fresh();
    const { app } = api1;
    const email = 'Shared.Person@example.test';
    const users: LegacyUser[] = [
      { line: 'sonic-classic', userId: email, secret: 's1' },
      { line: 'eco-brush', userId: email.toLowerCase(), secret: 's2' },
      { line: 'smile-plus', userId: email, secret: 's3' },
      { line: 'flosser-one', userId: '42', secret: 's4' },
      { line: 'kids-club', userId: '42', secret: 's5' },
    ];
    await addUsers(app, users);
    for (const u of users) {
      const d = dialect(u.line);
      await setState(app, u.line, 'dual-write');
      expect((await upload(app, d, u, records(d, d.revisions[0]!, `ID-${u.line}`, 0, 2))).v2).toBe('written');
    }
    const map = await withClient(api1.db.url, async (c) => (await c.query<{ line: string; account_id: string; decision: string }>('SELECT line, account_id::text AS account_id, decision FROM identity_legacy_map_log ORDER BY log_id')).rows);
    const acc = Object.fromEntries(map.map((m) => [m.line, m.account_id]));
    expect(acc['sonic-classic']).toBe(acc['eco-brush']);
    expect(acc['sonic-classic']).toBe(acc['smile-plus']);
    expect(acc['flosser-one']).not.toBe(acc['kids-club']);
    expect(new Set(Object.values(acc)).size).toBe(3);
    expect(map.map((m) => `${m.line}:${m.decision}`)).toEqual(['sonic-classic:created', 'eco-brush:linked', 'smile-plus:linked', 'flosser-one:created', 'kids-club:created']);
    const accounts = await withClient(api1.db.url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts')).rows[0]!.n);
    expect(accounts).toBe(3);
    // A v2 legacy row carries the account, never the legacy id, and is marked unsigned.
    const rows = await withClient(api1.db.url, async (c) => (await c.query('SELECT DISTINCT provenance FROM legacy_sessions')).rows);
    expect(rows).toEqual([{ provenance: 'legacy-unsigned' }]);
    expect(await withClient(api1.db.url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions')).rows[0]!.n)).toBe(0);
  });

  it('no legacy identifier (e-mail, phone number, household id) shows in any operator answer', async () => {
    const { app } = await fresh();
    const users = DIALECTS.map((d) => ({ line: d.line, userId: userIdFor(d, 4242), secret: `s-${d.line}` }));
    await addUsers(app, users);
    const answers: string[] = [];
    for (const u of users) {
      const d = dialect(u.line);
      await setState(app, u.line, 'dual-write');
      const rev1 = applyDrift(d.revisions[0]!, { kind: 'add-field', key: 'extra', name: 'xx', type: 'string' }, d.revisions[0]!.appBuild + 1);
      await app.inject({ method: 'PUT', url: `/testbed/legacy/lines/${u.line}/revisions`, payload: rev1 });
      await upload(app, d, u, records(d, rev1, `NI-${u.line}`, 0, 3, { extra: 'x' }), { build: rev1.appBuild });
    }
    await reconcile(app);
    answers.push(JSON.stringify(await operator(app, 'GET', '/v2/legacy/lines')));
    for (const u of users) {
      answers.push(JSON.stringify(await operator(app, 'GET', `/v2/legacy/lines/${u.line}`)));
      answers.push(JSON.stringify(await operator(app, 'GET', `/v2/legacy/lines/${u.line}/reconciliations`)));
      const r = await report(app, u.line, MIGRATION_EPOCH_NIGHT);
      expect(r.rows.length).toBeGreaterThan(0);
      answers.push(JSON.stringify(r));
      answers.push(JSON.stringify(await operator(app, 'PUT', `/v2/legacy/lines/${u.line}/mapping`, { revisions: dialect(u.line).revisions })));
    }
    const all = answers.join('\n');
    for (const u of users.filter((x) => dialect(x.line).userIdScheme !== 'serial')) expect(all, u.line).not.toContain(u.userId);
    expect(all).not.toMatch(/@example\.test|\+4915/);
  });
});

