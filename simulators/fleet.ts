import type { ProductLine } from '../contract/product-line.ts';
import { packFirmwareVersion, unpackFirmwareVersion } from '../contract/firmware-version.ts';
import { SimulatorError } from './errors.ts';
import { resolveFleetOptions, type FleetOptions, type ResolvedFleetOptions } from './fleet-options.ts';
import { initHeads } from './heads.ts';
import { LINE_ADULT, LINE_CODES, LINE_INTERDENTAL, LINE_KIDS } from './lines.ts';
import { childSeed, createRng, Draw, rngUnit, rngWeighted } from './seed.ts';
import { TOPIC } from './topics.ts';

const TWO_24 = 0x100_0000;

/**
 * A fleet as columns: typed arrays indexed by device, phone and household
 * number, never one object per device. Households own contiguous ranges of
 * devices and phones (`hhFirstDevice[h] .. hhFirstDevice[h+1]-1`).
 *
 * Everything a device does that does not depend on history (when it brushes,
 * its clock's drift, its battery curve, which head id a given head has) is a
 * counter-based draw recomputed on demand, so it costs no memory. The columns
 * hold only the history: sequence counters, the current head, the last clock
 * reset, firmware and boot state, and each phone's read position.
 *
 * The fleet is mutated only by the step functions (device.ts, phone.ts).
 */
export class Fleet {
  readonly options: ResolvedFleetOptions;
  readonly seed: number;
  readonly draw: Draw;
  /** Virtual time at which the fleet came into being (seconds since the Unix epoch). Devices have no records before it. */
  readonly startS: number;
  /** Midnight (UTC) of the start day: day `n` runs from `dayZeroS + n*86400`. */
  readonly dayZeroS: number;
  /** Factory id of device `d` is `deviceIdBase + d + 1`. */
  readonly deviceIdBase: number;
  readonly deviceCount: number;
  readonly householdCount: number;
  readonly phoneCount: number;
  readonly ringCapacity: number;
  /**
   * The slice this process simulates (`options.shard`): households `hhFrom..hhTo-1`,
   * their devices `deviceFrom..deviceTo-1` and phones `phoneFrom..phoneTo-1`. The whole
   * fleet unless sharded. Every step and set-up loop runs over the slice only; the
   * columns still span the whole fleet, so indices, ids and draws are the same.
   */
  readonly hhFrom: number;
  readonly hhTo: number;
  readonly deviceFrom: number;
  readonly deviceTo: number;
  readonly phoneFrom: number;
  readonly phoneTo: number;

  // households (H, or H+1 for range starts)
  readonly hhFirstDevice: Uint32Array;
  readonly hhFirstPhone: Uint32Array;
  /** Virtual time up to which the household's devices have been stepped. */
  readonly hhAdvancedTo: Uint32Array;
  /** People in the household (1..4). */
  readonly hhPeople: Uint8Array;

  // phones (P)
  readonly phoneHousehold: Uint32Array;

  // devices (D)
  /** Product line code (bits 0-1) | owner's person index in the household (bits 2-3). */
  readonly kind: Uint8Array;
  /** Records produced so far: the newest record's seq (0 = none yet). */
  readonly seq: Uint32Array;
  /** Read position of each of the household's (up to two) phones: the highest seq that phone slot took. Index `2*d + slot`. */
  readonly cursor: Uint32Array;
  /** Generation of the fitted head (0 = the factory head). */
  readonly headGen: Uint16Array;
  /** First seq recorded with the fitted head (≤ 1 for the factory head, which was part-used at the start). */
  readonly headStart: Int32Array;
  /** Index into the firmware table of the active image, and of the previous one (bank state for OTA). */
  readonly fwActive: Uint8Array;
  readonly fwPrevious: Uint8Array;
  /** First seq recorded by the active image. */
  readonly fwSince: Uint32Array;
  /** Bit 0: active bank; bit 1: an image is staged in the other bank. */
  readonly bank: Uint8Array;
  /** Boots since manufacture (a clock reset is a reboot), wrapping at 256. */
  readonly boots: Uint8Array;
  /** The last clock reset: when (virtual seconds), and the seqs [resetFrom, resetTo) it stamped; 0 = none / still open. */
  readonly resetAt: Uint32Array;
  readonly resetFrom: Uint32Array;
  readonly resetTo: Uint32Array;

