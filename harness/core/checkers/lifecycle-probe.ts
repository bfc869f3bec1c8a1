import type { FleetRunResult } from '../fleet/run-fleet.ts';
import type { LifecycleObservation, RunHistory } from '../history.ts';
import { PHONE_CLIENT_ID, PlatformApi } from './_internals/platform-api.ts';

/** Households whose sign-ins the token probe takes apart: the first, the middle and the last of the fleet (or of the shard's slice). */
export const TOKEN_PROBE_HOUSEHOLDS = 3;

interface Pair {
  access: string;
  refresh: string;
}

/**
 * A scenario ACTION, not a checker (it writes state: sign-ins and their
 * revocation): the token lifecycle as phones live it, observed by its effect.
 * For a few households, two phones sign in (two token families, password
 * grant); the first refreshes once (its refresh token rotates), then a copy of
 * the rotated refresh token is replayed — the platform must refuse it and, as
 * RFC 9700 §4.14 asks, revoke the whole family. Then every token of that family
 * is tried as its holder would: the first and the rotated access token on
 * GET /v2/devices (must be 401), the current refresh token (must be refused);
 * and the other phone's family must be untouched (its access token 200, its
 * refresh 200). Each request is booked in `history.lifecycle` with the
 * statuses it must get; AUTH-5 judges them. Deterministic for a fleet.
 */
export async function runTokenLifecycleProbe(options: { env: { apiUrl: string }; fleet: Pick<FleetRunResult, 'fleet'>; history: RunHistory }): Promise<void> {
  const fleet = options.fleet.fleet;
  const api = new PlatformApi(options.env.apiUrl, fleet.seed);
  const count = fleet.hhTo - fleet.hhFrom;
  const households = [...new Set([fleet.hhFrom, fleet.hhFrom + Math.floor(count / 2), fleet.hhTo - 1])].filter((h) => h >= fleet.hhFrom && h < fleet.hhTo).slice(0, TOKEN_PROBE_HOUSEHOLDS);
  const book = (h: number, step: string, expected: number[], status: number) => options.history.lifecycle.push({ rule: 'token-family', subject: `household ${h}`, step, expected, status });
  for (const h of households) {
    const id = api.identity(h);
    const signIn = async (): Promise<Pair> => {
      const r = await api.request<{ access_token?: string; refresh_token?: string }>('POST', '/v2/oauth/token', { grant_type: 'password', username: id.email, password: id.password, client_id: PHONE_CLIENT_ID });
      if (r.status !== 200 || !r.body?.access_token || !r.body.refresh_token) throw new Error(`token probe: household ${h} signing in answered ${r.status}: ${r.text.slice(0, 200)}`);
      return { access: r.body.access_token, refresh: r.body.refresh_token };
    };
    const refresh = (token: string) => api.request<{ access_token?: string; refresh_token?: string }>('POST', '/v2/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: PHONE_CLIENT_ID });
    const devices = (token: string) => api.get('/v2/devices', token);
    const phone = await signIn();
    const otherPhone = await signIn();
    const rotated = await refresh(phone.refresh);
    book(h, 'the first refresh of a fresh sign-in rotates it', [200], rotated.status);
    if (rotated.status !== 200 || !rotated.body?.access_token || !rotated.body.refresh_token) continue;
    const next: Pair = { access: rotated.body.access_token, refresh: rotated.body.refresh_token };
    book(h, 'a replayed (already rotated) refresh token is refused', [400, 401], (await refresh(phone.refresh)).status);
    book(h, 'after the replay: the family’s first access token is dead', [401], (await devices(phone.access)).status);
    book(h, 'after the replay: the family’s rotated access token is dead', [401], (await devices(next.access)).status);
    book(h, 'after the replay: the family’s current refresh token is refused', [400, 401], (await refresh(next.refresh)).status);
    book(h, 'another phone’s family still reads the devices', [200], (await devices(otherPhone.access)).status);
    book(h, 'another phone’s family still refreshes', [200], (await refresh(otherPhone.refresh)).status);
  }
}
