export { FLEET_DEFAULTS, resolveFleetOptions, type FleetOptions, type ResolvedFleetOptions } from './fleet-options.ts';
export { createFleet, Fleet } from './fleet.ts';
export { LINE_ADULT, LINE_CODES, LINE_INTERDENTAL, LINE_KIDS } from './lines.ts';
export { sessionsOfDay, expectedSessionsPerDay } from './brushing.ts';
export { headIdOf, headLife } from './heads.ts';
export { advanceFleet, advanceHousehold, batteryPct, clockOffsetS, connect, oldestInRing, recordTimes, sessionRecordOf, type ProductionObserver } from './device.ts';
export { isLazyPhone, opensAppAt, planUploads, syncPhone, type Collected, type SyncOptions, type UploadPlan } from './phone.ts';
export { drainPlan, endOfDayS, planDay, type SlotPlan } from './schedule.ts';
export {
  Ledger,
  PLATFORM_RULE_DEFAULTS,
  REJECTION_CODES,
  type Expectation,
  type LedgerTotals,
  type LedgerViolation,
  type PlatformRules,
  type RejectionCode,
  type Verdict,
} from './ledger.ts';
export { ModelPlatform, type ModelVerdict } from './model-platform.ts';
export { runOffline, type OfflineRunOptions } from './offline-run.ts';
export { Identities, type Identity } from './identities.ts';
export { checkSeed, childSeed, createRng, Draw, SEED_KINDS, type SeedKind } from './seed.ts';
export { deriveDeviceKey, deviceKeySeed, nobleSign, noblePublicKey, nobleVerify, privateKeyFromSeed, publicKeyOf, signWith, type DeviceKey } from './device-keys.ts';
export { carryOverBle } from './ble-link.ts';
export { SimulatorError, type SimulatorErrorCode } from './errors.ts';
