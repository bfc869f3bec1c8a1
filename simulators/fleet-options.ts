import { SimulatorError } from './errors.ts';

/**
 * The behaviour knobs of a simulated fleet, with their defaults. Every rate is
 * documented here and nowhere else; override any of them (deeply, field by
 * field) through {@link resolveFleetOptions}. Probabilities are in [0, 1];
 * times are in seconds of virtual time unless the name says otherwise.
 *
 * The defaults describe an ordinary week of a consumer fleet: most people brush
 * twice a day, phones sync most evenings, and a minority of phones and devices
 * misbehave in the ways the platform must survive (late, duplicated, reordered
 * and clock-reset records).
 */
export const FLEET_DEFAULTS = deepFreeze({
  /** Root seed of the run: every household, phone and device derives its own from it. */
  seed: 1,
  /** Number of devices. Households are generated until this many devices exist (the last one may be cut short). */
  devices: 1000,
  /**
   * First factory device id is `deviceIdBase + 1`. `undefined`: derived from the seed
   * (a multiple of 2^24 below 2^44), so fleets of different seeds can share a database.
   */
  deviceIdBase: undefined as number | undefined,

  /**
   * This process simulates the `index`-th (1-based) of `count` disjoint, contiguous slices
   * of the fleet's households (`--shard i/n`). The world is the same whatever the slicing:
   * only the households outside the slice are never stepped, signed up or synced.
   */
  shard: { index: 1, count: 1 },

  household: {
    /** Relative weights of households of 1, 2, 3 and 4 people. */
    peopleWeights: [0.28, 0.34, 0.16, 0.22] as readonly number[],
    /** In a household of two or more, the chance that the second person is an adult (else a child). */
    secondAdultProbability: 0.85,
    /** Chance that an adult owns a connected adult brush. */
    adultOwnsBrush: 0.9,
    /** Chance that a child owns a connected kids' brush. */
    childOwnsBrush: 0.8,
    /** Chance that an adult also owns an interdental device. */
    adultOwnsInterdental: 0.14,
    /** Devices per household are capped at this many (at least one is always present). */
    maxDevices: 3,
    /** With two adults, the chance that both run the app (two phones); otherwise one phone. */
    secondPhoneProbability: 0.55,
  },

  brushing: {
    /** Brushes: chance of a morning session (06:30–09:00 UTC, shifted per person). */
    morning: 0.97,
    /** Brushes: chance of an evening session (20:00–23:00). */
    evening: 0.95,
    /** Brushes: chance of an extra midday session (12:00–14:00). */
    midday: 0.06,
    /** Brushes: chance that a whole day is skipped (travel, a spare manual brush). */
    skipDay: 0.02,
    /** Interdental devices: chance of one (evening) session on a given day. */
    interdentalPerDay: 0.45,
    /** Mean session length in seconds, per product line. */
    meanDurationS: { 'adult-brush': 125, 'kids-brush': 85, interdental: 70 },
  },

  heads: {
    /** Mean days a brush head stays fitted (the new head's first record has headChanged). */
    replaceEveryDays: 90,
    /** Mean days an interdental tip stays fitted. */
    interdentalReplaceEveryDays: 45,
    /** Chance that a new head carries an id outside every known range (third-party or future heads). */
    unknownHeadProbability: 0.03,
  },

  device: {
    /**
     * Records a device keeps (ring buffer, 1..32). A record overwritten before any
     * phone collected it is lost at the device; the ledger counts it.
     */
    ringCapacity: 16,
    /** Factory firmware per product line. */
    factoryFirmware: { 'adult-brush': '2.3.1', 'kids-brush': '1.8.0', interdental: '1.2.4' },
    /**
     * Firmware of a later production run, per product line. At or above the
     * line's RECORD_FORMAT_2_SINCE (contract/record.ts), so devices that left the
     * factory on it write format-2 session records; the others write format 1.
     */
    newerFactoryFirmware: { 'adult-brush': '2.4.0', 'kids-brush': '1.9.0', interdental: '1.3.0' },
    /**
     * Share of devices (a seeded draw per device) that left the factory on
     * `newerFactoryFirmware` instead of `factoryFirmware`, so an ordinary fleet
     * uploads both record formats. 0: every device on `factoryFirmware`.
     */
    newerFactoryShare: 0.3,
  },

  clock: {
    /** A device's clock starts off by up to ± this many seconds. */
    maxInitialOffsetS: 120,
    /** A device's crystal drifts by up to ± this many parts per million (50 ppm ≈ 4.3 s a day). */
    maxDriftPpm: 50,
    /**
     * Chance per device per day that its clock resets (battery run flat). Until a
     * phone next connects and sets the time, its records carry clockReset and a
     * startedAt counted from `resetEpochS`, so the platform rejects them as too-late:
     * an explicit verdict the ledger expects.
     */
    resetPerDay: 0.003,
    /** Where a reset clock restarts: 2000-01-01T00:00:00Z. */
    resetEpochS: 946_684_800,
  },

  phones: {
    /** Chance per day that an ordinary phone opens the app (and syncs every device in range). */
    openPerDay: 0.75,
    /** Fraction of phones that go days without syncing (their uploads arrive late). */
    lazyFraction: 0.12,
    /** Chance per day that a lazy phone opens the app. */
    lazyOpenPerDay: 0.2,
    /** Chance that a given device is in BLE range when its household's phone syncs. */
    inRange: 0.93,
    /** Chance per sync that the app was reinstalled: fresh sign-in (password grant) and no memory of what it relayed. */
    reinstallPerSync: 0.01,
    /**
     * Chance per upload that the phone times out after the server committed, then
     * retries with the same Idempotency-Key and body (the platform must replay its answer).
     */
    timeoutAfterCommit: 0.03,
    /** Shuffle the records of a sync and send its uploads newest batch first. */
    reorder: true,
    /** Records per upload (the platform's limit is 256). */
    maxRecordsPerUpload: 256,
  },

  time: {
    /** The simulator steps in slots of this many seconds; phones in one slot sync at the slot's platform time. */
    slotSeconds: 3600,
  },

  edges: {
    /**
     * Records aimed at each edge of the platform's time rules (simulators/edges.ts: the late
     * window at −1 h, −1 s, 0, +1 s, +1 d; the future skew at −1 min, 0, +1 s, +1 min, +1 d),
     * made after the run's last day by seeded devices of the slice. 0: none.
     */
    recordsPerEdge: 0,
    /** Records each edge device makes (1..32, at most its ring): devices per edge = ⌈recordsPerEdge / this⌉. */
    recordsPerDevice: 4,
  },

  hostile: {
    /**
     * Hostile records per simulated day (simulators/hostile-records.ts): forged, tampered and
     * replayed-under-another-account records, the kinds in turn, uploaded by the first phones of
     * seeded homes of the slice at the end of each day. Every one must be refused. 0: none.
     */
    recordsPerDay: 0,
  },
});

