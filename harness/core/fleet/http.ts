import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { FleetRunError } from './errors.ts';

/** A whole response: status, headers and the body as text. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Network failures worth one more try (the request may or may not have reached the server). */
const TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * The driver's HTTP client: one undici Pool of keep-alive connections to the
 * platform. It never queues on its own: callers bound their in-flight requests
 * (see {@link runWorkers}), so there is never an unbounded queue of pending
 * requests, only `workers` of them at a time.
 */
export class FleetHttp {
  /**
   * Optional capture of every request the driver sends (`fleetbed run --capture`):
   * called before the request goes out, with the body as text (a stream body is
   * passed as undefined). Secrets are the callback's to redact.
   */
  static capture: ((request: { method: string; path: string; headers: Record<string, string>; body?: string }) => void) | undefined;
  readonly #pool: Pool;
  /** Requests answered so far. */
  requests = 0;

  constructor(
    readonly apiUrl: string,
    connections: number,
  ) {
    this.#pool = new Pool(apiUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 300_000 });
  }

  /** Send one request and read the whole body. Network errors propagate. */
  async send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, headers: Record<string, string>, body?: string | Readable): Promise<HttpResult> {
    FleetHttp.capture?.({ method, path, headers, ...(typeof body === 'string' ? { body } : {}) });
    const res = await this.#pool.request({ method, path, headers, body: body ?? null });
    const text = await res.body.text();
    this.requests++;
    return { status: res.statusCode, headers: res.headers, text };
  }

  /** POST/PUT a JSON body (or none), parse a JSON answer. */
  async json<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult & { body: T }> {
    const h = body === undefined ? headers : { 'content-type': 'application/json', ...headers };
    // Connection errors (a restarting API, a reset) are retried with backoff. Every JSON call the
    // driver makes survives a retry: sign-in opens a new token family, a retried refresh that had
    // already rotated answers invalid_grant and the phone signs in again.
    const r = await this.sendIdempotent(method, path, h, body === undefined ? undefined : JSON.stringify(body), 9);
    let parsed: unknown;
    try {
      parsed = r.text.length > 0 ? JSON.parse(r.text) : undefined;
    } catch {
      throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `${method} ${path} answered ${r.status} with a body that is not JSON: ${r.text.slice(0, 200)}`);
    }
    return { ...r, body: parsed as T };
  }

  /** Like send(), but retries transient network errors and 502/503/504 up to `attempts` times (for idempotent requests only). */
  async sendIdempotent(method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string>, body: string | undefined, attempts = 9): Promise<HttpResult> {
    for (let i = 1; ; i++) {
      try {
        const r = await this.send(method, path, headers, body);
        if ((r.status === 502 || r.status === 503 || r.status === 504) && i < attempts) {
          await sleep(50 * 2 ** i);
          continue;
        }
        return r;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (i >= attempts || !code || !TRANSIENT.has(code)) throw error;
        await sleep(50 * 2 ** i);
      }
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Fail with the request, status and body when a response is not one of `ok`. */
export function expectStatus(what: string, r: HttpResult, ...ok: number[]): void {
  if (!ok.includes(r.status)) {
    throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `${what}: expected HTTP ${ok.join(' or ')}, got ${r.status}: ${r.text.slice(0, 300)}`);
  }
}

/**
 * Run tasks with at most `limit` in flight. `next()` is called only when a
 * worker is free, so tasks (and the requests they make) are created lazily:
 * backpressure instead of a queue. The first failure stops every worker and is
 * rethrown.
 */
export async function runWorkers(limit: number, next: () => (() => Promise<void>) | undefined): Promise<void> {
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure) {
      const task = next();
      if (!task) return;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failure) throw failure.error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
