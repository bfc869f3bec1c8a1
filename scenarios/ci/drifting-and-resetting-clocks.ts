import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'drifting-and-resetting-clocks',
  description: 'Device clocks start hours off, drift, and sometimes reset to the epoch. Records inside the window are accepted and ordered by device time; the rest are rejected explicitly, never dropped.',
  seed: 1107,
  fleet: { devices: 200 },
  duration: '3d',
  behaviour: { clockOffsetS: 6 * 3600, clockDriftPpm: 500, clockResetPerDay: 0.05, hostileRecords: 150 },
  invariants: ['ING-1', 'ING-4', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
