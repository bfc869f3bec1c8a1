import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'database-reply-lost',
  description:
    'Between the API and PostgreSQL: commits whose reply is lost after they committed (the API cannot know they did), connections dropped before a statement reaches the database, and slow statements. The API must answer honestly (a retryable 503, never a false "stored"), and a phone retrying with the same Idempotency-Key must resolve to one stored copy and the same answer.',
  seed: 1112,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { retryAfterCommit: 0.05, hostileRecords: 150 },
  faults: [
    { at: { day: 1, hour: 19 }, duration: '4h', fault: 'db-reply-lost', probability: 0.3 },
    { at: { day: 2, hour: 6 }, duration: '3h', fault: 'db-connection-reset', probability: 0.2 },
    { at: { day: 2, hour: 18 }, duration: '3h', fault: 'db-latency', params: { ms: 40, jitterMs: 40 } },
  ],
  invariants: ['ING-1', 'ING-2', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
