import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'postgres-restart',
  description: 'PostgreSQL restarts during the morning and the evening sync. The API recovers its connections; every acknowledged record survives.',
  seed: 1105,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { hostileRecords: 150 },
  faults: [
    { at: { day: 1, hour: 8 }, fault: 'restart-postgres' },
    { at: { day: 2, hour: 21 }, fault: 'restart-postgres' },
  ],
  invariants: ['ING-1', 'ING-2', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
