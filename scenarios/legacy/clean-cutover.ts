import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-quick-clean-cutover',
  description: 'One legacy line (kids-club) with no drift starts dual-write on day 1. Every night reconciles clean, the team asks to cut over every morning and the gate refuses until the line has its 5 consecutive clean nights; reads cut over on day 6 of its dual-write and the old path is retired two days later.',
  seed: 3101,
  fleet: { devices: 12 },
  duration: '9d',
  legacy: {
    lines: ['kids-club'],
    drift: { perLinePerMonth: 0 },
    migration: { requiredCleanNights: 5, retireAfterDays: 2 },
    hostile: { v2Devices: 1, actionsPerDay: 1 },
    expect: { 'kids-club': { state: 'v2-only', nightsToCutover: 6 } },
  },
});
