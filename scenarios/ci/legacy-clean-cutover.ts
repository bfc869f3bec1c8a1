import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-clean-cutover',
  description: 'A clean strangler-fig migration: kids-club, with no drift, starts dual-write on day 1 under the default gate of 30 consecutive clean nights. Every morning the team asks to cut reads over and the gate refuses until nights 1–30 are clean; reads cut over on day 31 of its dual-write and the old path is retired three days later. Hostile phones replay unsigned v1 uploads for devices that now sign, all along.',
  seed: 3201,
  fleet: { devices: 40 },
  duration: '35d',
  legacy: {
    lines: ['kids-club'],
    drift: { perLinePerMonth: 0 },
    migration: { retireAfterDays: 3 },
    hostile: { v2Devices: 2, actionsPerDay: 2 },
    expect: { 'kids-club': { state: 'v2-only', nightsToCutover: 31 } },
  },
});
