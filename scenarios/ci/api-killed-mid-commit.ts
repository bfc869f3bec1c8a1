import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'api-killed-mid-commit',
  description:
    'The API is SIGKILLed (primary and workers at once) while phones are uploading, three times: requests and group commits die half-way. Phones retry with the same Idempotency-Key; every acknowledged record is stored, none twice, and each retry gets the answer the first try would have.',
  seed: 1110,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { retryAfterCommit: 0.05, hostileRecords: 150 },
  faults: [
    { at: { day: 1, hour: 7 }, fault: 'kill-api' },
    { at: { day: 1, hour: 21 }, fault: 'kill-api' },
    { at: { day: 2, hour: 20 }, fault: 'kill-api' },
  ],
  invariants: ['ING-1', 'ING-2', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
