import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'connection-resets-and-5xx',
  description: 'Between phones and API: connections reset, a gateway answers 503, latency spikes. Phones retry; the books still balance.',
  seed: 1106,
  fleet: { devices: 150 },
  duration: '2d',
  behaviour: { hostileRecords: 150 },
  faults: [
    { at: '0h', fault: 'connection-reset', duration: '1d', probability: 0.05, params: { pathPrefix: '/v2/uploads' } },
    { at: '1d', fault: 'http-5xx', duration: '1d', probability: 0.05, params: { status: 503, pathPrefix: '/v2/uploads' } },
    { at: '1d', fault: 'latency', duration: '12h', params: { ms: 40, jitterMs: 20 } },
  ],
  invariants: ['ING-1', 'ING-3', 'ING-5', 'AUTH-1', 'AUTH-2'],
});