  /**
   * Packed firmware versions the fleet's devices may run; fwActive indexes it. Entry `line` is that line's
   * factory image, entry `LINE_CODES.length + line` its newer factory image (`device.newerFactoryFirmware`).
   */
  readonly firmwareTable: number[];

  constructor(options: ResolvedFleetOptions, startS: number, layout: Layout) {
    this.options = options;
    this.seed = options.seed;
    this.draw = new Draw(options.seed);
    this.startS = startS;
    this.dayZeroS = Math.floor(startS / 86_400) * 86_400;
    this.deviceIdBase = options.deviceIdBase ?? (childSeed(options.seed, 'fleet', 0) & 0xf_ffff) * TWO_24;
    this.deviceCount = options.devices;
    this.householdCount = layout.householdCount;
    this.phoneCount = layout.phoneCount;
    this.ringCapacity = options.device.ringCapacity;
    this.hhFirstDevice = layout.hhFirstDevice;
    this.hhFirstPhone = layout.hhFirstPhone;
    this.hhPeople = layout.hhPeople;
    this.hhAdvancedTo = new Uint32Array(this.householdCount).fill(startS);
    this.phoneHousehold = layout.phoneHousehold;
    this.kind = layout.kind;
    const { index, count } = options.shard;
    if (count > this.householdCount) {
      throw new SimulatorError('FLEETBED_FLEET_OPTIONS_INVALID', `Fleet option shard.count ${count} is more than the fleet's ${this.householdCount} households: every shard needs at least one. Use fewer shards or a bigger fleet. Nothing was built.`);
    }
    this.hhFrom = Math.floor((this.householdCount * (index - 1)) / count);
    this.hhTo = Math.floor((this.householdCount * index) / count);
    this.deviceFrom = this.hhFirstDevice[this.hhFrom]!;
    this.deviceTo = this.hhFirstDevice[this.hhTo]!;
    this.phoneFrom = this.hhFirstPhone[this.hhFrom]!;
    this.phoneTo = this.hhFirstPhone[this.hhTo]!;

    const n = this.deviceCount;
    this.seq = new Uint32Array(n);
    this.cursor = new Uint32Array(2 * n);
    this.headGen = new Uint16Array(n);
    this.headStart = new Int32Array(n);
    this.fwActive = new Uint8Array(n);
    this.fwPrevious = new Uint8Array(n);
    this.fwSince = new Uint32Array(n);
    this.bank = new Uint8Array(n);
    this.boots = new Uint8Array(n);
    this.resetAt = new Uint32Array(n);
    this.resetFrom = new Uint32Array(n);
    this.resetTo = new Uint32Array(n);

    this.firmwareTable = [
      ...LINE_CODES.map((line) => packFirmwareVersion(options.device.factoryFirmware[line])),
      ...LINE_CODES.map((line) => packFirmwareVersion(options.device.newerFactoryFirmware[line])),
    ];
    for (let d = 0; d < n; d++) {
      const image = this.factoryImage(d);
      this.fwActive[d] = image;
      this.fwPrevious[d] = image;
      this.boots[d] = 1;
    }
  }

  /** Whether this process simulates only a slice of the fleet. */
  get sharded(): boolean {
    return this.options.shard.count > 1;
  }

  /** Devices in this process's slice. */
  get sliceDevices(): number {
    return this.deviceTo - this.deviceFrom;
  }

  /** Whether device `d` is in this process's slice. */
  inSlice(d: number): boolean {
    return d >= this.deviceFrom && d < this.deviceTo;
  }

  /** Factory id of device `d`. */
  deviceId(d: number): number {
    return this.deviceIdBase + d + 1;
  }

  /** Device index of a factory id, or -1 when the id is not in this fleet. */
  deviceIndex(deviceId: number): number {
    const d = deviceId - this.deviceIdBase - 1;
    return d >= 0 && d < this.deviceCount && Number.isInteger(d) ? d : -1;
  }

  /** Factory serial of device `d` (4–32 of A-Z 0-9 -). */
  serial(d: number): string {
    return `FB-${this.deviceId(d).toString(36).toUpperCase()}`;
  }

  /**
   * Index into firmwareTable of the image device `d` left the factory with: its
   * line's newer factory image for a seeded share (`device.newerFactoryShare`)
   * of devices, its line's factory image otherwise. A pure draw, never history.
   */
  factoryImage(d: number): number {
    const line = this.kind[d]! & 3;
    const share = this.options.device.newerFactoryShare;
    return share > 0 && this.draw.unit(TOPIC.newerFactory, d, 0) < share ? LINE_CODES.length + line : line;
  }

