export { LEGACY_WORLD_DEFAULTS, type LegacyWorldOptions, type ListedDrift } from './options.ts';
export { createLegacyWorld, type LegacyDevice, type LegacyUser, type LegacyWorld, type V2Conversion } from './world.ts';
export { scheduleLineDrift, seededChange, type DriftEvent } from './drift.ts';
export { buildOf, sessionSlots, sessionTruth, syncTimeS, uploadPlan, type LegacyUploadPlan, type LegacyUploadRecord, type Release, type SessionSlot } from './sessions.ts';
export { HOSTILE_KINDS, hostilePlan, hostileRecord, wrongSecret, type HostileIntent, type HostileKind } from './hostile.ts';
export { LEGACY_TOPIC } from './topics.ts';
