import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-drift-mid-migration',
  description: 'Drift mid-migration: kids-club starts dual-write on day 1; on day 12 an app release adds a field (pa → pressureAlerts) the mapping does not know. Reconciliation must flag every row that carries it, the gate resets, the team updates the mapping the next morning, and reads cut over only after thirty more consecutive clean nights.',
  seed: 3202,
  fleet: { devices: 40 },
  duration: '45d',
  legacy: {
    lines: ['kids-club'],
    neverUpgrade: 0,
    upgradeLagDays: 0,
    drift: { perLinePerMonth: 0, events: [{ line: 'kids-club', day: 12, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }] },
    migration: { mappingLagDays: 1, retireAfterDays: null },
    hostile: { v2Devices: 1, actionsPerDay: 1 },
    expect: { 'kids-club': { state: 'reads-cut-over', minMappingChanges: 1, maxNightsToCutover: 44 } },
  },
});
