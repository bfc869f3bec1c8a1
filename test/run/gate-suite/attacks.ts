import { defineAttackSuite } from 'fleetbed';

export default defineAttackSuite({
  name: 'gate-bola',
  description: 'The BOLA cases: the attack half of a one-gate run (test/run/one-gate.e2e.test.ts)',
  seed: 7,
  cases: ['bola-'],
});
