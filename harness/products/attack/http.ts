import { request as undiciRequest } from 'undici';
import { DIALECTS } from '../../../contract/legacy/dialects.ts';
import type { AttackRequest, AttackResponse } from '../../../reports/types.ts';

/** One request and its answer, as sent and received (secrets in clear: redact before reporting). */
export interface Exchange {
  request: { method: string; path: string; headers: Record<string, string>; body?: string };
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON body, when it was JSON. */
  json?: any;
}

/** Secret-bearing headers: OAuth and Basic, the factory credential, cookies, and the legacy lines' API-key headers. */
const SECRET_HEADERS = new Set([
  'authorization', 'x-factory-credential', 'cookie', 'set-cookie',
  ...DIALECTS.flatMap((d) => (d.auth.kind === 'api-key' ? [d.auth.header.toLowerCase()] : [])),
]);
/** Query parameters that carry a legacy line's secret (query-token lines). */
const SECRET_QUERY = new Set(DIALECTS.flatMap((d) => (d.auth.kind === 'query-token' ? [d.auth.tokenParam] : [])));

/** A path with the values of secret query parameters redacted. */
export function redactUrl(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const params = new URLSearchParams(path.slice(q + 1));
  let changed = false;
  for (const k of [...new Set(params.keys())]) {
    if (!SECRET_QUERY.has(k)) continue;
    params.set(k, '[REDACTED]');
    changed = true;
  }
  return changed ? `${path.slice(0, q)}?${params.toString().replace(/%5BREDACTED%5D/g, '[REDACTED]')}` : path;
}

/** Redact a header value: keep the scheme and a short fingerprint so two tokens can be told apart. */
function redactValue(name: string, value: string): string {
  if (name === 'authorization') {
    const m = /^(\S+)\s+(.*)$/.exec(value);
    if (!m) return '[REDACTED]';
    return `${m[1]} [REDACTED ${m[2]!.slice(0, 3)}…${m[2]!.length} chars]`;
  }
  return '[REDACTED]';
}

/** Token-like fields in JSON bodies (OAuth requests and answers). */
const SECRET_FIELDS = /^(access_token|refresh_token|token|password)$/;

function redactBody(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.length > 4000 ? `${text.slice(0, 4000)}… (${text.length} chars)` : text;
  }
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 20) return '…';
    if (Array.isArray(v)) return v.length > 40 ? [...v.slice(0, 40).map((x) => walk(x, depth + 1)), `… ${v.length - 40} more`] : v.map((x) => walk(x, depth + 1));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_FIELDS.test(k) && typeof x === 'string' ? '[REDACTED]' : walk(x, depth + 1)]));
    }
    return v;
  };
  return walk(value, 0);
}

export function redactHeaders(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, SECRET_HEADERS.has(k.toLowerCase()) ? redactValue(k.toLowerCase(), v) : v]));
}

export function redactedRequest(ex: Exchange): AttackRequest {
  const body = redactBody(ex.request.body);
  return { method: ex.request.method, url: redactUrl(ex.request.path), headers: redactHeaders(ex.request.headers), ...(body !== undefined ? { body } : {}) };
}

export function redactedResponse(ex: Exchange): AttackResponse {
  const keep = ['content-type', 'idempotent-replayed', 'www-authenticate', 'retry-after', 'deprecation', 'sunset'];
  const headers = Object.fromEntries(Object.entries(ex.headers).filter(([k]) => keep.includes(k)));
  const body = redactBody(ex.text);
  return { status: ex.status, headers, ...(body !== undefined ? { body } : {}) };
}

/** A minimal HTTP client for forged requests: nothing is retried, nothing is fixed up. */
export class AttackHttp {
  /** Every exchange of the current case, in order (reset by the runner). */
  log: Exchange[] = [];
  constructor(readonly apiUrl: string) {}

  async send(method: string, path: string, opts: { headers?: Record<string, string>; json?: unknown; raw?: string; contentType?: string } = {}): Promise<Exchange> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers['content-type'] ??= opts.contentType ?? 'application/json';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    const res = await undiciRequest(this.apiUrl + path, { method: method as 'GET', headers, body: body ?? null, headersTimeout: 60_000, bodyTimeout: 60_000 });
    const text = await res.body.text();
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) outHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const ex: Exchange = { request: { method, path, headers, ...(body !== undefined ? { body } : {}) }, status: res.statusCode, headers: outHeaders, text, json };
    this.log.push(ex);
    return ex;
  }

  /** The platform's state digest (testbed hook). */
  async digest(): Promise<string> {
    const res = await undiciRequest(this.apiUrl + '/testbed/digest');
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET /testbed/digest answered ${res.statusCode}: ${text.slice(0, 200)} — fleetbed attack needs a platform in test mode`);
    return (JSON.parse(text) as { digest: string }).digest;
  }

  async digestTables(): Promise<Record<string, { rows: number; digest: string }>> {
    const res = await undiciRequest(this.apiUrl + '/testbed/digest');
    return ((await res.body.json()) as { tables: Record<string, { rows: number; digest: string }> }).tables;
  }
}
