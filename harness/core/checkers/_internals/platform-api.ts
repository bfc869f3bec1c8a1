import { Identities } from '../../../../simulators/identities.ts';
import type { CheckContext } from '../types.ts';
import type { ServedSession } from './content-digest.ts';

/** The OAuth client the phone app (and so the checker, signing in as a household) uses. */
export const PHONE_CLIENT_ID = 'fleetbed-phone';

export interface ApiAnswer<T = unknown> {
  status: number;
  text: string;
  body: T | undefined;
}

/** A session as the owner's listing serves it (the fields ING-1's content digest is computed from). */
export type SessionView = ServedSession;

/**
 * What checkers may do through the platform's API: sign in as a household
 * (password grant, the household's seeded identity) and GET. Tokens and
 * session listings are cached per check context, so several checkers share
 * one sign-in per household and one listing per device.
 */
export class PlatformApi {
  readonly #apiUrl: string;
  readonly #identities: Identities;
  readonly #tokens = new Map<string, Promise<string>>();
  readonly #listings = new Map<number, Promise<ApiAnswer<SessionView[]>>>();

  constructor(apiUrl: string, seed: number) {
    this.#apiUrl = apiUrl.replace(/\/+$/, '');
    this.#identities = new Identities(seed);
  }

  identity(h: number) {
    return this.#identities.of(h);
  }

  /** An access token of household `h`'s account. */
  householdToken(h: number): Promise<string> {
    const id = this.#identities.of(h);
    return this.token(id.email, id.password);
  }

  /** An access token for any account by email and password (password grant). */
  token(email: string, password: string): Promise<string> {
    let t = this.#tokens.get(email);
    if (!t) {
      t = (async () => {
        const r = await this.request<{ access_token?: string }>('POST', '/v2/oauth/token', { grant_type: 'password', username: email, password, client_id: PHONE_CLIENT_ID });
        if (r.status !== 200 || !r.body?.access_token) throw new Error(`signing in as ${email} (password grant) answered ${r.status}: ${r.text.slice(0, 200)}`);
        return r.body.access_token;
      })();
      t.catch(() => this.#tokens.delete(email));
      this.#tokens.set(email, t);
    }
    return t;
  }

  get<T>(path: string, token: string): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path, undefined, { authorization: `Bearer ${token}` });
  }

  /**
   * Every session of device `deviceId` as its owner (household `h`) lists them:
   * all pages of GET /v2/devices/{id}/sessions. A non-200 page ends the walk and
   * is returned as the answer's status.
   */
  listSessions(deviceId: number, h: number): Promise<ApiAnswer<SessionView[]>> {
    let l = this.#listings.get(deviceId);
    if (!l) {
      l = (async () => {
        const token = await this.householdToken(h);
        const all: SessionView[] = [];
        let cursor: string | null = null;
        for (;;) {
          const path: string = `/v2/devices/${deviceId}/sessions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const r = await this.get<{ sessions: SessionView[]; nextCursor: string | null }>(path, token);
          if (r.status !== 200 || !r.body) return { status: r.status, text: r.text, body: undefined };
          all.push(...r.body.sessions);
          cursor = r.body.nextCursor;
          if (!cursor) return { status: 200, text: '', body: all };
        }
      })();
      this.#listings.set(deviceId, l);
    }
    return l;
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const res = await fetch(`${this.#apiUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: T | undefined;
    try {
      parsed = text ? (JSON.parse(text) as T) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, text, body: parsed };
  }
}

const apis = new WeakMap<CheckContext, PlatformApi>();

/** The context's shared API client. */
export function platformApi(ctx: CheckContext): PlatformApi {
  let api = apis.get(ctx);
  if (!api) apis.set(ctx, (api = new PlatformApi(ctx.env.apiUrl, ctx.fleet.fleet.seed)));
  return api;
}

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
