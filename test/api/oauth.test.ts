import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  PHONE_CLIENT_ID,
  advanceClock,
  describeEachDatabase,
  json,
  listDevices,
  newSignUp,
  rowCounts,
  signUpAndSignIn,
  tokenRequest,
  type TokenPair,
} from '../support/fixtures.ts';

const revoke = (api: TestApi, token: string) =>
  api.app.inject({
    method: 'POST',
    url: '/v2/oauth/revoke',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token, client_id: PHONE_CLIENT_ID }).toString(),
  });

const refresh = (api: TestApi, refreshToken: string) =>
  tokenRequest(api.app, { grant_type: 'refresh_token', client_id: PHONE_CLIENT_ID, refresh_token: refreshToken });

describeEachDatabase('OAuth', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  describe('sign-up', () => {
    it('creates an account (201) without echoing identity fields', async () => {
      const res = await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: newSignUp() });
      expect(res.statusCode).toBe(201);
      expect(Object.keys(res.json()).sort()).toEqual(['accountId', 'createdAt']);
      expect(res.json().accountId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('refuses a second account for the same email, whatever its case (409 email-taken), writing nothing', async () => {
      const first = newSignUp('dup');
      expect((await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: first })).statusCode).toBe(201);
      const before = await rowCounts(api.db.url);
      const res = await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: { ...newSignUp(), email: first.email.toUpperCase() } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'email-taken', field: 'email', status: 409 });
      expect(await rowCounts(api.db.url)).toEqual(before);
    });

    it.each([
      ['a missing email', { password: 'long enough password', displayName: 'A' }, 'email'],
      ['a malformed email', { email: 'not-an-email', password: 'long enough password', displayName: 'A' }, 'email'],
      ['a short password', { email: 'short@example.test', password: 'short', displayName: 'A' }, 'password'],
      ['an empty display name', { email: 'empty@example.test', password: 'long enough password', displayName: '' }, 'displayName'],
    ])('refuses %s with 400 validation-failed naming the field', async (_what, payload, field) => {
      const res = await api.app.inject({ method: 'POST', url: '/v2/accounts', payload });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'validation-failed', field });
    });

    it('refuses a field it does not accept (400 naming it)', async () => {
      const res = await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: { ...newSignUp(), kind: 'care-provider' } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'kind' });
    });
  });

  describe('token endpoint', () => {
    it('password grant issues a bearer access token and a refresh token that works on GET /v2/devices', async () => {
      const signUp = newSignUp();
      await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: signUp });
      const res = await tokenRequest(api.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: signUp.email.toUpperCase(), password: signUp.password });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const tokens = json<TokenPair>(res);
      expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      const devices = await listDevices(api.app, tokens.access_token);
      expect(devices.statusCode).toBe(200);
      expect(devices.json()).toEqual({ devices: [] });
    });

    it('a wrong password is invalid_grant (400)', async () => {
      const account = await signUpAndSignIn(api.app);
      const res = await tokenRequest(api.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: account.email, password: 'wrong password!' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('an unknown client is invalid_client (401)', async () => {
      const account = await signUpAndSignIn(api.app);
      const res = await tokenRequest(api.app, { grant_type: 'password', client_id: 'evil-app', username: account.email, password: account.password });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('a missing grant_type is invalid_request (400)', async () => {
      const res = await tokenRequest(api.app, { client_id: PHONE_CLIENT_ID, username: 'a@example.test', password: 'whatever123' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('an unsupported grant is unsupported_grant_type (400)', async () => {
      const res = await tokenRequest(api.app, { grant_type: 'client_credentials', client_id: PHONE_CLIENT_ID });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'unsupported_grant_type' });
    });
  });

  describe('access tokens', () => {
    it('no token, a malformed header or an unknown token is 401 unauthenticated', async () => {
      for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer at_unknown' }]) {
        const res = await api.app.inject({ method: 'GET', url: '/v2/devices', headers });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 'unauthenticated', field: 'Authorization' });
      }
    });

    it('a refresh token is not an access token (401)', async () => {
      const account = await signUpAndSignIn(api.app);
      const res = await listDevices(api.app, account.refreshToken);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'unauthenticated' });
    });

    it('an access token stops working once the virtual clock passes its expiry (401)', async () => {
      const account = await signUpAndSignIn(api.app);
      expect((await listDevices(api.app, account.accessToken)).statusCode).toBe(200);
      await advanceClock(api.app, 15 * 60 * 1000 + 1);
      const res = await listDevices(api.app, account.accessToken);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'unauthenticated' });
    });
  });

  describe('refresh rotation', () => {
    it('a refresh issues a new working pair and rotates the old refresh token', async () => {
      const account = await signUpAndSignIn(api.app);
      const res = await refresh(api, account.refreshToken);
      expect(res.statusCode).toBe(200);
      const next = json<TokenPair>(res);
      expect(next.access_token).not.toBe(account.accessToken);
      expect(next.refresh_token).not.toBe(account.refreshToken);
      expect((await listDevices(api.app, next.access_token)).statusCode).toBe(200);
      const again = await refresh(api, next.refresh_token);
      expect(again.statusCode).toBe(200);
    });

    it('reusing a rotated refresh token is invalid_grant and revokes the whole family', async () => {
      const account = await signUpAndSignIn(api.app);
      const next = json<TokenPair>(await refresh(api, account.refreshToken));

      const replay = await refresh(api, account.refreshToken);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ error: 'invalid_grant' });

      expect((await listDevices(api.app, next.access_token)).statusCode).toBe(401);
      expect((await listDevices(api.app, account.accessToken)).statusCode).toBe(401);
      const afterReuse = await refresh(api, next.refresh_token);
      expect(afterReuse.statusCode).toBe(400);
      expect(afterReuse.json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('the family revocation touches no other sign-in of the same account', async () => {
      const account = await signUpAndSignIn(api.app);
      const other = json<TokenPair>(
        await tokenRequest(api.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: account.email, password: account.password }),
      );
      await refresh(api, account.refreshToken);
      await refresh(api, account.refreshToken);
      expect((await listDevices(api.app, other.access_token)).statusCode).toBe(200);
      expect((await refresh(api, other.refresh_token)).statusCode).toBe(200);
    });
  });

  describe('revocation (RFC 7009)', () => {
    it('a revoked access token is 401 from then on', async () => {
      const account = await signUpAndSignIn(api.app);
      const res = await revoke(api, account.accessToken);
      expect(res.statusCode).toBe(200);
      expect((await listDevices(api.app, account.accessToken)).statusCode).toBe(401);
    });

    it('revoking a refresh token revokes its family (the access token and later refreshes)', async () => {
      const account = await signUpAndSignIn(api.app);
      expect((await revoke(api, account.refreshToken)).statusCode).toBe(200);
      expect((await listDevices(api.app, account.accessToken)).statusCode).toBe(401);
      const res = await refresh(api, account.refreshToken);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('an unknown token is still 200', async () => {
      expect((await revoke(api, 'at_never-issued')).statusCode).toBe(200);
      expect((await revoke(api, 'something else entirely')).statusCode).toBe(200);
    });
  });
});
