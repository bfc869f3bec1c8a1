/**
 * The k6 script `fleetbed k6 export` writes (script.ts). TypeScript typed with @types/k6,
 * run by k6 ≥ 0.57 natively. Static: everything plan-specific is read from
 * fleetbed-k6.json (the manifest) at init, so the script is the same for every plan and
 * test/k6/export.test.ts type-checks exactly what is shipped.
 */
export const K6_SCRIPT = String.raw`// Written by fleetbed k6 export. Run: k6 run -e FLEETBED_TARGET_URL=https://platform.test script.ts
// Phases: FLEETBED_PHASE=prelude (the fleet's life before the event, if the manifest has one), then load.
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Counter, Trend } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';

interface Upload {
  /** Idempotency-Key */
  k: string;
  /** JSON body: { records: [base64url of device-signed records] } */
  b: string;
  /** 1: the phone times out after the commit and sends the same key and body again. */
  r?: 1;
}
interface Row {
  /** phone index */
  p: number;
  /** 1: the app was reinstalled before this sync (signs in afresh) */
  n?: 1;
  u: Upload[];
}
interface DataFile {
  name: string;
  first: number;
  count: number;
}
interface Manifest {
  clientId: string;
  phases: { prelude: { rows: number; files: DataFile[] }; load: { rows: number; files: DataFile[] } };
  credentials: DataFile[];
  k6: { scenarios: { prelude: Scenario; load: Scenario }; thresholds: Record<string, string[]> };
}

// FLEETBED_DATA_DIR: where fleetbed-k6.json and the data files are (the export directory by default; /data/ in the TestRun).
const DATA = __ENV.FLEETBED_DATA_DIR ?? './';
const manifest = JSON.parse(open(DATA + 'fleetbed-k6.json')) as Manifest;
const PHASE: 'prelude' | 'load' = __ENV.FLEETBED_PHASE === 'prelude' ? 'prelude' : 'load';
const BASE = (__ENV.FLEETBED_TARGET_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const phase = manifest.phases[PHASE];

// Every instance loads every file of the phase (k6-operator does not split files); rows are picked by
// exec.scenario.iterationInTest, unique across instances, so any parallelism sends each row once.
const files = phase.files.map((f) => ({ first: f.first, count: f.count, rows: new SharedArray<Row>(f.name, () => JSON.parse(open(DATA + f.name)) as Row[]) }));
const creds = manifest.credentials.map((f) => ({ first: f.first, count: f.count, rows: new SharedArray<[string, string]>(f.name, () => JSON.parse(open(DATA + f.name)) as Array<[string, string]>) }));

export const options: Options = {
  scenarios: { [PHASE]: manifest.k6.scenarios[PHASE] },
  thresholds: PHASE === 'load' ? manifest.k6.thresholds : {},
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'p(99.9)', 'max'],
};

http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 401, 422));

const uploadDuration = new Trend('upload_duration', true);
const tokenDuration = new Trend('token_duration', true);
const syncDuration = new Trend('sync_duration', true);
const recordsStored = new Counter('records_stored');

interface Tokens {
  access: string;
  refresh: string;
  /** k6 wall time (ms) after which the access token is refreshed */
  refreshAt: number;
}
/** Per VU: the tokens of each phone this VU has synced, as the phone's app would keep them. */
const tokens = new Map<number, Tokens>();

function pick<T>(list: Array<{ first: number; count: number; rows: T[] }>, i: number): T | undefined {
  for (const f of list) if (i >= f.first && i < f.first + f.count) return f.rows[i - f.first];
  return undefined;
}

function token(body: Record<string, string>, phone: number): Tokens | undefined {
  const r = http.post(BASE + '/v2/oauth/token', JSON.stringify({ ...body, client_id: manifest.clientId }), { headers: { 'content-type': 'application/json' }, tags: { route: 'POST /v2/oauth/token', grant: body.grant_type ?? '' } });
  tokenDuration.add(r.timings.duration);
  if (r.status !== 200) return undefined;
  const t = r.json() as { access_token: string; refresh_token: string; expires_in: number };
  const got = { access: t.access_token, refresh: t.refresh_token, refreshAt: Date.now() + Math.max(0, t.expires_in - 60) * 1000 };
  tokens.set(phone, got);
  return got;
}

function signIn(phone: number): Tokens | undefined {
  const c = pick(creds, phone);
  if (!c) throw new Error('no credentials for phone ' + phone);
  return token({ grant_type: 'password', username: c[0], password: c[1] }, phone);
}

function access(phone: number, force: boolean): Tokens | undefined {
  const t = tokens.get(phone);
  if (!t) return signIn(phone);
  if (!force && Date.now() < t.refreshAt) return t;
  return token({ grant_type: 'refresh_token', refresh_token: t.refresh }, phone) ?? signIn(phone);
}

function send(phone: number, u: Upload): boolean {
  for (let attempt = 0, auth = 0; attempt < 6; attempt++) {
    const t = access(phone, auth > 0);
    if (!t) continue;
    const r = http.post(BASE + '/v2/uploads', u.b, {
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + t.access, 'idempotency-key': u.k },
      tags: { route: 'POST /v2/uploads' },
    });
    uploadDuration.add(r.timings.duration);
    if (r.status === 401 && auth++ < 2) {
      attempt--;
      continue;
    }
    if (r.status === 200 || r.status === 422) {
      const body = r.json() as { counts?: { stored?: number } };
      recordsStored.add(body.counts?.stored ?? 0);
      check(r, { 'upload answered with per-record verdicts': () => body.counts !== undefined });
      return true;
    }
  }
  check(null, { 'upload answered with per-record verdicts': () => false });
  return false;
}

export default function (): void {
  const i = exec.scenario.iterationInTest;
  if (i >= phase.rows) return; // the arrival-rate tail past the last row: nothing to send
  const row = pick(files, i);
  if (!row) throw new Error('row ' + i + ' is in no data file');
  const started = Date.now();
  if (row.n) tokens.delete(row.p);
  for (const u of row.u) {
    send(row.p, u);
    if (u.r) send(row.p, u); // the same key and body again: the platform replays its answer
  }
  if (row.u.length > 0) syncDuration.add(Date.now() - started);
}
`;
