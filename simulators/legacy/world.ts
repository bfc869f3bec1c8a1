import type { Dialect } from '../../contract/legacy/dialect.ts';
import type prand from 'pure-rand';
import { SimulatorError } from '../errors.ts';
import { checkSeed, createRng, Draw, hash5, rngInt, rngUnit, seedWords } from '../seed.ts';
import { scheduleLineDrift, type DriftEvent } from './drift.ts';
import type { LegacyWorldOptions } from './options.ts';

/** A person's account on one legacy line: an id in the line's scheme, the secret the old system issued, one or two devices. */
export interface LegacyUser {
  /** Position in `world.users`. */
  readonly index: number;
  readonly line: string;
  /** Position of the line in `world.dialects`. */
  readonly lineIndex: number;
  /** In the line's scheme: an e-mail address on example.test, a numeric id, a phone number, a household id, or the device serial. */
  readonly userId: string;
  readonly secret: string;
  /** Indices in `world.devices`. */
  readonly devices: readonly number[];
  /** The app build the user has on day 0. */
  readonly initialBuild: number;
  /** Never upgrades: keeps `initialBuild` forever. */
  readonly neverUpgrade: boolean;
  /** Days after a release before this user runs it. */
  readonly upgradeLagDays: number;
  /** The hour (8–20, UTC) and minute the app syncs each day. */
  readonly syncHour: number;
  readonly syncMinute: number;
}

export interface LegacyDevice {
  readonly index: number;
  readonly user: number;
  readonly line: string;
  /** Upper-case, [A-Z0-9-], so a v2 factory can register it. */
  readonly serial: string;
}

/** A legacy device that becomes a v2 device on `day` (0-based): the factory registers it with its own key, and from then on it signs its records. */
export interface V2Conversion {
  readonly device: number;
  readonly day: number;
  /** The v2 device id it is registered under (disjoint from fleet ids: above 2^45). */
  readonly deviceId: number;
  /** Index of its key: simulators/device-keys.ts `deriveDeviceKey(seed, keyIndex)`. */
  readonly keyIndex: number;
}

/**
 * A legacy world: who uses which line, on which app build, with which devices;
 * every line's drift (dated app releases, each a dialect revision); the devices
 * that turn into v2 devices. Built once, deterministically, from the options;
 * nothing in it changes after (the day-by-day questions are pure functions in
 * sessions.ts and hostile.ts).
 */
export interface LegacyWorld {
  readonly options: LegacyWorldOptions;
  readonly dialects: readonly Dialect[];
  readonly users: readonly LegacyUser[];
  readonly devices: readonly LegacyDevice[];
  /** User indices of each line, by line id. */
  readonly usersOf: Readonly<Record<string, readonly number[]>>;
  /** Every line's drift over the whole run, by day then line order. The engine deploys a line's events only while it is not cut over (a prefix). */
  readonly drift: readonly DriftEvent[];
  readonly v2Devices: readonly V2Conversion[];
  /** Counter-based draws of the world's seed (simulators/seed.ts). */
  readonly draw: Draw;
  /** Six characters of the seed, in serials and e-mail addresses: worlds of different seeds never share an id. */
  readonly tag: string;
}

const FIRST = ['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo', 'iris', 'jonas', 'kate', 'liam', 'mia', 'noah', 'olga', 'paul'];
const LAST = ['adler', 'baker', 'costa', 'dietz', 'evans', 'fischer', 'garcia', 'hansen', 'ito', 'jensen', 'keller', 'lopez', 'meyer', 'novak', 'olsen', 'petit'];
/** The world's sequential draws start from this kind of child seed (simulators/seed.ts uses 1–5 for the fleet's). */
const LEGACY_SEED_KIND = 0x80;

function worldRng(seed: number, part: number): prand.RandomGenerator {
  const [lo, hi] = seedWords(seed);
  return createRng(hash5(lo, hi, LEGACY_SEED_KIND, part, 0));
}

function hex(rng: prand.RandomGenerator, chars: number): string {
  let s = '';
  while (s.length < chars) s += (rng.unsafeNext() >>> 0).toString(16).padStart(8, '0');
  return s.slice(0, chars);
}

/** Devices per line by dialect weight (largest remainder), at least one a line. */
function devicesPerLine(dialects: readonly Dialect[], devices: number): number[] {
  const total = dialects.reduce((a, d) => a + d.weight, 0);
  const exact = dialects.map((d) => (devices * d.weight) / total);
  const out = exact.map((x) => Math.max(1, Math.floor(x)));
  let left = devices - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k++, left--) out[order[k % order.length]!.i]!++;
  return out;
}

/**
 * Build the legacy world of `options`. Pure: the same options (seed included)
 * give the same world, field for field. Throws {@link SimulatorError}
 * (`FLEETBED_FLEET_OPTIONS_INVALID`) for options it cannot build from, and an
 * error naming the event for a listed drift event that does not apply.
 */
