import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'thundering-herd',
  description: 'After an app release every phone opens the app at 07:00: all of them sync within 20 seconds, most right away.',
  seed: 2003,
  fleet: { devices: 2000 },
  arrival: { shape: 'thundering-herd', at: '07:00', over: '20s' },
  thresholds: { upload_duration: ['p(99)<2000'], http_req_failed: ['rate<0.01'] },
});
