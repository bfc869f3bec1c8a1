import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'ota-corrupt-transfer',
  description: 'A chunk of every download arrives with a flipped byte: the bootloader refuses the bank (hash mismatch), no device boots it, and the failure gate halts the rollout in the canary.',
  seed: 6161,
  fleet: { devices: 200 },
  duration: '2d',
  ota: {
    rollouts: [
      {
        image: { version: '2.4.0', antiRollbackCounter: 2, behaviour: { kind: 'corrupt-transfer' } },
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
