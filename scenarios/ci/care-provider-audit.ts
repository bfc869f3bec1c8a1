import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'care-provider-audit',
  description: 'A dentist reads consenting patients\' sessions. Every identity-telemetry join writes an audit row; telemetry tables hold no direct identifiers.',
  seed: 1109,
  fleet: { devices: 120 },
  duration: '2d',
  behaviour: { hostileRecords: 150 },
  invariants: ['ING-1', 'PRIV-1', 'PRIV-2', 'AUTH-2', 'AUTH-1'],
});