type Widen<T> = T extends number ? number : T extends string ? string : T extends boolean ? boolean : T extends readonly number[] ? readonly number[] : { readonly [K in keyof T]: Widen<T[K]> };

/** Fleet options after defaults are filled in and validated. */
export type ResolvedFleetOptions = Widen<Omit<typeof FLEET_DEFAULTS, 'deviceIdBase'>> & { readonly deviceIdBase: number | undefined };

type DeepPartial<T> = T extends readonly number[] ? readonly number[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What callers pass: any subset of {@link FLEET_DEFAULTS}, nested. */
export type FleetOptions = DeepPartial<ResolvedFleetOptions>;

/** Fill defaults into `options` and validate every field; throws `FLEETBED_FLEET_OPTIONS_INVALID` naming the field and value. */
export function resolveFleetOptions(options: FleetOptions = {}): ResolvedFleetOptions {
  const merged = merge(FLEET_DEFAULTS, options, '') as ResolvedFleetOptions;
  const o = merged;
  integer('seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
  integer('devices', o.devices, 1, 16_000_000);
  if (o.deviceIdBase !== undefined) integer('deviceIdBase', o.deviceIdBase, 0, 2 ** 53 - 1 - o.devices);

  integer('shard.count', o.shard.count, 1, 4096);
  integer('shard.index', o.shard.index, 1, o.shard.count);

  const h = o.household;
  if (!Array.isArray(h.peopleWeights) || h.peopleWeights.length !== 4) bad('household.peopleWeights', 'an array of 4 non-negative weights (households of 1..4 people)', h.peopleWeights);
  h.peopleWeights.forEach((w, i) => nonNegative(`household.peopleWeights[${i}]`, w));
  if (h.peopleWeights.reduce((a, b) => a + b, 0) <= 0) bad('household.peopleWeights', 'weights with a positive sum', h.peopleWeights);
  for (const k of ['secondAdultProbability', 'adultOwnsBrush', 'childOwnsBrush', 'adultOwnsInterdental', 'secondPhoneProbability'] as const) probability(`household.${k}`, h[k]);
  integer('household.maxDevices', h.maxDevices, 1, 3);

  const b = o.brushing;
  for (const k of ['morning', 'evening', 'midday', 'skipDay', 'interdentalPerDay'] as const) probability(`brushing.${k}`, b[k]);
  for (const line of LINES) integer(`brushing.meanDurationS.${line}`, b.meanDurationS[line], 10, 1800);

  integer('heads.replaceEveryDays', o.heads.replaceEveryDays, 1, 3650);
  integer('heads.interdentalReplaceEveryDays', o.heads.interdentalReplaceEveryDays, 1, 3650);
  probability('heads.unknownHeadProbability', o.heads.unknownHeadProbability);

  integer('device.ringCapacity', o.device.ringCapacity, 1, 32);
  for (const line of LINES) {
    const v = o.device.factoryFirmware[line];
    if (typeof v !== 'string' || !/^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,4})$/.test(v)) bad(`device.factoryFirmware.${line}`, 'a version "major.minor.patch"', v);
    const n = o.device.newerFactoryFirmware[line];
    if (typeof n !== 'string' || !/^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,4})$/.test(n)) bad(`device.newerFactoryFirmware.${line}`, 'a version "major.minor.patch"', n);
  }
  probability('device.newerFactoryShare', o.device.newerFactoryShare);

  integer('clock.maxInitialOffsetS', o.clock.maxInitialOffsetS, 0, 86_400);
  integer('clock.maxDriftPpm', o.clock.maxDriftPpm, 0, 1000);
  probability('clock.resetPerDay', o.clock.resetPerDay);
  integer('clock.resetEpochS', o.clock.resetEpochS, 0, 0xffff_ffff);

  const p = o.phones;
  for (const k of ['openPerDay', 'lazyFraction', 'lazyOpenPerDay', 'inRange', 'reinstallPerSync', 'timeoutAfterCommit'] as const) probability(`phones.${k}`, p[k]);
  if (typeof p.reorder !== 'boolean') bad('phones.reorder', 'a boolean', p.reorder);
  integer('phones.maxRecordsPerUpload', p.maxRecordsPerUpload, 1, 10_000);

  integer('edges.recordsPerEdge', o.edges.recordsPerEdge, 0, 100_000);
  integer('edges.recordsPerDevice', o.edges.recordsPerDevice, 1, 32);
  integer('hostile.recordsPerDay', o.hostile.recordsPerDay, 0, 100_000);
  integer('time.slotSeconds', o.time.slotSeconds, 60, 86_400);
  if (86_400 % o.time.slotSeconds !== 0) bad('time.slotSeconds', 'a divisor of 86400 (slots tile a day)', o.time.slotSeconds);
  return deepFreeze(merged);
}

