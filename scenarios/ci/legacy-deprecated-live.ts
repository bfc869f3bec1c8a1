import { defineScenario } from 'fleetbed';

export default defineScenario({
  name: 'legacy-deprecated-live',
  description: 'Deprecated but live: eco-brush and smile-plus are deprecated yet their old apps still sync every day, beside a live line (travel-mini). Every answer of a deprecated line must carry Deprecation and Sunset and count in its deprecated traffic; the lines migrate one after the other and hostile phones keep trying wrong secrets and others’ devices.',
  seed: 3204,
  fleet: { devices: 36 },
  duration: '40d',
  legacy: {
    lines: ['eco-brush', 'smile-plus', 'travel-mini'],
    drift: { perLinePerMonth: 0 },
    migration: { lines: ['eco-brush', 'smile-plus'], concurrent: 2, startDay: 5, requiredCleanNights: 14, retireAfterDays: 7 },
    hostile: { v2Devices: 2, actionsPerDay: 3 },
    expect: { 'eco-brush': { state: 'v2-only', nightsToCutover: 15 }, 'smile-plus': { state: 'v2-only', nightsToCutover: 15 }, 'travel-mini': { state: 'legacy-only' } },
  },
});
