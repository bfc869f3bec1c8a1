import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'smoke',
  description: 'A small, quick check that the load command works end to end: 300 devices, 20 phone syncs per second for 10 seconds.',
  seed: 2007,
  fleet: { devices: 300 },
  arrival: { shape: 'constant', rate: 20, duration: '10s' },
  thresholds: { upload_duration: ['p(99)<5000'], http_req_failed: ['rate<0.01'] },
});
