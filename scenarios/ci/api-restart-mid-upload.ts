import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'api-restart-mid-upload',
  description: 'The API process is killed and restarted in the middle of the evening sync, twice. Phones retry; nothing acknowledged is lost, nothing stored twice.',
  seed: 1104,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { hostileRecords: 150 },
  faults: [
    { at: { day: 1, hour: 21 }, fault: 'restart-api' },
    { at: { day: 2, hour: 7 }, fault: 'restart-api' },
  ],
  invariants: ['ING-1', 'ING-2', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