const LINES = ['adult-brush', 'kids-brush', 'interdental'] as const;

function merge(defaults: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return structuredCloneLoose(defaults);
  if (defaults === undefined) return override; // deviceIdBase
  if (Array.isArray(defaults)) return Array.isArray(override) ? [...override] : override;
  if (typeof defaults === 'object' && defaults !== null) {
    if (typeof override !== 'object' || override === null || Array.isArray(override)) bad(path || '(options)', 'an object', override);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(override as object)) {
      if (!(key in (defaults as object))) bad(path ? `${path}.${key}` : key, `absent (no such fleet option; known: ${Object.keys(defaults as object).join(', ')})`, (override as Record<string, unknown>)[key]);
    }
    for (const [key, value] of Object.entries(defaults as object)) {
      out[key] = merge(value, (override as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    }
    return out;
  }
  return override;
}

function structuredCloneLoose(v: unknown): unknown {
  if (Array.isArray(v)) return [...v];
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneLoose(x)]));
  return v;
}

function bad(field: string, expected: string, got: unknown): never {
  throw new SimulatorError('FLEETBED_FLEET_OPTIONS_INVALID', `Fleet option ${field} must be ${expected}, got ${JSON.stringify(got)}. Nothing was built.`);
}

function integer(field: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(field, `an integer in [${min}, ${max}]`, v);
}

function probability(field: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(field, 'a probability in [0, 1]', v);
}

function nonNegative(field: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) bad(field, 'a finite number ≥ 0', v);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
