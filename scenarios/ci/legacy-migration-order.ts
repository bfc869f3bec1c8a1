import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-migration-order',
  description: 'Migration order as a counterfactual: all eight lines drift at about one customization per line per month while they wait; three migrate at a time under a 30-night gate over 90 days. This run migrates the biggest line first; the same seed runs again cheap-lines-first in a fresh platform. Per line the report sets side by side the drift accreted before its migration, the divergences reconciliation found, the mapping changes it needed and the nights to cutover.',
  seed: 3205,
  fleet: { devices: 48 },
  duration: '90d',
  legacy: {
    drift: { perLinePerMonth: 1 },
    migration: { order: 'big-first', counterfactual: 'cheap-first', concurrent: 3, requiredCleanNights: 30, retireAfterDays: 3 },
    hostile: { v2Devices: 2, actionsPerDay: 1 },
  },
});
