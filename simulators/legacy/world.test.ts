import { describe, expect, it } from 'vitest';
import { diffRow, interpret, revisionFor, truthSession } from '../../contract/legacy/dialect.ts';
import { DIALECTS, dialectOf } from '../../contract/legacy/dialects.ts';
import { hostilePlan } from './hostile.ts';
import { LEGACY_WORLD_DEFAULTS, type LegacyWorldOptions } from './options.ts';
import { buildOf, uploadPlan, type Release } from './sessions.ts';
import { createLegacyWorld, type LegacyWorld } from './world.ts';

const ORIGIN = 1_767_225_600; // 2026-01-01T00:00:00Z

function options(over: Partial<LegacyWorldOptions> = {}): LegacyWorldOptions {
  const d = LEGACY_WORLD_DEFAULTS;
  return {
    seed: 4242,
    devices: 60,
    dialects: DIALECTS,
    days: 90,
    sessionsPerDay: d.sessionsPerDay,
    skipShare: d.skipShare,
    twoDeviceShare: d.twoDeviceShare,
    neverUpgradeShare: d.neverUpgradeShare,
    maxUpgradeLagDays: d.maxUpgradeLagDays,
    sharedEmailShare: 0.5,
    retryShare: d.retryShare,
    sentinelShare: d.sentinelShare,
    drift: { perLinePerMonth: Object.fromEntries(DIALECTS.map((x) => [x.line, 2])), listed: [{ line: 'kids-club', day: 11, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }] },
    hostile: { v2Devices: 2, actionsPerDay: 1.5 },
    ...over,
  };
}

/** Every upload of `days` days, with each line's drift deployed on its day. */
function uploads(w: LegacyWorld, days: number) {
  const out = [];
  for (let day = 0; day < days; day++) {
    for (const user of w.users) {
      const dialect = dialectOf(user.line)!;
      const events = w.drift.filter((e) => e.line === user.line && e.day <= day);
      const releases: Release[] = events.map((e) => ({ day: e.day, appBuild: e.revision.appBuild }));
      out.push(uploadPlan(w, dialect, user, day, ORIGIN, { revisions: [...dialect.revisions, ...events.map((e) => e.revision)], releases }));
    }
  }
  return out;
}

