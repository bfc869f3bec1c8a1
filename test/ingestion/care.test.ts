import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  bond,
  careProvider,
  countRows,
  describeEachTarget,
  freshDeviceIds,
  provision,
  sessionRecord,
  signedRecord,
  signUp,
  T0,
  uploadBatch,
  withDb,
  type TestAccount,
  type TestDevice,
} from '../support/world.ts';

const iso = (s: number) => new Date(s * 1000).toISOString();
const bearer = (a: TestAccount) => ({ authorization: `Bearer ${a.token}` });

interface AuditRow {
  provider_account_id: string;
  patient_account_id: string;
  purpose: string;
  period_from: Date;
  period_to: Date;
  rows_returned: number;
  occurred_at: Date;
}

describeEachTarget('care providers: consented, audited identity-telemetry join (PRIV-2)', (serverUrl) => {
  let api: TestApi;
  let dentist: TestAccount;
  let patient: TestAccount;
  let device: TestDevice;
  /** Device times of the patient's sessions, seq 1..6: three inside the period asked for, three outside. */
  const startedAt = [T0 - 5 * 86_400, T0 - 3 * 86_400, T0 - 2 * 86_400, T0 - 86_400, T0 - 3_600, T0 - 60];
  const from = T0 - 2.5 * 86_400;
  const to = T0 - 1_800;

  const readSessions = (reader: TestAccount, patientId: string, period = { from, to }) =>
    api.app.inject({ method: 'GET', url: `/v2/care/patients/${patientId}/sessions?from=${encodeURIComponent(iso(period.from))}&to=${encodeURIComponent(iso(period.to))}`, headers: bearer(reader) });
  const consent = (who: TestAccount, providerId: string, method: 'PUT' | 'DELETE' = 'PUT') =>
    api.app.inject({ method, url: `/v2/care/consents/${providerId}`, headers: bearer(who) });
  const auditRows = () => withDb(api.db.url, async (c) => (await c.query<AuditRow>('SELECT provider_account_id, patient_account_id, purpose, period_from, period_to, rows_returned, occurred_at FROM identity_join_audit ORDER BY audit_id')).rows);

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    dentist = await careProvider(api.app, 'molar');
    patient = await signUp(api.app, 'pat-patient');
    [device] = (await provision(api.app, freshDeviceIds(1))) as [TestDevice];
    await bond(api.app, patient, device);
    const res = await uploadBatch(api.app, patient, startedAt.map((s, i) => signedRecord(device, sessionRecord(device.deviceId, i + 1, { startedAt: s }))));
    expect(res.json().counts.stored).toBe(startedAt.length);
    // Another household's sessions, in the same period: never part of this patient's answer.
    const other = await signUp(api.app, 'neighbour');
    const [theirs] = (await provision(api.app, freshDeviceIds(1))) as [TestDevice];
    await bond(api.app, other, theirs!);
    expect((await uploadBatch(api.app, other, [signedRecord(theirs!, sessionRecord(theirs!.deviceId, 1, { startedAt: T0 - 86_400 }))])).json().counts.stored).toBe(1);
  });
  afterAll(async () => api?.close());

  describe('registration', () => {
    it('POST /v2/care-providers needs the factory credential: 401 without it, and no account is written', async () => {
      const before = await countRows(api.db.url, ['accounts', 'identity_accounts']);
      for (const headers of [{}, { 'x-factory-credential': 'wrong-secret-0123456789' }]) {
        const res = await api.app.inject({ method: 'POST', url: '/v2/care-providers', headers, payload: { email: 'dr-nobody@example.test', password: 'correct horse battery staple', displayName: 'Dr. Nobody' } });
        expect(res.statusCode).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect(await countRows(api.db.url, ['accounts', 'identity_accounts'])).toEqual(before);
    });

    it('a registered provider is an account of kind care-provider, its identity in identity_accounts', async () => {
      const kind = await withDb(api.db.url, async (c) => (await c.query<{ kind: string }>('SELECT kind FROM accounts WHERE account_id = $1', [dentist.accountId])).rows[0]?.kind);
      expect(kind).toBe('care-provider');
    });
  });

  describe('reading a patient', () => {
    it('without consent: 403 consent-required, and no audit row', async () => {
      const before = await auditRows();
      const res = await readSessions(dentist, patient.accountId);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'consent-required', field: 'patientAccountId' });
      expect(res.body).not.toContain('pat-patient');
      expect(await auditRows()).toEqual(before);
    });

    it("with consent: the patient's sessions in the period and display name, and exactly one audit row naming provider, patient, period and rows returned", async () => {
      const granted = await consent(patient, dentist.accountId);
      expect(granted.statusCode).toBe(200);
      expect(granted.json()).toMatchObject({ patientAccountId: patient.accountId, providerAccountId: dentist.accountId });
      const before = await auditRows();

      const res = await readSessions(dentist, patient.accountId);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.patient).toEqual({ accountId: patient.accountId, displayName: 'pat-patient' });
      expect(body.from).toBe(iso(from));
      expect(body.to).toBe(iso(to));
      const inPeriod = startedAt.map((s, i) => ({ s, seq: i + 1 })).filter(({ s }) => s >= from && s < to);
      expect(inPeriod.map((x) => x.seq)).toEqual([3, 4, 5]);
      expect(body.sessions.map((s: { deviceId: number; seq: number; startedAt: string }) => [s.deviceId, s.seq, s.startedAt])).toEqual(inPeriod.map(({ s, seq }) => [device.deviceId, seq, iso(s)]));

      const after = await auditRows();
      expect(after).toHaveLength(before.length + 1);
      const row = after[after.length - 1]!;
      expect(row).toMatchObject({ provider_account_id: dentist.accountId, patient_account_id: patient.accountId, purpose: 'care-provider-sessions', rows_returned: 3 });
      expect(row.period_from.toISOString()).toBe(iso(from));
      expect(row.period_to.toISOString()).toBe(iso(to));
      const clock = (await api.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs;
      expect(row.occurred_at.getTime()).toBe(clock);
    });

    it('every call writes its own audit row, also when the period holds no session', async () => {
      const before = await auditRows();
      const empty = await readSessions(dentist, patient.accountId, { from: T0 - 100 * 86_400, to: T0 - 90 * 86_400 });
      expect(empty.statusCode).toBe(200);
      expect(empty.json().sessions).toEqual([]);
      const after = await auditRows();
      expect(after).toHaveLength(before.length + 1);
      expect(after[after.length - 1]).toMatchObject({ provider_account_id: dentist.accountId, patient_account_id: patient.accountId, rows_returned: 0 });
    });

    it('a consumer token on the care route is 403 forbidden, and no audit row (even reading itself)', async () => {
      const before = await auditRows();
      for (const target of [patient.accountId, dentist.accountId]) {
        const res = await readSessions(patient, target);
        expect(res.statusCode).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'forbidden' });
      }
      expect(await auditRows()).toEqual(before);
    });

    it('no token is 401, and no audit row', async () => {
      const before = await auditRows();
      const res = await api.app.inject({ method: 'GET', url: `/v2/care/patients/${patient.accountId}/sessions?from=${iso(from)}&to=${iso(to)}` });
      expect(res.statusCode).toBe(401);
      expect(await auditRows()).toEqual(before);
    });

    it('another provider, without consent of its own, is 403 consent-required', async () => {
      const other = await careProvider(api.app, 'incisor');
      const before = await auditRows();
      const res = await readSessions(other, patient.accountId);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('consent-required');
      expect(await auditRows()).toEqual(before);
    });

    it('a bad period (to before from, or over 366 days) is 400, and no audit row', async () => {
      const before = await auditRows();
      for (const period of [{ from: to, to: from }, { from: T0 - 400 * 86_400, to: T0 }]) {
        const res = await readSessions(dentist, patient.accountId, period);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'validation-failed' });
      }
      expect(await auditRows()).toEqual(before);
    });

    it('after the patient revokes consent: 403 consent-required, and no audit row', async () => {
      const revoked = await consent(patient, dentist.accountId, 'DELETE');
      expect(revoked.statusCode).toBe(204);
      const before = await auditRows();
      const res = await readSessions(dentist, patient.accountId);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('consent-required');
      expect(await auditRows()).toEqual(before);
      // Revoking again has nothing to revoke.
      expect((await consent(patient, dentist.accountId, 'DELETE')).statusCode).toBe(404);
    });

    it('consent can only be granted to a care provider', async () => {
      const friend = await signUp(api.app, 'friend');
      const res = await consent(patient, friend.accountId);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('not-found');
    });
  });

  describe('PRIV-1: telemetry tables hold no direct identifiers', () => {
    /** Direct identifiers, matched as a whole snake_case word of the column name. */
    const IDENTIFIER = /(^|_)(e?mail|display_name|name|phone|address|password)(_|$)/;
    /** Matches that are not about a person; each needs a reason. */
    const NOT_PERSONAL: Record<string, string> = {
      'oauth_clients.name': 'the name of an OAuth client application, not of a person',
      'schema_migrations.name': 'the file name of an applied migration',
    };

    it('no column of a table outside identity_* is a direct identifier (information_schema)', async () => {
      const columns = await withDb(api.db.url, async (c) =>
        (await c.query<{ table_name: string; column_name: string }>(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`)).rows,
      );
      const tables = new Set(columns.map((c) => c.table_name));
      for (const t of ['sessions', 'events', 'consumables', 'devices', 'accounts', 'idempotency_keys']) expect(tables, t).toContain(t);
      const identifiers = columns.filter((c) => IDENTIFIER.test(c.column_name)).map((c) => `${c.table_name}.${c.column_name}`);
      // The check can see identifiers: they are where they belong.
      expect(identifiers).toEqual(expect.arrayContaining(['identity_accounts.email', 'identity_accounts.display_name']));
      expect(identifiers.filter((c) => !c.startsWith('identity_') && !(c in NOT_PERSONAL))).toEqual([]);
    });

    it('the telemetry rows of a patient carry no copy of their email or display name', async () => {
      const leaks = await withDb(api.db.url, async (c) => {
        const found: string[] = [];
        for (const t of ['sessions', 'events', 'consumables', 'devices', 'accounts', 'idempotency_keys']) {
          const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t} x WHERE x::text ILIKE '%' || $1 || '%' OR x::text ILIKE '%' || $2 || '%'`, [patient.email, 'pat-patient']);
          if (rows[0]!.n > 0) found.push(t);
        }
        return found;
      });
      expect(leaks).toEqual([]);
    });
  });
});
