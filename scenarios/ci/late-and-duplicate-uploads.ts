import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'late-and-duplicate-uploads',
  description: 'Lazy phones relay records days late; second phones and retries relay them twice. Every record is stored once, late ones inside the window accepted.',
  seed: 1101,
  fleet: { devices: 200 },
  duration: '4d',
  behaviour: { latePhones: 0.35, lateSyncPerDay: 0.2, twoPhones: 0.9, retryAfterCommit: 0.05, reorder: true, hostileRecords: 150 },
  thresholds: { http_req_duration: ['p(99)<2000'], upload_errors: ['rate<0.01'] },
});
