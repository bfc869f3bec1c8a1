import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'two-phones-one-home',
  description: 'Both adults of almost every home run the app: each device is relayed by two phones, often the same records. One copy is stored.',
  seed: 1103,
  fleet: { devices: 200 },
  duration: '2d',
  behaviour: { twoPhones: 1, syncPerDay: 0.95, hostileRecords: 150 },
  invariants: ['ING-1', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2', 'AUTH-3'],
});
