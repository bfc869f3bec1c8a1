import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'ota-downgrade-refused',
  description: 'A good image with anti-rollback counter 5 rolls out to the whole line; then a newer-numbered release carrying counter 3 is rolled out. The platform must offer it to no device whose counter is 5 (and the bootloader would refuse it).',
  seed: 7171,
  fleet: { devices: 150 },
  duration: '3d',
  ota: {
    // Every device must have taken the first image before the second rollout starts: none skips a day here.
    skipDays: 0,
    rollouts: [
      {
        image: { version: '2.4.0', antiRollbackCounter: 5 },
        policy: 'transfer-success',
        stages: [{ percent: 100, soak: '1h' }],
        gate: { window: '12h', minSample: 5, failureMinSample: 5 },
        expect: { state: 'completed' },
      },
      {
        at: '36h',
        image: { version: '2.5.0', antiRollbackCounter: 3 },
        stages: [{ percent: 100, soak: '0h' }],
        gate: { window: '12h', minSample: 5, failureMinSample: 5 },
        expect: { maxOffers: 0 },
      },
    ],
  },
});
