import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-quick-drift-resets-gate',
  description: 'Drift mid-migration: kids-club starts dual-write on day 1; on day 4 an app release adds a field (pa → pressureAlerts) the mapping does not know. Reconciliation must flag every row that carries it as unmapped, the gate resets to 0, the team updates the mapping the next morning, and reads cut over only after 4 more consecutive clean nights.',
  seed: 3102,
  fleet: { devices: 14 },
  duration: '12d',
  legacy: {
    lines: ['kids-club'],
    neverUpgrade: 0,
    upgradeLagDays: 0,
    drift: { perLinePerMonth: 0, events: [{ line: 'kids-club', day: 4, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }] },
    migration: { requiredCleanNights: 4, mappingLagDays: 1, retireAfterDays: null },
    hostile: { v2Devices: 0, actionsPerDay: 0 },
    expect: { 'kids-club': { state: 'reads-cut-over', minMappingChanges: 1, maxNightsToCutover: 10 } },
  },
});
