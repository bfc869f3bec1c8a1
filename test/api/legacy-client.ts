import type { FastifyInstance } from 'fastify';
import { encodeBody, write, type Dialect, type DialectRevision, type LegacyMode, type LegacySessionTruth, type RawRecord } from '../../contract/legacy/dialect.ts';
import { dialectOf } from '../../contract/legacy/dialects.ts';
import type { LegacyLineStatus, LegacyReadResult, LegacyReconcileJobResult, LegacyUploadResult } from '../../contract/legacy/wire.ts';
import { FACTORY_HEADERS } from '../support/fixtures.ts';

type Inject = Awaited<ReturnType<FastifyInstance['inject']>>;

/** A user of the old system on one line. */
export interface LegacyUser {
  line: string;
  userId: string;
  secret: string;
}

export const dialect = (line: string): Dialect => {
  const d = dialectOf(line);
  if (!d) throw new Error(`no dialect ${line}`);
  return d;
};

/** A user id in the line's scheme, from a number. */
export function userIdFor(d: Dialect, n: number): string {
  switch (d.userIdScheme) {
    case 'email':
      return `user${n}@example.test`;
    case 'numeric':
    case 'household':
      return String(n);
    case 'phone':
      return `+4915${String(n).padStart(8, '0')}`;
    case 'serial':
      return `TM-${String(n).padStart(6, '0')}`;
  }
}

export async function addUsers(app: FastifyInstance, users: LegacyUser[]): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/testbed/legacy/users', payload: { users } });
  if (res.statusCode !== 204) throw new Error(`POST /testbed/legacy/users answered ${res.statusCode}: ${res.body}`);
}

