/**
 * Topics of the legacy world's counter-based draws (`Draw.u32(topic, a, b)`,
 * simulators/seed.ts); 0x8xx is the legacy world's (0x1xx–0x6xx the fleet's,
 * 0x7xx OTA's). Frozen: changing one changes every legacy world.
 */
export const LEGACY_TOPIC = Object.freeze({
  build: 0x801,
  skip: 0x810,
  minute: 0x811,
  second: 0x812,
  duration: 0x813,
  coverage: 0x814,
  mode: 0x815,
  sentinel: 0x816,
  extras: 0x817,
  retry: 0x820,
  hostileCount: 0x840,
  hostileKind: 0x841,
  hostilePick: 0x842,
  hostileVictim: 0x843,
});
