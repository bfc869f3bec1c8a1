import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'gate-tiny',
  description: 'A small fleet for one day: the scenario half of a one-gate run (test/run/one-gate.e2e.test.ts).',
  seed: 5,
  fleet: { devices: 30 },
  duration: '1d',
  invariants: ['ING-1', 'AUTH-2'],
});
