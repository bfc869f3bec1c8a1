import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'retry-after-commit',
  description: 'The proxy drops responses after the server committed; phones time out and retry with the same Idempotency-Key. Replays answer the same, nothing is written twice.',
  seed: 1102,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { retryAfterCommit: 0.2, hostileRecords: 150 },
  faults: [{ at: '0h', fault: 'drop-response-after-commit', duration: '2d', probability: 0.15, params: { method: 'POST', pathPrefix: '/v2/uploads' } }],
  invariants: ['ING-1', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
