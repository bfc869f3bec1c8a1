/**
 * Topics of counter-based draws (`Draw.u32(topic, a, b)`). Each question the
 * simulation asks gets its own topic, so answers are independent. Values are
 * frozen: changing one changes every run's world (and its ledger digest).
 */
export const TOPIC = Object.freeze({
  skipDay: 0x101,
  morning: 0x102,
  morningTime: 0x103,
  evening: 0x104,
  eveningTime: 0x105,
  midday: 0x106,
  middayTime: 0x107,
  interdental: 0x108,
  interdentalTime: 0x109,
  sessionShape: 0x10a,
  sessionShape2: 0x10b,
  headLife: 0x201,
  headUnknown: 0x202,
  headIdHigh: 0x203,
  headIdLow: 0x204,
  headInitialAge: 0x205,
  clockOffset: 0x301,
  clockDrift: 0x302,
  clockReset: 0x303,
  clockResetTime: 0x304,
  batteryPeriod: 0x401,
  batteryPhase: 0x402,
  phoneLazy: 0x501,
  phoneOpens: 0x502,
  phoneOpenTime: 0x503,
  phoneOpenWindow: 0x504,
  phoneInRange: 0x505,
  phoneReinstall: 0x506,
  phoneTimeout: 0x507,
  phoneShuffle: 0x508,
  identityName: 0x601,
  identityPassword: 0x602,
});
