import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'closed-16',
  description: 'For comparison with the open model: 16 phones sync back to back for 20 seconds (a closed loop hides a slow platform behind a slower generator).',
  seed: 2006,
  fleet: { devices: 500 },
  arrival: { shape: 'closed', concurrency: 16, duration: '20s' },
});
