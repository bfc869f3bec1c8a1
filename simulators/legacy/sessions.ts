import { revisionFor, write, type Dialect, type DialectRevision, type LegacyMode, type LegacySessionTruth, type RawRecord } from '../../contract/legacy/dialect.ts';
import { LEGACY_TOPIC } from './topics.ts';
import type { LegacyUser, LegacyWorld } from './world.ts';

const DAY = 86_400;
/** The hours (UTC) a device brushes at, by sessions a day; each session at a seeded minute and second of its hour. */
const SLOT_HOURS: Readonly<Record<number, readonly number[]>> = Object.freeze({ 1: [7], 2: [7, 21], 3: [7, 13, 21], 4: [7, 12, 17, 21] });

/** An app release a user can run: the day it shipped and its build. */
export interface Release {
  readonly day: number;
  readonly appBuild: number;
}

/**
 * The app build `user` runs on `day`, given the releases shipped so far (in
 * any order): the newest one at least `upgradeLagDays` old, never below the
 * user's starting build; a user who never upgrades keeps the starting build.
 */
export function buildOf(user: LegacyUser, day: number, releases: readonly Release[]): number {
  if (user.neverUpgrade) return user.initialBuild;
  let build = user.initialBuild;
  for (const r of releases) if (r.day + user.upgradeLagDays <= day && r.appBuild > build) build = r.appBuild;
  return build;
}

/** One session a device brushed: its id, its slot and when (unix seconds). */
export interface SessionSlot {
  readonly device: number;
  readonly day: number;
  readonly slot: number;
  readonly recordId: string;
  readonly startedAt: number;
}

/** The sessions device `d` brushes on `day` (0-based; day 0 starts at `originS`, a UTC midnight), in time order; a skipped slot has none. */
export function sessionSlots(w: LegacyWorld, d: number, day: number, originS: number): SessionSlot[] {
  const hours = SLOT_HOURS[w.options.sessionsPerDay] ?? SLOT_HOURS[2]!;
  const out: SessionSlot[] = [];
  hours.forEach((hour, slot) => {
    const k = day * 8 + slot;
    if (w.draw.unit(LEGACY_TOPIC.skip, d, k) < w.options.skipShare) return;
    const startedAt = originS + day * DAY + hour * 3600 + (w.draw.u32(LEGACY_TOPIC.minute, d, k) % 60) * 60 + (w.draw.u32(LEGACY_TOPIC.second, d, k) % 60);
    out.push({ device: d, day, slot, recordId: `${d.toString(36)}.${day}.${slot}`, startedAt });
  });
  return out;
}

/** When `user`'s app syncs on `day` (unix seconds). */
export function syncTimeS(user: LegacyUser, day: number, originS: number): number {
  return originS + day * DAY + user.syncHour * 3600 + user.syncMinute * 60;
}

const WORDS = ['blue', 'green', 'soft', 'turbo', 'travel', 'eco'];

/**
 * What a session is, as the app of revision `rev` knows it: a duration of 60–180 s,
 * coverage 40–100 % (null — "not measured" — for a share of records once the
 * revision gives coverage a sentinel), a mode the revision can say, a value for
 * each of its extras.
 */
export function sessionTruth(w: LegacyWorld, rev: DialectRevision, s: Pick<SessionSlot, 'device' | 'day' | 'slot' | 'recordId' | 'startedAt'>, serial: string): LegacySessionTruth {
  const k = s.day * 8 + s.slot;
  const d = s.device;
  const modes = [...new Set(Object.values(rev.fields.mode.values))] as LegacyMode[];
  const sentinel = rev.fields.coverage.sentinel !== undefined && w.draw.unit(LEGACY_TOPIC.sentinel, d, k) < w.options.sentinelShare;
  const extras: Record<string, string | number | boolean> = {};
  rev.extras.forEach((e, i) => {
    const x = w.draw.u32(LEGACY_TOPIC.extras, d, k * 16 + i);
    extras[e.key] = e.type === 'int' ? x % 10 : e.type === 'boolean' ? (x & 1) === 1 : WORDS[x % WORDS.length]!;
  });
  return {
    recordId: s.recordId,
    deviceSerial: serial,
    startedAt: s.startedAt,
    durationS: 60 + (w.draw.u32(LEGACY_TOPIC.duration, d, k) % 121),
    coverage: sentinel ? null : 40 + (w.draw.u32(LEGACY_TOPIC.coverage, d, k) % 61),
    mode: modes[w.draw.u32(LEGACY_TOPIC.mode, d, k) % modes.length]!,
    extras,
  };
}

/** One record of an upload: the session as the world meant it, and the raw record the app sends. */
export interface LegacyUploadRecord {
  readonly device: number;
  readonly truth: LegacySessionTruth;
  readonly raw: RawRecord;
}

/** One user's daily sync: the app's build, the revision it writes, the records (possibly none). */
export interface LegacyUploadPlan {
  readonly user: number;
  readonly day: number;
  /** Unix seconds of the sync. */
  readonly at: number;
  readonly build: number;
  readonly revision: DialectRevision;
  readonly records: readonly LegacyUploadRecord[];
  /** The app sends the request twice (the answer to the first was lost): the copy must be all duplicates. */
  readonly retry: boolean;
}

/**
 * What `user`'s app uploads when it syncs on `day`: every session its devices
 * brushed since the previous day's sync (day 0: since `originS`), written as
 * the user's build writes them — the revision of `revisions` (the line's
 * revisions deployed so far) that build speaks. Devices in `skipDevices` (they
 * became v2 devices) are left out.
 */
export function uploadPlan(w: LegacyWorld, dialect: Dialect, user: LegacyUser, day: number, originS: number, line: { revisions: readonly DialectRevision[]; releases: readonly Release[]; skipDevices?: ReadonlySet<number> }): LegacyUploadPlan {
  const at = syncTimeS(user, day, originS);
  const from = day === 0 ? originS : syncTimeS(user, day - 1, originS);
  const build = buildOf(user, day, line.releases);
  const revision = revisionFor(line.revisions, build);
  const records: LegacyUploadRecord[] = [];
  for (const d of user.devices) {
    if (line.skipDevices?.has(d)) continue;
    const serial = w.devices[d]!.serial;
    for (const s of [...(day > 0 ? sessionSlots(w, d, day - 1, originS) : []), ...sessionSlots(w, d, day, originS)]) {
      if (s.startedAt <= from || s.startedAt > at) continue;
      const truth = sessionTruth(w, revision, s, serial);
      records.push({ device: d, truth, raw: write(dialect, revision, truth) });
    }
  }
  return { user: user.index, day, at, build, revision, records, retry: w.draw.unit(LEGACY_TOPIC.retry, user.index, day) < w.options.retryShare };
}
