import { randomUUID } from 'node:crypto';
import { defineCases } from '../types.ts';

const forbidden = { status: 403, codes: ['forbidden'] };

/** API5:2023 — a phone token on operator, factory and testbed routes. */
export const functionLevelCases = defineCases([
  {
    id: 'fl-factory-provision',
    title: 'a phone token provisions a device with a key the phone chose',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/factory/devices', {
        headers: w.phone(w.A),
        json: { devices: [{ deviceId: w.U1.deviceId + 50, serial: `ATK-${w.U1.deviceId + 50}`, productLine: 'adult-brush', publicKey: w.roguePublicKey.toString('base64url'), firmwareVersion: '1.0.0' }] },
      }),
  },
  {
    id: 'fl-factory-bulk',
    title: 'a phone token on the bulk (NDJSON) provisioning route',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/factory/devices/bulk', {
        headers: { ...w.phone(w.A), 'content-type': 'application/x-ndjson' },
        raw: JSON.stringify({ deviceId: w.U1.deviceId + 51, serial: `ATK-${w.U1.deviceId + 51}`, productLine: 'adult-brush', publicKey: w.roguePublicKey.toString('base64url'), firmwareVersion: '1.0.0' }) + '\n',
      }),
  },
  {
    id: 'fl-factory-wrong-credential',
    title: 'provisioning with a guessed factory credential',
    class: 'API5:2023',
    expected: { status: 401, codes: ['factory-credential-required'] },
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/factory/devices', {
        headers: { 'x-factory-credential': 'factory-secret' },
        json: { devices: [{ deviceId: w.U1.deviceId + 52, serial: `ATK-${w.U1.deviceId + 52}`, productLine: 'adult-brush', publicKey: w.roguePublicKey.toString('base64url'), firmwareVersion: '1.0.0' }] },
      }),
  },
  {
    id: 'fl-release-create',
    title: 'a phone token registers a firmware release (even one the TEST key signed)',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) => http.send('POST', '/v2/ota/releases', { headers: w.phone(w.A), json: w.releaseBody({ productLine: 'interdental', version: '0.9.0', antiRollbackCounter: 0 }) }),
  },
  {
    id: 'fl-rollout-create',
    title: 'a phone token starts a rollout',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/ota/rollouts', { headers: w.phone(w.A), json: { releaseId: w.release.releaseId, policy: 'transfer-success', stages: [{ percent: 100, soakSeconds: 0 }] } }),
  },
  {
    id: 'fl-rollout-action',
    title: 'a phone token advances the rollout past its health gate',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) => http.send('POST', `/v2/ota/rollouts/${w.rolloutId}/actions`, { headers: w.phone(w.A), json: { action: 'advance' } }),
  },
  {
    id: 'fl-rollout-read',
    title: 'a phone token reads a rollout (operator data)',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) => http.send('GET', `/v2/ota/rollouts/${w.rolloutId}`, { headers: w.phone(w.A) }),
  },
  {
    id: 'fl-care-provider-register',
    title: 'a phone token registers a care-provider account (operator-only)',
    class: 'API5:2023',
    expected: forbidden,
    run: ({ http, world: w }) =>
      http.send('POST', '/v2/care-providers', { headers: w.phone(w.A), json: { email: `fake-dr-${randomUUID()}@example.test`, password: 'correct horse battery staple', displayName: 'Dr Fake' } }),
  },
  {
    id: 'fl-testbed-clock-rewind',
    title: 'a phone rewinds the testbed clock (to revive expired tokens and challenges)',
    class: 'API8:2023',
    expected: { status: 409, codes: ['clock-backwards'] },
    run: ({ http, world: w }) => http.send('PUT', '/testbed/clock', { headers: w.phone(w.A), json: { epochMs: 0 } }),
  },
]);
