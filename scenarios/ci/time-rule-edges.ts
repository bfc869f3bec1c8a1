import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'time-rule-edges',
  description: 'After a day of ordinary traffic, 30 records land at each edge of the time rules the platform declares: phones returning 1 h and 1 s inside the late window, exactly at it, 1 s and a day past it; device clocks ahead by the skew − 1 min, exactly it, + 1 s, + 1 min and + 1 day. Inside is stored, outside rejected with its code.',
  seed: 1801,
  fleet: { devices: 200 },
  duration: '1d',
  behaviour: { timeEdges: 30, hostileRecords: 150 },
  thresholds: { upload_errors: ['rate<0.01'] },
});
