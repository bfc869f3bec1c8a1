import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-quick-partial-dual-write',
  description: 'Partial dual-write failures: for 5 % of rows the v2 write fails after the legacy commit. Each such upload must answer v2: pending, the nightly repair must converge both stores before reconciliation runs (no row reported missing in v2), so every night stays clean and the line cuts over after its 4 nights.',
  seed: 3103,
  fleet: { devices: 20 },
  duration: '7d',
  legacy: {
    lines: ['sonic-classic', 'flosser-one'],
    drift: { perLinePerMonth: 0 },
    migration: { concurrent: 2, requiredCleanNights: 4, retireAfterDays: null },
    faults: { v2WriteFailurePerMille: 50 },
    hostile: { v2Devices: 0, actionsPerDay: 0 },
    expect: { 'sonic-classic': { state: 'reads-cut-over', nightsToCutover: 5 }, 'flosser-one': { state: 'reads-cut-over', nightsToCutover: 5 } },
  },
});
