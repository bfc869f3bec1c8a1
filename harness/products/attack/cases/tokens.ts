import { defineCases } from '../types.ts';
import type { AttackContext } from '../types.ts';

const unauth = { status: 401, codes: ['unauthenticated'] };
/** A state-changing request (a genuine fresh record of A's device) with the given Authorization. */
const uploadWith = ({ http, world: w }: AttackContext, authorization?: string) =>
  http.send('POST', '/v2/uploads', {
    headers: { ...(authorization !== undefined ? { authorization } : {}), 'idempotency-key': w.newKey() },
    json: { records: [w.sign(w.A1, w.freshRecord(w.A1))] },
  });

/** API2:2023 — tokens that must not work. */
export const tokenCases = defineCases([
  { id: 'token-none', title: 'upload without any token', class: 'API2:2023', expected: unauth, run: (ctx) => uploadWith(ctx) },
  { id: 'token-garbage', title: 'upload with a made-up access token', class: 'API2:2023', expected: unauth, run: (ctx) => uploadWith(ctx, 'Bearer at_' + 'x'.repeat(43)) },
  {
    id: 'token-expired',
    title: 'upload with an access token expired on the virtual clock (+16 min)',
    class: 'API2:2023',
    expected: unauth,
    prepare: async ({ world: w }) => {
      const t = await w.signIn(w.A);
      await w.setClockAdvance(16 * 60_000);
      await w.refreshTokens();
      return t.token;
    },
    run: (ctx, token: string) => uploadWith(ctx, `Bearer ${token}`),
  },
  {
    id: 'token-revoked',
    title: 'upload with a revoked access token',
    class: 'API2:2023',
    expected: unauth,
    prepare: async ({ world: w, http }) => {
      const t = await w.signIn(w.A);
      await http.send('POST', '/v2/oauth/revoke', { json: { token: t.token } });
      return t.token;
    },
    run: (ctx, token: string) => uploadWith(ctx, `Bearer ${token}`),
  },
  {
    id: 'token-family-revoked',
    title: 'upload with an access token whose refresh family was revoked (refresh token revoked)',
    class: 'API2:2023',
    expected: unauth,
    prepare: async ({ world: w, http }) => {
      const t = await w.signIn(w.A);
      await http.send('POST', '/v2/oauth/revoke', { json: { token: t.refreshToken } });
      return t.token;
    },
    run: (ctx, token: string) => uploadWith(ctx, `Bearer ${token}`),
  },
  { id: 'token-refresh-as-access', title: 'a refresh token used as an access token', class: 'API2:2023', expected: unauth, run: (ctx) => uploadWith(ctx, `Bearer ${ctx.world.A.refreshToken}`) },
  {
    id: 'token-basic-credentials',
    title: "A's email and password as HTTP Basic instead of a token",
    class: 'API2:2023',
    expected: unauth,
    run: (ctx) => uploadWith(ctx, 'Basic ' + Buffer.from(`${ctx.world.A.email}:${ctx.world.A.password}`).toString('base64')),
  },
  {
    id: 'token-other-account',
    title: "B's valid token reading A's device",
    class: 'API2:2023',
    expected: { status: 404, codes: ['not-found'] },
    run: ({ http, world: w }) => http.send('GET', `/v2/devices/${w.A1.deviceId}`, { headers: w.phone(w.B) }),
  },
  {
    id: 'token-rotated-refresh-reuse',
    title: 'reuse a refresh token that was already rotated (a stolen copy)',
    class: 'API2:2023',
    expected: { status: 400, codes: ['invalid_grant'] },
    prepare: async ({ world: w, http }) => {
      const t = await w.signIn(w.A);
      await http.send('POST', '/v2/oauth/token', { json: { grant_type: 'refresh_token', client_id: 'fleetbed-phone', refresh_token: t.refreshToken } });
      return t.refreshToken;
    },
    run: ({ http }, rt: string) => http.send('POST', '/v2/oauth/token', { json: { grant_type: 'refresh_token', client_id: 'fleetbed-phone', refresh_token: rt } }),
  },
  {
    id: 'token-wrong-password',
    title: 'password grant for A with a wrong password',
    class: 'API2:2023',
    expected: { status: 400, codes: ['invalid_grant'] },
    run: ({ http, world: w }) => http.send('POST', '/v2/oauth/token', { json: { grant_type: 'password', client_id: 'fleetbed-phone', username: w.A.email, password: 'wrong password 123' } }),
  },
]);
