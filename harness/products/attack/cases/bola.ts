import { defineCases } from '../types.ts';
import { REC } from './_util.ts';

const notFound = { status: 404, codes: ['not-found'] };

/** API1:2023 — another account's objects addressed by id. */
export const bolaCases = defineCases([
  {
    id: 'bola-read-device',
    title: "A reads B's device by id",
    class: 'API1:2023',
    expected: notFound,
    run: ({ world: w, http }) => http.send('GET', `/v2/devices/${w.B1.deviceId}`, { headers: w.phone(w.A) }),
  },
  {
    id: 'bola-read-sessions',
    title: "A lists B's device's sessions by device id",
    class: 'API1:2023',
    expected: notFound,
    run: ({ world: w, http }) => http.send('GET', `/v2/devices/${w.B1.deviceId}/sessions`, { headers: w.phone(w.A) }),
  },
  {
    id: 'bola-unbond-other-device',
    title: "A unbonds B's device",
    class: 'API1:2023',
    expected: notFound,
    run: ({ world: w, http }) => http.send('DELETE', `/v2/devices/${w.B1.deviceId}/bond`, { headers: w.phone(w.A) }),
  },
  {
    id: 'bola-ota-check-other-device',
    title: "A asks for an OTA offer for B's device (which would enrol it in a rollout)",
    class: 'API1:2023',
    expected: notFound,
    run: ({ world: w, http }) => http.send('POST', `/v2/devices/${w.B1.deviceId}/ota/check`, { headers: w.phone(w.A) }),
  },
  {
    id: 'bola-write-other-device',
    title: "A's phone uploads a genuine record of B's device (consumable, session) as its own",
    class: 'API1:2023',
    expected: { status: 422, codes: [REC + 'device-not-bonded'] },
    run: ({ world: w }) => w.upload(w.A, [w.sign(w.B1, w.freshRecord(w.B1, { headId: 0x2000_0000_0042, headChanged: true }))]),
  },
  {
    id: 'bola-consumables-by-id',
    title: "read a brush head (consumable) by its id: no by-id route exists for a phone",
    class: 'API1:2023',
    expected: { status: [404, 405], codes: ['route-not-found', 'method-not-allowed'] },
    run: ({ world: w, http }) => http.send('GET', `/v2/consumables/${0x1000_0000_0001}`, { headers: w.phone(w.A) }),
  },
  {
    id: 'bola-care-without-consent',
    title: "a care provider reads B's sessions without B's consent",
    class: 'API1:2023',
    expected: { status: 403, codes: ['consent-required'] },
    run: ({ world: w, http }) =>
      http.send('GET', `/v2/care/patients/${w.B.accountId}/sessions?from=2025-01-01T00:00:00Z&to=2025-12-31T00:00:00Z`, { headers: w.phone(w.P) }),
  },
  {
    id: 'bola-consumer-reads-patient',
    title: "B (a consumer) uses the care route to read A's sessions",
    class: 'API1:2023',
    expected: { status: 403, codes: ['forbidden'] },
    run: ({ world: w, http }) =>
      http.send('GET', `/v2/care/patients/${w.A.accountId}/sessions?from=2025-01-01T00:00:00Z&to=2025-12-31T00:00:00Z`, { headers: w.phone(w.B) }),
  },
  {
    id: 'bola-revoke-other-consent',
    title: "B revokes the consent A gave the care provider (addressed by provider id)",
    class: 'API1:2023',
    expected: notFound,
    run: ({ world: w, http }) => http.send('DELETE', `/v2/care/consents/${w.P.accountId}`, { headers: w.phone(w.B) }),
  },
]);
