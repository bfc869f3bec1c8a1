import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'device-memory-overflow',
  description: 'Small device memories and phones often out of range: records are overwritten before any phone collects them. They are lost at the device and the platform is not blamed.',
  seed: 1110,
  fleet: { devices: 150 },
  duration: '4d',
  behaviour: { ringSize: 4, outOfRange: 0.5, latePhones: 0.5, lateSyncPerDay: 0.1, hostileRecords: 150 },
  invariants: ['ING-1', 'ING-4', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