/** The headers and query a user's requests carry on their line. */
export function credentials(d: Dialect, u: Pick<LegacyUser, 'userId' | 'secret'>): { headers: Record<string, string>; query: Record<string, string> } {
  switch (d.auth.kind) {
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(`${u.userId}:${u.secret}`).toString('base64')}` }, query: {} };
    case 'api-key':
      return { headers: { [d.auth.header]: u.secret }, query: { [d.auth.userParam]: u.userId } };
    case 'query-token':
      return { headers: {}, query: { [d.auth.tokenParam]: u.secret, [d.auth.userParam]: u.userId } };
  }
}

const withQuery = (path: string, query: Record<string, string>) => (Object.keys(query).length ? `${path}?${new URLSearchParams(query)}` : path);

export interface UploadOptions {
  build?: number;
  userAgent?: string | null;
  /** Overrides (null: leave the credential out). */
  credentials?: { headers: Record<string, string>; query: Record<string, string> } | null;
  contentType?: string;
  body?: string;
}

/** POST <basePath>/sessions as the old app does. */
export function postSessions(app: FastifyInstance, d: Dialect, u: LegacyUser, records: readonly RawRecord[], o: UploadOptions = {}): Promise<Inject> {
  const creds = o.credentials === null ? { headers: {}, query: {} } : (o.credentials ?? credentials(d, u));
  const { contentType, body } = encodeBody(d, records);
  const headers: Record<string, string> = { ...creds.headers, 'content-type': o.contentType ?? contentType };
  if (o.userAgent !== null) headers['user-agent'] = o.userAgent ?? `${d.appName}/${o.build ?? d.revisions[0]!.appBuild}`;
  return app.inject({ method: 'POST', url: withQuery(`${d.basePath}/sessions`, creds.query), headers, payload: o.body ?? body });
}

export async function upload(app: FastifyInstance, d: Dialect, u: LegacyUser, records: readonly RawRecord[], o: UploadOptions = {}): Promise<LegacyUploadResult> {
  const res = await postSessions(app, d, u, records, o);
  if (res.statusCode !== 200) throw new Error(`upload to ${d.line} answered ${res.statusCode}: ${res.body}`);
  return res.json() as LegacyUploadResult;
}

export function getSessions(app: FastifyInstance, d: Dialect, u: LegacyUser, since?: number, creds = credentials(d, u)): Promise<Inject> {
  const query = { ...creds.query, ...(since === undefined ? {} : { since: String(since) }) };
  return app.inject({ method: 'GET', url: withQuery(`${d.basePath}/sessions`, query), headers: creds.headers });
}

export async function read(app: FastifyInstance, d: Dialect, u: LegacyUser, since?: number): Promise<LegacyReadResult> {
  const res = await getSessions(app, d, u, since);
  if (res.statusCode !== 200) throw new Error(`read of ${d.line} answered ${res.statusCode}: ${res.body}`);
  return res.json() as LegacyReadResult;
}

const MODES: LegacyMode[] = ['daily', 'sensitive', 'whiten', 'gum', 'gentle', 'night', 'polish', 'tongue'];

/** Session n of a device, as the world knows it, in a mode the revision can say. */
export function truth(rev: DialectRevision, n: number, serial: string, extras: LegacySessionTruth['extras'] = {}): LegacySessionTruth {
  const modes = MODES.filter((m) => Object.values(rev.fields.mode.values).includes(m));
  return { recordId: `r-${serial}-${n}`, deviceSerial: serial, startedAt: 1_767_000_000 + n * 3600, durationS: 100 + (n % 60), coverage: n % 5 === 0 ? null : 50 + (n % 50), mode: modes[n % modes.length]!, extras };
}

/** Raw records of sessions `from`…`to - 1` of a device, written under `rev`. */
export function records(d: Dialect, rev: DialectRevision, serial: string, from: number, to: number, extras: LegacySessionTruth['extras'] = {}): RawRecord[] {
  const out: RawRecord[] = [];
  for (let n = from; n < to; n++) out.push(write(d, rev, truth(rev, n, serial, extras)));
  return out;
}

// ---------------------------------------------------------------- operator and testbed

export async function operator<T = unknown>(app: FastifyInstance, method: 'GET' | 'PUT', url: string, payload?: object, status = 200): Promise<T> {
  const res = await app.inject({ method, url, headers: FACTORY_HEADERS, ...(payload ? { payload } : {}) });
  if (res.statusCode !== status) throw new Error(`${method} ${url} answered ${res.statusCode} (expected ${status}): ${res.body}`);
  return res.json() as T;
}

export const lineStatus = (app: FastifyInstance, line: string) => operator<LegacyLineStatus>(app, 'GET', `/v2/legacy/lines/${line}`);
export const setState = (app: FastifyInstance, line: string, state: string, status = 200) => operator<LegacyLineStatus & { code?: string; detail?: string }>(app, 'PUT', `/v2/legacy/lines/${line}/state`, { state }, status);
export const setGate = (app: FastifyInstance, line: string, requiredCleanNights: number) => operator<LegacyLineStatus>(app, 'PUT', `/v2/legacy/lines/${line}/gate`, { requiredCleanNights });

export async function runJob<T>(app: FastifyInstance, name: string): Promise<T> {
  const res = await app.inject({ method: 'POST', url: `/testbed/jobs/${name}` });
  if (res.statusCode !== 200) throw new Error(`job ${name} answered ${res.statusCode}: ${res.body}`);
  return (res.json() as { result: T }).result;
}
export const reconcile = (app: FastifyInstance) => runJob<LegacyReconcileJobResult>(app, 'legacy-reconcile');

export async function digest(app: FastifyInstance): Promise<string> {
  return (await app.inject({ method: 'GET', url: '/testbed/digest' })).json().digest as string;
}

export const DAY_MS = 24 * 3600 * 1000;
export async function nextNight(app: FastifyInstance, nights = 1): Promise<void> {
  const res = await app.inject({ method: 'PUT', url: '/testbed/clock', payload: { advanceMs: nights * DAY_MS } });
  if (res.statusCode !== 200) throw new Error(`clock: ${res.body}`);
}
