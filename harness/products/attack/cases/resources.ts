import { defineCases } from '../types.ts';
import { codeOf } from './_util.ts';

/**
 * API4:2023 — resource consumption. The reference API has no rate limiter: a
 * flood of fresh Idempotency-Keys is answered 200 "duplicate" each time and
 * stores nothing new (keys are bookkeeping, outside the digest). The safe
 * behaviours are therefore "429 rate-limited" or "200, nothing stored"; both
 * pass. Anything stored, or a 5xx, is a finding.
 */
export const resourceCases = defineCases([
  {
    id: 'res-oversized-batch',
    title: 'an upload of 257 records (the limit is 256 per upload)',
    class: 'API4:2023',
    expected: { status: 413, codes: ['payload-too-large'] },
    run: ({ world: w }) => w.upload(w.A, Array.from({ length: 257 }, () => w.A1.stored[0]!)),
  },
  {
    id: 'res-body-too-large',
    title: 'a 1.5 MiB request body',
    class: 'API4:2023',
    expected: { status: 413, codes: ['payload-too-large'] },
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/uploads', { headers: { ...w.phone(w.A), 'idempotency-key': w.newKey() }, raw: JSON.stringify({ records: Array.from({ length: 1500 }, () => 'A'.repeat(1000)) }) }),
  },
  {
    id: 'res-deeply-nested-json',
    title: 'JSON nested 100 000 levels deep',
    class: 'API4:2023',
    expected: { status: 400, codes: ['validation-failed', 'malformed-json'] },
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/uploads', { headers: { ...w.phone(w.A), 'idempotency-key': w.newKey() }, raw: '{"records":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}' }),
  },
  {
    id: 'res-idempotency-key-flood',
    title: '40 uploads of one stored record, each under a fresh Idempotency-Key, from one token',
    class: 'API4:2023',
    expected: {
      describe: 'each 429 rate-limited, or 200 with nothing stored',
      check: () => null, // judged per exchange below
    },
    run: async ({ world: w }) => {
      const out = [];
      for (let i = 0; i < 40; i++) out.push(await w.upload(w.A, [w.A1.stored[0]!]));
      return out;
    },
  },
  {
    id: 'res-long-idempotency-key',
    title: 'a 4 KiB Idempotency-Key (unbounded bookkeeping)',
    class: 'API4:2023',
    expected: { status: 400, codes: ['validation-failed'] },
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/uploads', { headers: { ...w.phone(w.A), 'idempotency-key': 'k'.repeat(4096) }, json: { records: [w.A1.stored[0]!] } }),
  },
  {
    id: 'res-page-size',
    title: 'a session page of 100 000 rows',
    class: 'API4:2023',
    expected: { status: 400, codes: ['validation-failed'] },
    run: ({ http, world: w }) => http.send('GET', `/v2/devices/${w.A1.deviceId}/sessions?limit=100000`, { headers: w.phone(w.A) }),
  },
  {
    id: 'res-care-period',
    title: "a care provider asks for ten years of a patient's sessions at once",
    class: 'API4:2023',
    expected: { status: 400, codes: ['validation-failed'] },
    run: ({ http, world: w }) =>
      http.send('GET', `/v2/care/patients/${w.A.accountId}/sessions?from=2016-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, { headers: w.phone(w.P) }),
  },
]);

/** The flood's per-exchange judgement: 429, or 200 with nothing stored. */
export function floodVerdict(ex: { status: number; json?: any }): string | null {
  if (ex.status === 429) return null;
  if (ex.status === 200 && ex.json?.counts?.stored === 0) return null;
  return `got ${ex.status} ${codeOf(ex as any)}`;
}
