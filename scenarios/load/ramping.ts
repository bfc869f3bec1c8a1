import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'ramping-syncs',
  description: 'The sync rate ramps from 10 to 200 per second and back down, in stages (k6 ramping-arrival-rate).',
  seed: 2005,
  fleet: { devices: 1000 },
  arrival: { shape: 'ramping', startRate: 10, stages: [{ target: 200, duration: '20s' }, { target: 200, duration: '10s' }, { target: 10, duration: '10s' }] },
  thresholds: { upload_duration: ['p(99)<1000'] },
});
