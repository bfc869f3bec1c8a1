import { describe, expect, it, inject, beforeAll, afterAll } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

/**
 * A phone route authenticates before it validates: a request with no (or a bad)
 * token is a 401 whatever else is wrong with it, so an unauthenticated caller
 * learns nothing about what a valid request would look like.
 */
describe('phone routes authenticate first', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(inject('embeddedPgUrl'));
  });
  afterAll(async () => api.close());

  const cases: Array<{ method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }> = [
    { method: 'POST', url: '/v2/uploads', payload: { records: 'not-an-array' } },
    { method: 'POST', url: '/v2/uploads', payload: { records: ['***'] }, headers: { 'idempotency-key': 'x' } },
    { method: 'GET', url: '/v2/devices/not-a-number' },
    { method: 'GET', url: '/v2/devices/12/sessions?cursor=%%%&limit=0' },
    { method: 'POST', url: '/v2/devices/12/bond', payload: { challenge: 1 } },
    { method: 'PUT', url: '/v2/care/consents/not-a-uuid' },
    { method: 'GET', url: '/v2/care/patients/00000000-0000-0000-0000-000000000000/sessions' },
  ];
  for (const c of cases) {
    for (const auth of [undefined, 'Bearer at_forged-token']) {
      it(`${c.method} ${c.url} ${auth ? 'with a forged token' : 'without a token'} → 401 unauthenticated with WWW-Authenticate`, async () => {
        const res = await api.app.inject({ method: c.method, url: c.url, payload: c.payload as object, headers: { ...c.headers, ...(auth ? { authorization: auth } : {}) } });
        expect(res.statusCode).toBe(401);
        expect(res.json().code).toBe('unauthenticated');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      });
    }
  }
});
