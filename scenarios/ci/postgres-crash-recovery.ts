import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'postgres-crash-recovery',
  description:
    'PostgreSQL crashes under the evening and the morning sync: once by immediate shutdown, once by SIGKILL of the postmaster and every backend. No checkpoint is taken; crash recovery replays the WAL. Every acknowledged record survives, none is stored twice.',
  seed: 1111,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { hostileRecords: 150 },
  faults: [
    { at: { day: 1, hour: 21 }, fault: 'kill-postgres', params: { mode: 'immediate' } },
    { at: { day: 2, hour: 7 }, fault: 'kill-postgres', params: { mode: 'sigkill' } },
  ],
  invariants: ['ING-1', 'ING-2', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
