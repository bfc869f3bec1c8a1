import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.ts';
import { startTestApi, TEST_FACTORY_SECRET, type TestApi } from '../support/api.ts';

/** Bugs the route fuzzer (fuzz.test.ts, `npm run fuzz`) found in the reference API, each pinned by the request that found it. */

const target = databaseTargets().find((t) => t.name === 'embedded')!;

async function digest(app: FastifyInstance): Promise<string> {
  return (await app.inject({ method: 'GET', url: '/testbed/digest' })).json().digest;
}

describe('route-fuzzer regressions [embedded]', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(target.serverUrl!);
  });
  afterAll(async () => api?.close());

  // Was a 500: PostgreSQL refuses U+0000 in text ("invalid byte sequence for encoding UTF8: 0x00").
  it.each([
    ['POST /v2/accounts', '/v2/accounts', {}],
    ['POST /v2/care-providers', '/v2/care-providers', { 'x-factory-credential': TEST_FACTORY_SECRET }],
  ])('%s: a NUL in displayName is a 400 validation-failed, and nothing is written', async (_name, url, headers) => {
    const before = await digest(api.app);
    const res = await api.app.inject({ method: 'POST', url, headers, payload: { email: `nul-${url.length}@example.test`, password: 'a long enough password', displayName: 'a\u0000b' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed' });
    expect(await digest(api.app)).toBe(before);
  });

  // Was a 500: each field is bounded by the schema, but now + advanceMs passed the last instant a Date holds.
  it('PUT /testbed/clock: an advance past the end of time is a 400 naming advanceMs, and the clock stays', async () => {
    const before = (await api.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs;
    const res = await api.app.inject({ method: 'PUT', url: '/testbed/clock', payload: { advanceMs: 8_640_000_000_000_000 } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'advanceMs' });
    expect((await api.app.inject({ method: 'GET', url: '/testbed/clock' })).json().epochMs).toBe(before);
    // The last instant itself is still reachable.
    expect((await api.app.inject({ method: 'PUT', url: '/testbed/clock', payload: { advanceMs: 8_640_000_000_000_000 - before } })).statusCode).toBe(200);
  });

  // Was a 500 (TypeError in copyDevicesFromNdjson): no body and no Content-Type passed the media-type gate with no stream to read.
  it('POST /v2/factory/devices/bulk: no body at all is a 400 validation-failed, and nothing is written', async () => {
    const before = await digest(api.app);
    const res = await api.app.inject({ method: 'POST', url: '/v2/factory/devices/bulk', headers: { 'x-factory-credential': TEST_FACTORY_SECRET } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'body' });
    expect(await digest(api.app)).toBe(before);
  });
});
