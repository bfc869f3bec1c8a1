import type { TokenResponse } from './app-state.ts';
import { CLIENT_ID, type FleetContext } from './context.ts';
import { FleetRunError } from './errors.ts';
import { expectStatus, runWorkers } from './http.ts';

/** Refresh an access token this long (platform time) before it expires. */
export const REFRESH_MARGIN_MS = 60_000;

/**
 * Every household signs up (one family account, identity from the seeded
 * faker pools) and its first phone signs in with the password grant — that
 * phone pairs the household's devices. Other phones sign in when they first
 * sync (ensureAccess). An email already taken (a re-run against a persistent
 * platform) fails with a clear message: bonding proofs need the account id,
 * which only sign-up returns.
 */
export async function signUpHouseholds(ctx: FleetContext): Promise<void> {
  const { fleet, progress } = ctx;
  progress.start('accounts', fleet.hhTo - fleet.hhFrom);
  let h = fleet.hhFrom;
  await runWorkers(ctx.workers, () => {
    if (h >= fleet.hhTo) return undefined;
    const household = h++;
    return async () => {
      await signUp(ctx, household);
      await signIn(ctx, fleet.hhFirstPhone[household]!);
      progress.add();
    };
  });
  progress.end(`${ctx.stats.signIns.toLocaleString('en-US')} phones signed in`);
}

async function signUp(ctx: FleetContext, h: number): Promise<void> {
  const id = ctx.identities.of(h);
  const r = await ctx.http.json<{ accountId: string; code?: string }>('POST', '/v2/accounts', id);
  if (r.status === 409 && r.body?.code === 'email-taken') {
    throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `household ${h}'s account ${id.email} already exists on this platform: run against a fresh database, or use another --seed.`);
  }
  expectStatus(`sign-up of household ${h}`, r, 201);
  ctx.app.setAccount(h, r.body.accountId);
  ctx.stats.accounts++;
}

/** Phone `p` signs in (password grant): a new token family. */
export async function signIn(ctx: FleetContext, p: number): Promise<void> {
  const id = ctx.identities.of(ctx.fleet.phoneHousehold[p]!);
  const r = await ctx.http.json<TokenResponse>('POST', '/v2/oauth/token', { grant_type: 'password', username: id.email, password: id.password, client_id: CLIENT_ID });
  expectStatus(`sign-in of phone ${p}`, r, 200);
  ctx.app.setTokens(p, r.body, ctx.nowMs);
  ctx.stats.signIns++;
}

/**
 * Phone `p` makes sure it holds an access token valid at the platform's
 * current time: it refreshes (rotating the refresh token) when the token is
 * about to expire on the virtual clock, and signs in again when it has no
 * token or its refresh token is refused.
 */
export async function ensureAccess(ctx: FleetContext, p: number, force = false): Promise<void> {
  const { app } = ctx;
  if (!app.signedIn(p)) return signIn(ctx, p);
  if (!force && app.accessExpiresMs[p]! - REFRESH_MARGIN_MS > ctx.nowMs) return;
  const r = await ctx.http.json<TokenResponse & { error?: string }>('POST', '/v2/oauth/token', { grant_type: 'refresh_token', refresh_token: app.refreshToken(p), client_id: CLIENT_ID });
  if (r.status === 400 && r.body?.error === 'invalid_grant') {
    app.signOut(p);
    return signIn(ctx, p);
  }
  expectStatus(`token refresh of phone ${p}`, r, 200);
  app.setTokens(p, r.body, ctx.nowMs);
  ctx.stats.refreshes++;
}
