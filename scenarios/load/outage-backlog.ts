import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'outage-backlog',
  description: 'The platform was down 4 hours from 20:00, through the evening peak: the phones that missed their syncs return within 15 seconds with everything they held, then the night goes on.',
  seed: 2004,
  fleet: { devices: 2000 },
  arrival: { shape: 'outage-backlog', from: '20:00', hours: 4, over: '15s', afterHours: 2, compress: 720 },
  thresholds: { upload_duration: ['p(99)<2000'], http_req_failed: ['rate<0.01'] },
});