describe('the legacy world', () => {
  it('is a pure function of its options: the same seed gives the same world, another seed another', () => {
    const a = createLegacyWorld(options());
    const b = createLegacyWorld(options());
    expect(JSON.stringify(b.users)).toBe(JSON.stringify(a.users));
    expect(JSON.stringify(b.drift)).toBe(JSON.stringify(a.drift));
    expect(JSON.stringify(b.v2Devices)).toBe(JSON.stringify(a.v2Devices));
    expect(JSON.stringify(uploads(b, 5))).toBe(JSON.stringify(uploads(a, 5)));
    const c = createLegacyWorld(options({ seed: 4243 }));
    expect(JSON.stringify(c.users)).not.toBe(JSON.stringify(a.users));
    expect(c.devices[0]!.serial).not.toBe(a.devices[0]!.serial);
  });

  it('spreads users over the lines by weight, in each line’s user-id scheme, one or two devices each', () => {
    const w = createLegacyWorld(options({ devices: 200 }));
    expect(w.devices).toHaveLength(200);
    const devicesOf = (line: string) => w.devices.filter((d) => d.line === line).length;
    expect(devicesOf('sonic-classic')).toBe(60); // weight 30 of 100
    expect(devicesOf('eco-brush')).toBe(10);
    const schemes: Record<string, RegExp> = { email: /^[a-z]+\.[a-z]+\d+\.[a-z0-9]+@example\.test$/, numeric: /^\d{6,7}$/, phone: /^\+447700\d{6}$/, household: /^HH\d{7}$/, serial: /^L[0-9A-Z]+-[0-9A-Z]{4}$/ };
    for (const u of w.users) {
      const d = dialectOf(u.line)!;
      expect(u.userId, u.line).toMatch(schemes[d.userIdScheme]!);
      expect(u.devices.length).toBeGreaterThanOrEqual(1);
      expect(u.devices.length).toBeLessThanOrEqual(d.userIdScheme === 'serial' ? 1 : 2);
      if (d.userIdScheme === 'serial') expect(u.userId).toBe(w.devices[u.devices[0]!]!.serial);
    }
    for (const d of w.devices) expect(d.serial).toMatch(/^[A-Z0-9-]{4,32}$/);
    // Some people are on two e-mail lines with the same address; on one line an id is one user.
    const emailLines = DIALECTS.filter((d) => d.userIdScheme === 'email').map((d) => d.line);
    const byAddress = new Map<string, Set<string>>();
    for (const u of w.users.filter((x) => emailLines.includes(x.line))) byAddress.set(u.userId, (byAddress.get(u.userId) ?? new Set()).add(u.line));
    expect([...byAddress.values()].filter((s) => s.size >= 2).length).toBeGreaterThan(0);
    for (const line of Object.keys(w.usersOf)) {
      const ids = w.usersOf[line]!.map((i) => w.users[i]!.userId);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('dates every drift event, a release with a newer build each, reproducibly; a listed event is on its day', () => {
    const w = createLegacyWorld(options());
    expect(w.drift.length).toBeGreaterThan(20); // 8 lines × 2 a month × 3 months, give or take
    for (const line of DIALECTS.map((d) => d.line)) {
      const events = w.drift.filter((e) => e.line === line);
      let build = dialectOf(line)!.revisions.at(-1)!.appBuild;
      events.forEach((e, i) => {
        expect(e.revision.revision).toBe(i + 1);
        expect(e.revision.appBuild).toBeGreaterThan(build);
        expect(e.day).toBeGreaterThanOrEqual(events[i - 1]?.day ?? 0);
        build = e.revision.appBuild;
      });
    }
    const listed = w.drift.filter((e) => e.source === 'listed');
    expect(listed).toEqual([expect.objectContaining({ line: 'kids-club', day: 11, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } })]);
    expect(w.drift.map((e) => `${e.line}@${e.day}:${e.change.kind}`)).toEqual(createLegacyWorld(options()).drift.map((e) => `${e.line}@${e.day}:${e.change.kind}`));
    // A new enum value names a canonical mode the revision did not have.
    for (const e of w.drift.filter((x) => x.change.kind === 'new-enum-value')) {
      const c = e.change as { raw: string; mode: string };
      const before = [...dialectOf(e.line)!.revisions, ...w.drift.filter((x) => x.line === e.line).map((x) => x.revision)].find((r) => r.revision === e.revision.revision - 1)!;
      expect(Object.values(before.fields.mode.values)).not.toContain(c.mode);
    }
    // No drift without a rate or a listed event.
    expect(createLegacyWorld(options({ drift: { perLinePerMonth: {}, listed: [] } })).drift).toEqual([]);
  });

  it('a listed drift event that cannot apply is an error naming it', () => {
    expect(() => createLegacyWorld(options({ drift: { perLinePerMonth: {}, listed: [{ line: 'kids-club', day: 3, change: { kind: 'new-enum-value', raw: 'normal', mode: 'night' } }] } }))).toThrow(/kids-club on day 4 \(new-enum-value\)/);
  });

  it('users upgrade after their own delay; a share never does', () => {
    const w = createLegacyWorld(options({ devices: 200, neverUpgradeShare: 0.2 }));
    const releases: Release[] = [{ day: 10, appBuild: 9000 }];
    const never = w.users.filter((u) => u.neverUpgrade);
    expect(never.length).toBeGreaterThan(10);
    for (const u of never) expect(buildOf(u, 80, releases)).toBe(u.initialBuild);
    for (const u of w.users.filter((x) => !x.neverUpgrade)) {
      expect(buildOf(u, 10 + u.upgradeLagDays - 1, releases)).toBe(u.initialBuild);
      expect(buildOf(u, 10 + u.upgradeLagDays, releases)).toBe(9000);
    }
  });

  it('uploads about two sessions a device a day, each read back clean under the revision its build writes; some are retried', () => {
    const w = createLegacyWorld(options());
    const all = uploads(w, 30);
    const records = all.flatMap((u) => u.records);
    const perDeviceDay = records.length / (w.devices.length * 30);
    expect(perDeviceDay).toBeGreaterThan(1.7);
    expect(perDeviceDay).toBeLessThan(2.05);
    const ids = records.map((r) => `${w.devices[r.device]!.line} ${w.users[w.devices[r.device]!.user]!.userId} ${r.truth.recordId}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const u of all) {
      const dialect = dialectOf(w.users[u.user]!.line)!;
      for (const r of u.records) {
        const back = interpret(dialect, u.revision, r.raw);
        expect(back.unmapped).toEqual({});
        expect(diffRow('k', truthSession(r.truth, u.revision), back)).toEqual([]);
      }
    }
    expect(all.filter((u) => u.retry).length).toBeGreaterThan(0);
    // After kids-club's day-12 release, upgraded users send the new field; the old revision leaves it unmapped.
    const kids = all.filter((u) => w.users[u.user]!.line === 'kids-club' && u.day > 25 && u.revision.extras.some((e) => e.key === 'pressureAlerts') && u.records.length > 0);
    expect(kids.length).toBeGreaterThan(0);
    const rev0 = dialectOf('kids-club')!.revisions[0]!;
    const stale = interpret(dialectOf('kids-club')!, revisionFor([rev0], kids[0]!.build), kids[0]!.records[0]!.raw);
    expect(Object.keys(stale.unmapped)).toContain('pa');
  });

  it('plans hostile actions reproducibly, of every kind over time', () => {
    const w = createLegacyWorld(options());
    const plan = Array.from({ length: 60 }, (_, day) => hostilePlan(w, day)).flat();
    expect(JSON.stringify(plan)).toBe(JSON.stringify(Array.from({ length: 60 }, (_, day) => hostilePlan(w, day)).flat()));
    expect(new Set(plan.map((p) => p.kind))).toEqual(new Set(['unsigned-for-v2-device', 'device-not-yours', 'wrong-secret', 'retired-line']));
    for (const p of plan.filter((x) => x.kind === 'device-not-yours')) {
      expect(w.devices[p.device]!.user).not.toBe(p.user);
      expect(w.devices[p.device]!.line).toBe(w.users[p.user]!.line);
    }
    for (const p of plan.filter((x) => x.kind === 'unsigned-for-v2-device')) expect(w.v2Devices.map((c) => c.device)).toContain(p.device);
    expect(w.v2Devices).toHaveLength(2);
    for (const c of w.v2Devices) expect(c.deviceId).toBeGreaterThan(2 ** 45);
  });
});