  /** The firmware device `d` left the factory with (`'major.minor.patch'`), as the factory registers it. */
  factoryFirmware(d: number): string {
    return unpackFirmwareVersion(this.firmwareTable[this.factoryImage(d)]!);
  }

  productLine(d: number): ProductLine {
    return LINE_CODES[this.kind[d]! & 3]!;
  }

  /** Household that owns device `d` (binary search over household ranges). */
  householdOfDevice(d: number): number {
    return upperBound(this.hhFirstDevice, d, this.householdCount) - 1;
  }

  /** Day number (0 = the start day) of virtual time `t`. */
  dayOf(t: number): number {
    return Math.floor((t - this.dayZeroS) / 86_400);
  }

  /** Bytes held by the fleet's columns (the simulator state). */
  stateBytes(): number {
    let total = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) total += v.byteLength;
    return total;
  }
}

/** Build a fleet whose world starts at virtual time `startS` (seconds since the Unix epoch, from the platform's clock). */
export function createFleet(options: FleetOptions | ResolvedFleetOptions, startS: number): Fleet {
  if (!Number.isInteger(startS) || startS < 0 || startS > 0xffff_ffff - 400 * 86_400) {
    throw new SimulatorError('FLEETBED_FLEET_TIME_INVALID', `startS must be whole seconds since the Unix epoch that fit u32 with 400 days to spare, got ${startS}.`);
  }
  const resolved = resolveFleetOptions(options as FleetOptions);
  const fleet = new Fleet(resolved, startS, layOut(resolved));
  initHeads(fleet);
  return fleet;
}

interface Layout {
  householdCount: number;
  phoneCount: number;
  hhFirstDevice: Uint32Array;
  hhFirstPhone: Uint32Array;
  hhPeople: Uint8Array;
  phoneHousehold: Uint32Array;
  kind: Uint8Array;
}

/**
 * Households, one after another, each from its own generator (pure-rand,
 * seeded with the household's child seed), until the fleet has its devices.
 * Who owns what: adults an adult brush (and sometimes an interdental device),
 * children a kids' brush; capped at `maxDevices`, never zero.
 */
function layOut(o: ResolvedFleetOptions): Layout {
  const n = o.devices;
  const hhFirstDevice = new Uint32Array(n + 1);
  const hhFirstPhone = new Uint32Array(n + 1);
  const hhPeople = new Uint8Array(n);
  const phoneHousehold = new Uint32Array(2 * n);
  const kind = new Uint8Array(n);
  const h_ = o.household;
  const owned: number[] = [];
  let d = 0;
  let p = 0;
  let h = 0;
  while (d < n) {
    const rng = createRng(childSeed(o.seed, 'household', h));
    const people = 1 + rngWeighted(rng, h_.peopleWeights);
    const adults = people === 1 ? 1 : rngUnit(rng) < h_.secondAdultProbability ? 2 : 1;
    owned.length = 0;
    for (let person = 0; person < people; person++) {
      const adult = person < adults;
      if (rngUnit(rng) < (adult ? h_.adultOwnsBrush : h_.childOwnsBrush)) owned.push((adult ? LINE_ADULT : LINE_KIDS) | (person << 2));
      if (adult && rngUnit(rng) < h_.adultOwnsInterdental) owned.push(LINE_INTERDENTAL | (person << 2));
    }
    if (owned.length === 0) owned.push(LINE_ADULT);
    const phones = adults === 2 && rngUnit(rng) < h_.secondPhoneProbability ? 2 : 1;
    hhFirstDevice[h] = d;
    hhFirstPhone[h] = p;
    hhPeople[h] = people;
    for (let i = 0; i < owned.length && i < h_.maxDevices && d < n; i++) kind[d++] = owned[i]!;
    for (let i = 0; i < phones; i++) phoneHousehold[p++] = h;
    h++;
  }
  hhFirstDevice[h] = d;
  hhFirstPhone[h] = p;
  return {
    householdCount: h,
    phoneCount: p,
    hhFirstDevice: hhFirstDevice.slice(0, h + 1),
    hhFirstPhone: hhFirstPhone.slice(0, h + 1),
    hhPeople: hhPeople.slice(0, h),
    phoneHousehold: phoneHousehold.slice(0, p),
    kind,
  };
}

/** First index i in [0, n] with a[i] > x (a sorted ascending). */
function upperBound(a: Uint32Array, x: number, n: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

