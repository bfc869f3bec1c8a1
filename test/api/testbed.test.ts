import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachDatabase, json, newSignUp, passwordGrant, signUpAndSignIn } from '../support/fixtures.ts';

interface ClockBody {
  epochMs: number;
  iso: string;
}

const MIGRATION_EPOCH_MS = Date.UTC(2026, 0, 1); // testbed_clock's seed in migration 001

describeEachDatabase('testbed hooks', (serverUrl) => {
  describe('in test mode', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi(serverUrl);
    });
    afterAll(async () => api?.close());

    const getClock = async () => json<ClockBody>(await api.app.inject({ method: 'GET', url: '/testbed/clock' }));
    const putClock = (payload: object) => api.app.inject({ method: 'PUT', url: '/testbed/clock', payload });
    const digest = async () => json<{ digest: string; tables: Record<string, { rows: number; digest: string }> }>(await api.app.inject({ method: 'GET', url: '/testbed/digest' }));

    describe('virtual clock', () => {
      it('starts at the migration epoch and does not move by itself', async () => {
        const clock = await getClock();
        expect(clock).toEqual({ epochMs: MIGRATION_EPOCH_MS, iso: '2026-01-01T00:00:00.000Z', timeRules: { lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 } });
        expect(await getClock()).toEqual(clock);
      });

      it('advances by advanceMs', async () => {
        const { epochMs } = await getClock();
        const res = await putClock({ advanceMs: 90_000 });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ epochMs: epochMs + 90_000, iso: new Date(epochMs + 90_000).toISOString(), timeRules: { lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 } });
        expect(await getClock()).toEqual(res.json());
      });

      it('is set to epochMs (forward, or to the same instant)', async () => {
        const { epochMs } = await getClock();
        const target = epochMs + 30 * 24 * 3600 * 1000;
        const res = await putClock({ epochMs: target });
        expect(res.statusCode).toBe(200);
        expect(res.json().epochMs).toBe(target);
        expect((await putClock({ epochMs: target })).statusCode).toBe(200);
        expect((await getClock()).epochMs).toBe(target);
      });

      it('refuses to go backwards (409 clock-backwards) and stays where it was', async () => {
        const before = await getClock();
        const res = await putClock({ epochMs: before.epochMs - 1 });
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ code: 'clock-backwards', field: 'epochMs' });
        expect(await getClock()).toEqual(before);
      });

      it.each([
        ['an empty body', {}],
        ['both fields', { epochMs: 1, advanceMs: 1 }],
        ['a negative advance', { advanceMs: -1 }],
      ])('refuses %s (400)', async (_what, payload) => {
        const res = await putClock(payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('validation-failed');
      });
    });

    describe('state digest', () => {
      it('is stable while nothing is written, even across reads, token requests and clock moves', async () => {
        const account = await signUpAndSignIn(api.app);
        const before = await digest();
        expect(before.digest).toMatch(/^[0-9a-f]{64}$/);
        expect(Object.keys(before.tables)).toEqual(expect.arrayContaining(['accounts', 'identity_accounts', 'devices', 'events']));
        await passwordGrant(api.app, account.email, account.password);
        await api.app.inject({ method: 'GET', url: '/v2/devices', headers: { authorization: `Bearer ${account.accessToken}` } });
        await putClock({ advanceMs: 1 });
        expect(await digest()).toEqual(before);
      });

      it('changes after a write, and a refused write leaves it unchanged', async () => {
        const before = await digest();
        const signUp = newSignUp();
        expect((await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: signUp })).statusCode).toBe(201);
        const after = await digest();
        expect(after.digest).not.toBe(before.digest);
        expect(after.tables.accounts!.rows).toBe(before.tables.accounts!.rows + 1);

        expect((await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: signUp })).statusCode).toBe(409);
        expect(await digest()).toEqual(after);
      });
    });
  });

  describe('outside test mode', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi(serverUrl, { testMode: false });
    });
    afterAll(async () => api?.close());

    it.each([
      ['GET', '/testbed/clock'],
      ['PUT', '/testbed/clock'],
      ['GET', '/testbed/digest'],
    ] as const)('%s %s is 404 route-not-found', async (method, url) => {
      const res = await api.app.inject({ method, url, ...(method === 'PUT' ? { payload: { advanceMs: 1 } } : {}) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'route-not-found' });
    });

    it('the rest of the API is served as usual', async () => {
      expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await signUpAndSignIn(api.app)).accessToken).toMatch(/^at_/);
    });
  });
});
