import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'unknown-brush-heads',
  description: 'Many heads carry ids no range of the side table covers. Their sessions are stored with an unresolved consumable, never dropped.',
  seed: 1108,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { unknownHead: 0.5, hostileRecords: 150 },
  invariants: ['ING-1', 'ING-5', 'AUTH-1', 'PRIV-1', 'AUTH-2'],
});
