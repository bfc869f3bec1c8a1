import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-quick-downgrade-after-cutover',
  description: 'No downgrade through an old API: devices of dental-pro turn into signing v2 devices; before and after its reads cut over (day 4), hostile phones replay unsigned v1 uploads for them, upload for other users’ devices and use wrong secrets. Every one must be refused with nothing written to either store.',
  seed: 3104,
  fleet: { devices: 16 },
  duration: '8d',
  legacy: {
    lines: ['dental-pro'],
    drift: { perLinePerMonth: 0 },
    migration: { requiredCleanNights: 3, retireAfterDays: null },
    hostile: { v2Devices: 4, actionsPerDay: 4 },
    expect: { 'dental-pro': { state: 'reads-cut-over', nightsToCutover: 4 } },
  },
});
