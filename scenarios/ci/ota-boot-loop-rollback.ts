import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'ota-boot-loop-rollback',
  description: 'An image that crashes on every boot: the boot counter rolls each canary device back to its old bank within its limit, and the failure gate halts the rollout in the canary.',
  seed: 5151,
  fleet: { devices: 200 },
  duration: '2d',
  ota: {
    rollouts: [
      {
        image: { version: '2.4.0', antiRollbackCounter: 2, behaviour: { kind: 'boot-loop' } },
        stages: [
          { percent: 10, soak: '12h' },
          { percent: 100, soak: '12h' },
        ],
        gate: { window: '12h', minSample: 8, failureMinSample: 5, maxFailureRate: 0.05 },
        expect: { state: 'halted', haltStage: 0, haltReason: 'failure-threshold' },
      },
    ],
  },
});
