// Loader fixture: the same scenario as twin.json and twin.yaml (the loader test checks they resolve equal).
import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'late-and-duplicate-uploads',
  description: 'Lazy phones relay records days late; second phones and retries after commit send duplicates. Every record is stored exactly once.',
  seed: '18446744073709551557',
  fleet: { devices: 2000, mix: { adultBrush: 0.6, kidsBrush: 0.3, interdental: 0.1 } },
  duration: '3d',
  behaviour: { latePhones: 0.3, lateSyncPerDay: 0.15, twoPhones: 0.9, retryAfterCommit: 0.1, reinstall: 0.02, ringSize: 32 },
  faults: [
    { at: '12h', fault: 'restart-api' },
    { at: { day: 2, hour: 3 }, fault: 'restart-postgres', probability: 0.5 },
    { at: '1d6h', fault: 'http-5xx', duration: '2h', probability: 0.05, params: { status: 503, pathPrefix: '/v2/uploads' } },
    { at: '1d', fault: 'latency', duration: '6h', params: { ms: 80, jitterMs: 40 } },
    { at: '2d', fault: 'drop-response-after-commit', duration: '1h', count: 20, params: { method: 'POST', pathPrefix: '/v2/uploads' } },
  ],
  invariants: ['ING-1', 'ING-3', 'ING-4', 'AUTH-1'],
  thresholds: { http_req_duration: ['p(99)<250', 'avg<50'], upload_errors: ['rate<0.01'] },
  env: { apiWorkers: 2 },
});
