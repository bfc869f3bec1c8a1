import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'constant-syncs',
  description: 'Phone syncs of the seeded fleet arrive at a steady 50 per second for 20 seconds, whether or not the platform keeps up.',
  seed: 2001,
  fleet: { devices: 500 },
  arrival: { shape: 'constant', rate: 50, duration: '20s' },
  thresholds: { upload_duration: ['p(99)<500'], http_req_failed: ['rate<0.01'], dropped_iterations: ['count<50'] },
});
