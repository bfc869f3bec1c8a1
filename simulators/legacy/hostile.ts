import { write, type Dialect, type DialectRevision, type RawRecord, type LegacySessionTruth } from '../../contract/legacy/dialect.ts';
import { sessionTruth } from './sessions.ts';
import { LEGACY_TOPIC } from './topics.ts';
import type { LegacyWorld } from './world.ts';

/**
 * The hostile legacy actions the world attempts, each with the answer the
 * platform must give (harness/core/legacy books it; LEG-4 judges it):
 * - `unsigned-for-v2-device`: the owner's old app (or a forged phone with the owner's legacy secret)
 *   uploads unsigned v1 records for a serial that is now a v2 device → every record refused `device-signs-v2`;
 * - `device-not-yours`: a user uploads records for another user's device of the line → refused `device-not-yours`;
 * - `wrong-secret`: an upload with a wrong secret → 401, nothing read;
 * - `retired-line`: an upload to a line whose legacy path is retired (v2-only) → 410 `legacy-retired`.
 */
export type HostileKind = 'unsigned-for-v2-device' | 'device-not-yours' | 'wrong-secret' | 'retired-line';
export const HOSTILE_KINDS: readonly HostileKind[] = Object.freeze(['unsigned-for-v2-device', 'device-not-yours', 'wrong-secret', 'retired-line']);

/** One hostile action the world attempts on a day. `user` acts; `device` is whose serial the records carry. */
export interface HostileIntent {
  /** The action's number on its day. */
  readonly n: number;
  readonly kind: HostileKind;
  readonly user: number;
  readonly device: number;
  /** `retired-line`: a draw the engine uses to pick among the lines retired by then (the world cannot know them). */
  readonly pick: number;
}

/**
 * The hostile actions of `day`: `actionsPerDay` of them (a fraction is the
 * chance of one more), each of a kind drawn uniformly. An unsigned upload needs
 * a device converted to v2 before `day`, another user's device a line with two
 * users; a kind that cannot happen yet becomes `wrong-secret`. Pure.
 */
export function hostilePlan(w: LegacyWorld, day: number): HostileIntent[] {
  const rate = w.options.hostile.actionsPerDay;
  const count = Math.floor(rate) + (w.draw.unit(LEGACY_TOPIC.hostileCount, day, 0) < rate - Math.floor(rate) ? 1 : 0);
  const converted = w.v2Devices.filter((c) => c.day < day);
  const out: HostileIntent[] = [];
  for (let n = 0; n < count; n++) {
    let kind = HOSTILE_KINDS[w.draw.u32(LEGACY_TOPIC.hostileKind, day, n) % HOSTILE_KINDS.length]!;
    const pick = w.draw.u32(LEGACY_TOPIC.hostilePick, day, n);
    const victimDraw = w.draw.u32(LEGACY_TOPIC.hostileVictim, day, n);
    if (kind === 'unsigned-for-v2-device') {
      if (converted.length === 0) kind = 'wrong-secret';
      else {
        const c = converted[pick % converted.length]!;
        out.push({ n, kind, user: w.devices[c.device]!.user, device: c.device, pick });
        continue;
      }
    }
    if (kind === 'device-not-yours') {
      const lines = w.dialects.filter((d) => (w.usersOf[d.line]?.length ?? 0) >= 2);
      if (lines.length === 0) kind = 'wrong-secret';
      else {
        const users = w.usersOf[lines[pick % lines.length]!.line]!;
        const attacker = users[(pick >>> 8) % users.length]!;
        const others = users.filter((u) => u !== attacker);
        const victim = w.users[others[victimDraw % others.length]!]!;
        out.push({ n, kind, user: attacker, device: victim.devices[(victimDraw >>> 8) % victim.devices.length]!, pick });
        continue;
      }
    }
    const user = w.users[pick % w.users.length]!;
    out.push({ n, kind, user: user.index, device: user.devices[0]!, pick });
  }
  return out;
}

/** The forged record of a hostile action: a fresh record id (`x<day>.<n>`, never one of the app's) for the device's serial, at noon of `day`. */
export function hostileRecord(w: LegacyWorld, dialect: Dialect, rev: DialectRevision, intent: HostileIntent, day: number, originS: number): { truth: LegacySessionTruth; raw: RawRecord } {
  const slot = { device: intent.device, day, slot: 6 + (intent.n % 2), recordId: `x${day}.${intent.n}`, startedAt: originS + day * 86_400 + 12 * 3600 + intent.n * 60 };
  const truth = sessionTruth(w, rev, slot, w.devices[intent.device]!.serial);
  return { truth, raw: write(dialect, rev, truth) };
}

/** The secret a `wrong-secret` action sends: the user's own, with its last character changed. */
export function wrongSecret(secret: string): string {
  const last = secret.at(-1) ?? '0';
  return `${secret.slice(0, -1)}${last === 'f' ? '0' : last === '9' ? 'a' : String.fromCharCode(last.charCodeAt(0) + 1)}`;
}