export function createLegacyWorld(options: LegacyWorldOptions): LegacyWorld {
  checkSeed(options.seed, 'legacy world seed');
  if (options.dialects.length === 0) throw new SimulatorError('FLEETBED_FLEET_OPTIONS_INVALID', 'a legacy world needs at least one line (dialects is empty)');
  if (!Number.isInteger(options.devices) || options.devices < options.dialects.length) {
    throw new SimulatorError('FLEETBED_FLEET_OPTIONS_INVALID', `a legacy world of ${options.dialects.length} lines needs at least ${options.dialects.length} devices (one a line), got ${options.devices}`);
  }
  const rng = worldRng(options.seed, 1);
  const [lo, hi] = seedWords(options.seed);
  const tag = hash5(lo, hi, LEGACY_SEED_KIND, 0, 1).toString(36).toUpperCase().padStart(7, '0').slice(-6);
  const users: LegacyUser[] = [];
  const devices: LegacyDevice[] = [];
  const usersOf: Record<string, number[]> = {};
  /** E-mail people: the address and the lines they have an account on. */
  const people: Array<{ email: string; lines: Set<string> }> = [];
  const perLine = devicesPerLine(options.dialects, options.devices);

  options.dialects.forEach((dialect, lineIndex) => {
    const ids = new Set<string>();
    const list: number[] = (usersOf[dialect.line] = []);
    let left = perLine[lineIndex]!;
    while (left > 0) {
      const index = users.length;
      const count = dialect.userIdScheme !== 'serial' && left >= 2 && rngUnit(rng) < options.twoDeviceShare ? 2 : 1;
      const mine: number[] = [];
      for (let k = 0; k < count; k++) {
        const d = devices.length;
        devices.push({ index: d, user: index, line: dialect.line, serial: `L${lineIndex.toString(36).toUpperCase()}${tag}-${d.toString(36).toUpperCase().padStart(4, '0')}` });
        mine.push(d);
      }
      left -= count;
      let userId: string;
      do userId = newUserId(rng, dialect, devices[mine[0]!]!.serial, people, options.sharedEmailShare, tag);
      while (ids.has(userId));
      ids.add(userId);
      if (dialect.userIdScheme === 'email') {
        const p = people.find((x) => x.email === userId);
        if (p) p.lines.add(dialect.line);
        else people.push({ email: userId, lines: new Set([dialect.line]) });
      }
      users.push({
        index,
        line: dialect.line,
        lineIndex,
        userId,
        secret: hex(rng, 24),
        devices: mine,
        initialBuild: startingBuild(rng, dialect),
        neverUpgrade: rngUnit(rng) < options.neverUpgradeShare,
        upgradeLagDays: rngInt(rng, 0, Math.max(0, options.maxUpgradeLagDays)),
        syncHour: rngInt(rng, 8, 20),
        syncMinute: rngInt(rng, 0, 59),
      });
      list.push(index);
    }
  });

  const driftRng = worldRng(options.seed, 2);
  const drift = options.dialects
    .flatMap((d, lineIndex) => scheduleLineDrift(driftRng, d, options.days, options.drift.perLinePerMonth[d.line] ?? 0, options.drift.listed).map((e) => ({ e, lineIndex })))
    .sort((a, b) => a.e.day - b.e.day || a.lineIndex - b.lineIndex)
    .map((x) => x.e);

  const v2Rng = worldRng(options.seed, 3);
  const v2Devices: V2Conversion[] = [];
  const taken = new Set<number>();
  const wanted = Math.min(options.hostile.v2Devices, users.length);
  const lastDay = Math.max(1, Math.floor(options.days / 3));
  for (let k = 0; k < wanted; k++) {
    let u: number;
    do u = rngInt(v2Rng, 0, users.length - 1);
    while (taken.has(u));
    taken.add(u);
    const user = users[u]!;
    const device = user.devices[rngInt(v2Rng, 0, user.devices.length - 1)]!;
    v2Devices.push({ device, day: rngInt(v2Rng, 1, lastDay), deviceId: 2 ** 45 + (hash5(lo, hi, LEGACY_SEED_KIND, 2, 0) & 0xf_ffff) * 4096 + k + 1, keyIndex: 0x4000_0000 + device });
  }
  v2Devices.sort((a, b) => a.day - b.day || a.device - b.device);

  return { options, dialects: options.dialects, users, devices, usersOf, drift, v2Devices, draw: new Draw(options.seed), tag };
}

/** A build of one of the line's specified revisions (a user may still run an old one), up to two builds past it but below the next. */
function startingBuild(rng: prand.RandomGenerator, dialect: Dialect): number {
  const revs = dialect.revisions;
  const i = rngInt(rng, 0, revs.length - 1);
  const ceiling = i + 1 < revs.length ? revs[i + 1]!.appBuild - 1 : Infinity;
  return Math.min(revs[i]!.appBuild + rngInt(rng, 0, 2), ceiling);
}

function newUserId(rng: prand.RandomGenerator, dialect: Dialect, firstSerial: string, people: Array<{ email: string; lines: Set<string> }>, sharedShare: number, tag: string): string {
  switch (dialect.userIdScheme) {
    case 'email': {
      const others = people.filter((p) => !p.lines.has(dialect.line));
      if (others.length > 0 && rngUnit(rng) < sharedShare) return others[rngInt(rng, 0, others.length - 1)]!.email;
      return `${FIRST[rngInt(rng, 0, FIRST.length - 1)]}.${LAST[rngInt(rng, 0, LAST.length - 1)]}${rngInt(rng, 1, 999)}.${tag.toLowerCase()}@example.test`;
    }
    case 'numeric':
      return String(rngInt(rng, 100_000, 9_999_999));
    case 'phone':
      return `+447700${String(rngInt(rng, 0, 999_999)).padStart(6, '0')}`;
    case 'household':
      return `HH${String(rngInt(rng, 0, 9_999_999)).padStart(7, '0')}`;
    case 'serial':
      return firstSerial;
  }
}
