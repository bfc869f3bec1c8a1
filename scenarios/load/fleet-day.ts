import { defineLoadPlan } from 'fleetbed';

export default defineLoadPlan({
  name: 'fleet-day',
  description: "The fleet's own day — its morning and evening peaks from the behaviour model — compressed 1440 times (a day in a minute).",
  seed: 2002,
  fleet: { devices: 2000 },
  arrival: { shape: 'fleet-day', days: 1, compress: 1440 },
  thresholds: { upload_duration: ['p(99)<1000'], http_req_failed: ['rate<0.01'] },
});
