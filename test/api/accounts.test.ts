import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { advanceClock, describeEachDatabase, newSignUp, passwordGrant, rowCounts, withClient } from '../support/fixtures.ts';

const TABLES = ['accounts', 'identity_accounts', 'events'];

describeEachDatabase('sign-up (POST /v2/accounts)', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  const signUp = (app: TestApi['app'], payload: object) => app.inject({ method: 'POST', url: '/v2/accounts', payload });

  it('writes the account, its identity and account.created, all at the virtual clock', async () => {
    await advanceClock(api.app, 4_321);
    const clockNow = (await api.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs as number;
    const body = newSignUp('acct');
    const before = await rowCounts(api.db.url, TABLES);
    const res = await signUp(api.app, body);
    expect(res.statusCode).toBe(201);
    const { accountId, createdAt } = res.json() as { accountId: string; createdAt: string };
    expect(createdAt).toBe(new Date(clockNow).toISOString());
    expect(await rowCounts(api.db.url, TABLES)).toEqual({ accounts: before.accounts! + 1, identity_accounts: before.identity_accounts! + 1, events: before.events! + 1 });
    const stored = await withClient(api.db.url, async (c) => ({
      account: (await c.query('SELECT kind, created_at FROM accounts WHERE account_id = $1', [accountId])).rows[0],
      identity: (await c.query('SELECT email, display_name FROM identity_accounts WHERE account_id = $1', [accountId])).rows[0],
      events: (await c.query('SELECT kind, device_id, occurred_at, data FROM events WHERE account_id = $1', [accountId])).rows,
    }));
    expect(stored.account).toEqual({ kind: 'consumer', created_at: new Date(clockNow) });
    expect(stored.identity).toEqual({ email: body.email, display_name: body.displayName });
    expect(stored.events).toEqual([{ kind: 'account.created', device_id: null, occurred_at: new Date(clockNow), data: {} }]);
    // The password was hashed and stored: it signs in.
    await passwordGrant(api.app, body.email, body.password);
  });

  it('concurrent sign-ups for one email (any case): exactly one 201, the others 409 email-taken, one account written', async () => {
    for (let round = 0; round < 3; round++) {
      const body = newSignUp('race');
      const before = await rowCounts(api.db.url, TABLES);
      const variants = [body.email, body.email.toUpperCase(), body.email, `${body.email[0]!.toUpperCase()}${body.email.slice(1)}`];
      const answers = await Promise.all(variants.map((email) => signUp(api.app, { ...body, email })));
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
      for (const r of answers.filter((r) => r.statusCode === 409)) {
        const email = variants[answers.indexOf(r)]!;
        expect(r.json()).toMatchObject({ code: 'email-taken', field: 'email', status: 409, detail: `An account for ${email} already exists; sign in instead.` });
      }
      expect(await rowCounts(api.db.url, TABLES)).toEqual({ accounts: before.accounts! + 1, identity_accounts: before.identity_accounts! + 1, events: before.events! + 1 });
    }
  });

  describe('outside test mode (system clock)', () => {
    let plain: TestApi;
    beforeAll(async () => {
      plain = await startTestApi(serverUrl, { testMode: false, otaMonitorIntervalSeconds: 0 });
    });
    afterAll(async () => plain?.close());

    it('stamps the account with the system clock, and a taken email is still 409', async () => {
      const body = newSignUp('plain');
      const before = Date.now();
      const res = await signUp(plain.app, body);
      const after = Date.now();
      expect(res.statusCode).toBe(201);
      const createdAt = Date.parse(res.json().createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(before);
      expect(createdAt).toBeLessThanOrEqual(after);
      const again = await signUp(plain.app, { ...body, email: body.email.toUpperCase() });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'email-taken', field: 'email' });
    });
  });
});
