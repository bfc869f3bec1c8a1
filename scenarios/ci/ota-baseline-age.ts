import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'ota-baseline-age',
  description:
    'The same seed and the same quietly bricking image (quiet 6 h after boot) with 0, 7 and 60 days of fleet-health baseline before the rollout. ' +
    'The health gate judges each device against its own rhythm: with no history it must wait for a longer silence before a device counts as quiet, so onset → halt shrinks as the baseline grows; the blast radius stays inside the canary in every case, because the gate never advances a stage it has not seen healthy.',
  seed: 5151,
  fleet: { devices: 300 },
  duration: '4d',
  ota: {
    sessionsPerDay: 2,
    baseline: '7d',
    baselineCounterfactual: ['0d', '7d', '60d'],
    counterfactual: false,
    rollouts: [
      {
        image: { version: '2.4.0', antiRollbackCounter: 2, behaviour: { kind: 'quiet-death', hoursAfterBoot: 6 } },
        stages: [
          { percent: 10, soak: '6h' },
          { percent: 50, soak: '6h' },
          { percent: 100, soak: '6h' },
        ],
        gate: { window: '6h', minSample: 8, failureMinSample: 5 },
        expect: { state: 'halted', haltStage: 0, haltReason: 'health-gate' },
      },
    ],
  },
});
