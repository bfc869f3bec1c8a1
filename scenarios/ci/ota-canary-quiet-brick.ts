import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'ota-canary-quiet-brick',
  description:
    'An image that transfers, boots and confirms fine, then stops devices reporting 6 h after boot. Against a week of baseline, the health gate must notice the canary devices missing the reports their own rhythm predicts and halt inside the 10 % canary; the counterfactual (transfer-success) bricks the line.',
  seed: 4242,
  fleet: { devices: 300 },
  duration: '4d',
  ota: {
    sessionsPerDay: 2,
    baseline: '7d',
    monitorEvery: '1h',
    rollouts: [
      {
        image: { version: '2.4.0', antiRollbackCounter: 2, behaviour: { kind: 'quiet-death', hoursAfterBoot: 6 } },
        stages: [
          { percent: 10, soak: '24h' },
          { percent: 50, soak: '12h' },
          { percent: 100, soak: '12h' },
        ],
        gate: { window: '12h', minSample: 8, minHealthRatio: 0.8, maxFailureRate: 0.05, failureMinSample: 5 },
        expect: { state: 'halted', haltStage: 0, haltReason: 'health-gate' },
      },
    ],
  },
});
