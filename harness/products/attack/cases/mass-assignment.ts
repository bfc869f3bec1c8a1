import { defineCases } from '../types.ts';

const v400 = { status: 400, codes: ['validation-failed'] };

/** API3:2023 — a phone setting server-owned fields. */
export const massAssignmentCases = defineCases([
  {
    id: 'mass-signup-kind',
    title: 'sign up with kind: "care-provider" (self-promotion to a role)',
    class: 'API3:2023',
    expected: v400,
    run: ({ http }) => http.send('POST', '/v2/accounts', { json: { email: `mass-${process.pid}-${Date.now()}@example.test`, password: 'correct horse battery staple', displayName: 'x', kind: 'care-provider' } }),
  },
  {
    id: 'mass-signup-account-id',
    title: "sign up choosing the accountId (A's)",
    class: 'API3:2023',
    expected: v400,
    run: ({ http, world: w }) => http.send('POST', '/v2/accounts', { json: { email: `mass2-${process.pid}-${Date.now()}@example.test`, password: 'correct horse battery staple', displayName: 'x', accountId: w.A.accountId } }),
  },
  {
    id: 'mass-upload-received-at',
    title: 'an upload that sets receivedAt (the server-owned receipt time)',
    class: 'API3:2023',
    expected: v400,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/uploads', { headers: { ...w.phone(w.A), 'idempotency-key': w.newKey() }, json: { records: [w.sign(w.A1, w.freshRecord(w.A1))], receivedAt: '2020-01-01T00:00:00Z' } }),
  },
  {
    id: 'mass-upload-owner',
    title: "an upload that names its owner account (B's)",
    class: 'API3:2023',
    expected: v400,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/uploads', { headers: { ...w.phone(w.A), 'idempotency-key': w.newKey() }, json: { records: [w.sign(w.A1, w.freshRecord(w.A1))], accountId: w.B.accountId } }),
  },
  {
    id: 'mass-upload-verified-firmware',
    title: 'an upload that claims a verified firmware version for its device',
    class: 'API3:2023',
    expected: v400,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/uploads', { headers: { ...w.phone(w.A), 'idempotency-key': w.newKey() }, json: { records: [w.sign(w.A1, w.freshRecord(w.A1))], firmwareVerified: true, firmwareVersion: '9.9.9' } }),
  },
  {
    id: 'mass-bond-owner',
    title: "a valid bonding request for A's own device with an extra owner field (B)",
    class: 'API3:2023',
    expected: v400,
    run: async ({ http, world: w }) => {
      const body = w.bondBody(w.A1, w.A.accountId, await w.challenge(w.A, w.A1.deviceId));
      return http.send('POST', `/v2/devices/${w.A1.deviceId}/bond`, { headers: w.phone(w.A), json: { ...body, ownerAccountId: w.B.accountId, bondedAt: '2020-01-01T00:00:00Z' } });
    },
  },
  {
    id: 'mass-bond-type-confusion',
    title: 'buttonPressed sent as the string "true" (no type coercion)',
    class: 'API3:2023',
    expected: v400,
    run: async ({ http, world: w }) => {
      const body = w.bondBody(w.A1, w.A.accountId, await w.challenge(w.A, w.A1.deviceId));
      return http.send('POST', `/v2/devices/${w.A1.deviceId}/bond`, { headers: w.phone(w.A), json: { ...body, buttonPressed: 'true' } });
    },
  },
]);
