import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'ota-good-image-full-rollout',
  description: 'A good image rolls through every stage (10 %, 50 %, 100 %) under the health gate and completes, with no false halt, though devices skip days. The gate advances the canary only once its devices have been watched for their quiet threshold plus two of their own intervals (about 65 h at two brushings a day with a week of baseline).',
  seed: 8181,
  fleet: { devices: 300 },
  duration: '5d',
  ota: {
    rollouts: [
      {
        image: { version: '2.4.0', antiRollbackCounter: 2 },
        stages: [
          { percent: 10, soak: '18h' },
          { percent: 50, soak: '12h' },
          { percent: 100, soak: '6h' },
        ],
        gate: { window: '12h', minSample: 8, failureMinSample: 5 },
        expect: { state: 'completed' },
      },
    ],
  },
});
