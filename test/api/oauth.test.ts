import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import {
  PHONE_CLIENT_ID,
  advanceClock,
  describeEachDatabase,
  json,
  listDevices,
  newSignUp,
  passwordGrant,
  rowCounts,
  signUpAndSignIn,
  tokenRequest,
  type TokenPair,
  withClient,
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

  describe('refresh edge cases', () => {
    it('two concurrent refreshes of the same token: exactly one succeeds; the other is a reuse (invalid_grant) that revokes the family', async () => {
      for (let round = 0; round < 5; round++) {
        const account = await signUpAndSignIn(api.app, 'race');
        const answers = await Promise.all([refresh(api, account.refreshToken), refresh(api, account.refreshToken)]);
        const won = answers.filter((r) => r.statusCode === 200);
        const lost = answers.filter((r) => r.statusCode !== 200);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.statusCode).toBe(400);
        expect(lost[0]!.json()).toMatchObject({ error: 'invalid_grant' });
        // The loser presented a rotated token: reuse detection killed the sign-in, the winner's new pair too.
        const next = json<TokenPair>(won[0]!);
        expect((await listDevices(api.app, next.access_token)).statusCode).toBe(401);
        expect((await listDevices(api.app, account.accessToken)).statusCode).toBe(401);
        expect((await refresh(api, next.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
      }
    });

    it('a refresh with an unknown client is invalid_client and rotates nothing; without client_id it is invalid_request', async () => {
      const account = await signUpAndSignIn(api.app);
      const evil = await tokenRequest(api.app, { grant_type: 'refresh_token', client_id: 'evil-app', refresh_token: account.refreshToken });
      expect(evil.statusCode).toBe(401);
      expect(evil.json()).toMatchObject({ error: 'invalid_client' });
      const missing = await tokenRequest(api.app, { grant_type: 'refresh_token', refresh_token: account.refreshToken });
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toMatchObject({ error: 'invalid_request' });
      const unknown = await refresh(api, 'rt_never-issued');
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({ error: 'invalid_grant' });
      // The token was neither rotated nor revoked by those.
      expect((await refresh(api, account.refreshToken)).statusCode).toBe(200);
    });

    it('an unknown email is invalid_grant, and an unknown client is invalid_client whatever the credentials', async () => {
      const account = await signUpAndSignIn(api.app);
      const nobody = await tokenRequest(api.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: 'nobody@example.test', password: account.password });
      expect(nobody.statusCode).toBe(400);
      expect(nobody.json()).toMatchObject({ error: 'invalid_grant' });
      const both = await tokenRequest(api.app, { grant_type: 'password', client_id: 'evil-app', username: 'nobody@example.test', password: 'whatever123' });
      expect(both.statusCode).toBe(401);
      expect(both.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('refreshed tokens live by the virtual clock from the refresh; a refresh token expires after its TTL (invalid_grant)', async () => {
      const account = await signUpAndSignIn(api.app);
      await advanceClock(api.app, 10 * 60 * 1000);
      const next = json<TokenPair>(await refresh(api, account.refreshToken));
      await advanceClock(api.app, 10 * 60 * 1000);
      expect((await listDevices(api.app, account.accessToken)).statusCode).toBe(401);
      expect((await listDevices(api.app, next.access_token)).statusCode).toBe(200);
      await advanceClock(api.app, 5 * 60 * 1000 + 1);
      expect((await listDevices(api.app, next.access_token)).statusCode).toBe(401);

      await advanceClock(api.app, 30 * 24 * 3600 * 1000);
      const expired = await refresh(api, next.refresh_token);
      expect(expired.statusCode).toBe(400);
      expect(expired.json()).toMatchObject({ error: 'invalid_grant' });
      // An expired token is not a reuse: a fresh sign-in still works and refreshes.
      const again = await passwordGrant(api.app, account.email, account.password);
      expect((await refresh(api, again.refresh_token)).statusCode).toBe(200);
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

  describe('outside test mode (system clock)', () => {
    let plain: TestApi;
    beforeAll(async () => {
      plain = await startTestApi(serverUrl, { testMode: false, otaMonitorIntervalSeconds: 0 });
    });
    afterAll(async () => plain?.close());

    const expiresAt = (table: 'access_tokens' | 'refresh_tokens', token: string) =>
      withClient(plain.db.url, async (c) => {
        const { rows } = await c.query<{ ms: number }>(`SELECT extract(epoch FROM expires_at) * 1000 AS ms FROM ${table} WHERE token_hash = $1`, [createHash('sha256').update(token).digest()]);
        return Number(rows[0]!.ms);
      });

    it('signs in, refreshes with rotation (tokens expire a TTL after the system clock), and a reuse revokes the family', async () => {
      const account = await signUpAndSignIn(plain.app);
      const wrong = await tokenRequest(plain.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: account.email, password: 'wrong password!' });
      expect(wrong.json()).toMatchObject({ error: 'invalid_grant' });
      const before = Date.now();
      const res = await refresh(plain, account.refreshToken);
      const after = Date.now();
      expect(res.statusCode).toBe(200);
      const next = json<TokenPair>(res);
      const at = await expiresAt('access_tokens', next.access_token);
      expect(at).toBeGreaterThanOrEqual(before + 15 * 60 * 1000 - 1);
      expect(at).toBeLessThanOrEqual(after + 15 * 60 * 1000 + 1);
      const rt = await expiresAt('refresh_tokens', next.refresh_token);
      expect(rt).toBeGreaterThanOrEqual(before + 30 * 24 * 3600 * 1000 - 1);
      expect(rt).toBeLessThanOrEqual(after + 30 * 24 * 3600 * 1000 + 1);
      expect((await listDevices(plain.app, next.access_token)).statusCode).toBe(200);

      const replay = await refresh(plain, account.refreshToken);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
      expect((await listDevices(plain.app, next.access_token)).statusCode).toBe(401);
    });
  });
});
