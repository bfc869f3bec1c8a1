import { advanceHousehold, connect, oldestInRing, recordTimes } from './device.ts';
import type { Fleet } from './fleet.ts';
import type { Ledger } from './ledger.ts';
import { TOPIC } from './topics.ts';

const H = 3600;

/** Whether phone `p` is one of the lazy ones that go days without syncing. */
export function isLazyPhone(f: Fleet, p: number): boolean {
  return f.draw.unit(TOPIC.phoneLazy, p, 0) < f.options.phones.lazyFraction;
}

/**
 * When phone `p` opens the app on day `day` (virtual seconds), or -1 if it does
 * not. Mostly in the late evening after brushing, sometimes in the morning or
 * during the day. A pure function of (seed, phone, day).
 */
export function opensAppAt(f: Fleet, p: number, day: number): number {
  const o = f.options.phones;
  const rate = isLazyPhone(f, p) ? o.lazyOpenPerDay : o.openPerDay;
  if (f.draw.unit(TOPIC.phoneOpens, p, day) >= rate) return -1;
  const w = f.draw.unit(TOPIC.phoneOpenWindow, p, day);
  const u = f.draw.unit(TOPIC.phoneOpenTime, p, day);
  const sod = w < 0.25 ? 7 * H + Math.floor(u * 2.5 * H) : w < 0.4 ? 12 * H + Math.floor(u * 6 * H) : 21 * H + Math.floor(u * 3 * H - 1);
  const t = f.dayZeroS + day * 86_400 + sod;
  return t > f.startS ? t : -1;
}

/**
 * What one sync collected, in upload order: record `i` is seq `seqs[i]` of
 * device `devices[i]`, made at true time `times[i]`.
 */
export interface Collected {
  phone: number;
  household: number;
  /** True virtual time of the sync. */
  t: number;
  /** The app was reinstalled before this sync: it signs in afresh and remembers nothing it relayed. */
  reinstalled: boolean;
  devices: number[];
  seqs: number[];
  times: number[];
}

export interface SyncOptions {
  /** Every device is in range and nothing is reinstalled (the end-of-run drain). */
  final?: boolean;
}

/**
 * Phone `p` opens the app at true time `t`: its household's devices are stepped
 * to `t`; each device in BLE range gets its clock set if it was reset and hands
 * over every record in its ring that this phone has not taken yet (all of them
 * after a reinstall). A step function: mutates the fleet (cursors, clocks) and
 * books the collection in the ledger.
 */
export function syncPhone(f: Fleet, p: number, t: number, ledger: Ledger, options: SyncOptions = {}): Collected {
  const o = f.options.phones;
  const h = f.phoneHousehold[p]!;
  const slot = p - f.hhFirstPhone[h]!;
  const salt = (t ^ Math.imul(p, 0x9e37_79b1)) >>> 0;
  const reinstalled = !options.final && f.draw.unit(TOPIC.phoneReinstall, p, t) < o.reinstallPerSync;
  const first = f.hhFirstDevice[h]!;
  const end = f.hhFirstDevice[h + 1]!;
  if (reinstalled) for (let d = first; d < end; d++) f.cursor[2 * d + slot] = 0;
  advanceHousehold(f, h, t, ledger);
  const out: Collected = { phone: p, household: h, t, reinstalled, devices: [], seqs: [], times: [] };
  const times: number[] = [];
  for (let d = first; d < end; d++) {
    if (!options.final && f.draw.unit(TOPIC.phoneInRange, d, salt) >= o.inRange) continue;
    connect(f, d);
    const to = f.seq[d]!;
    const from = Math.max(f.cursor[2 * d + slot]! + 1, oldestInRing(f, d));
    if (from > to) continue;
    times.length = to - from + 1;
    recordTimes(f, d, from, times);
    ledger.onCollected(d, from, to, times, t);
    for (let s = from; s <= to; s++) {
      out.devices.push(d);
      out.seqs.push(s);
      out.times.push(times[s - from]!);
    }
    f.cursor[2 * d + slot] = to;
  }
  if (o.reorder) shuffle(f, out, salt);
  return out;
}

function shuffle(f: Fleet, c: Collected, salt: number): void {
  for (let i = c.seqs.length - 1; i > 0; i--) {
    const j = f.draw.u32(TOPIC.phoneShuffle, i, salt) % (i + 1);
    swap(c.devices, i, j);
    swap(c.seqs, i, j);
    swap(c.times, i, j);
  }
}

function swap(a: number[], i: number, j: number): void {
  const x = a[i]!;
  a[i] = a[j]!;
  a[j] = x;
}

/** One upload of a sync: records `start..end-1` of the Collected lists. */
export interface UploadPlan {
  start: number;
  end: number;
  /** 8–64 of [A-Za-z0-9_-], unique per account (phone, sync time, batch). */
  idempotencyKey: string;
  /** The phone gives up waiting after the server committed, and sends the same key and body again. */
  timeoutAfterCommit: boolean;
}

/**
 * Cut a sync's records into uploads of at most `maxRecordsPerUpload`; with
 * `reorder`, the newest batch goes first.
 */
export function planUploads(f: Fleet, c: Collected): UploadPlan[] {
  const o = f.options.phones;
  const size = o.maxRecordsPerUpload;
  const plans: UploadPlan[] = [];
  const salt = (c.t ^ Math.imul(c.phone, 0x9e37_79b1)) >>> 0;
  for (let start = 0, i = 0; start < c.seqs.length; start += size, i++) {
    plans.push({
      start,
      end: Math.min(start + size, c.seqs.length),
      idempotencyKey: `p${c.phone.toString(36)}-t${c.t.toString(36)}-b${i}`,
      timeoutAfterCommit: f.draw.unit(TOPIC.phoneTimeout, i, salt) < o.timeoutAfterCommit,
    });
  }
  if (o.reorder) plans.reverse();
  return plans;
}
