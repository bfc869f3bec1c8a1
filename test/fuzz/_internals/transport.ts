import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import type { FuzzRequest } from './request-arbitrary.ts';

/** What the platform answered. */
export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** How the fuzzer reaches a platform: Fastify's inject() in the test, real HTTP in `npm run fuzz`. */
export interface Transport {
  readonly name: string;
  send(req: FuzzRequest): Promise<FuzzResponse>;
}

/** Through Fastify's whole request pipeline (routing, hooks, parsers, validation), without a socket. */
export function injectTransport(app: FastifyInstance): Transport {
  return {
    name: 'inject',
    async send(req) {
      const res = await app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.body === undefined ? {} : { payload: req.body }) });
      return { status: res.statusCode, headers: res.headers as FuzzResponse['headers'], body: res.body };
    },
  };
}

/** Over HTTP/1.1 to `baseUrl` (undici). */
export function httpTransport(baseUrl: string): Transport {
  const base = baseUrl.replace(/\/$/, '');
  return {
    name: `http ${base}`,
    async send(req) {
      const res = await request(`${base}${req.url}`, { method: req.method as 'GET', headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }), headersTimeout: 60_000, bodyTimeout: 60_000 });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    },
  };
}
