import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-partial-dual-write',
  description: 'Partial dual-write failures: for 1 % of rows the v2 write fails after the legacy commit. Each such upload must answer v2: pending and the nightly repair must converge both stores before reconciliation runs, so no row is lost or reported missing, every night stays clean and both lines cut over on day 31.',
  seed: 3203,
  fleet: { devices: 60 },
  duration: '33d',
  legacy: {
    lines: ['sonic-classic', 'flosser-one'],
    drift: { perLinePerMonth: 0 },
    migration: { concurrent: 2, retireAfterDays: null },
    faults: { v2WriteFailurePerMille: 10 },
    hostile: { v2Devices: 1, actionsPerDay: 1 },
    expect: { 'sonic-classic': { state: 'reads-cut-over', nightsToCutover: 31 }, 'flosser-one': { state: 'reads-cut-over', nightsToCutover: 31 } },
  },
});
