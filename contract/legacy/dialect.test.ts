import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyDrift, diffRow, dialectProblems, DRIFT_KINDS, encodeBody, interpret, revisionFor, splitBody, truthSession, write, appBuildOf, legacyIdentityKey, LegacyBodyError, type Dialect, type DriftChange, type LegacyMode } from './dialect.ts';
import { DIALECTS, dialectOf } from './dialects.ts';
import { legacyRowKey, v2WriteFails } from './wire.ts';

const parse = (d: Dialect, body: string): unknown => (d.encoding === 'json' ? JSON.parse(body) : d.encoding === 'form' ? Object.fromEntries(new URLSearchParams(body)) : body);
const ALL_MODES: LegacyMode[] = ['daily', 'sensitive', 'whiten', 'gum', 'gentle', 'night', 'polish', 'tongue'];

function changeFor(kind: (typeof DRIFT_KINDS)[number], d: Dialect): DriftChange {
  const rev = d.revisions[0]!;
  switch (kind) {
    case 'add-field': return { kind, key: 'pressureAlerts', name: 'pa_x', type: 'int' };
    case 'unit-change': return { kind, field: 'durationS' };
    case 'rename-field': return { kind, field: 'durationS', to: 'dur_renamed' };
    case 'new-enum-value': return { kind, raw: 'zz', mode: ALL_MODES.find((m) => !Object.values(rev.fields.mode.values).includes(m))! };
    case 'overload-field': return { kind, sentinel: -1 };
  }
}

describe('legacy dialects', () => {
  it('the eight specs are sound: eight lines, five user-id schemes, two deprecated, unique paths and app names', () => {
    expect(DIALECTS).toHaveLength(8);
    for (const d of DIALECTS) expect(dialectProblems(d), d.line).toEqual([]);
    expect(new Set(DIALECTS.map((d) => d.userIdScheme)).size).toBe(5);
    expect(DIALECTS.filter((d) => d.deprecated)).toHaveLength(2);
    expect(new Set(DIALECTS.map((d) => d.basePath)).size).toBe(8);
    expect(new Set(DIALECTS.map((d) => d.appName)).size).toBe(8);
    expect(new Set(DIALECTS.map((d) => d.encoding))).toEqual(new Set(['json', 'form', 'lines']));
  });

  it('a spec with mistakes gets every one named, with the fix', () => {
    const d = dialectOf('sonic-classic')!;
    const bad = { ...d, line: 'Bad Line', basePath: '/v1/x', weight: 0, revisions: [{ ...d.revisions[0]!, revision: 1 }] } as Dialect;
    const p = dialectProblems(bad);
    expect(p.join('\n')).toMatch(/line: must be kebab-case/);
    expect(p.join('\n')).toMatch(/basePath: must be \/v1\/Bad Line/);
    expect(p.join('\n')).toMatch(/weight: must be > 0/);
    expect(p.join('\n')).toMatch(/revisions\[0\]\.revision: must be 0/);
  });

  it('write then interpret under the same revision gives the session back, through every encoding, with nothing unmapped', () => {
    for (const d of DIALECTS) {
      const modes = Object.values(d.revisions[0]!.fields.mode.values);
      fc.assert(
        fc.property(
          fc.record({ id: fc.stringMatching(/^[a-z0-9-]{1,20}$/), t: fc.integer({ min: 1_500_000_000, max: 2_000_000_000 }), dur: fc.integer({ min: 0, max: 600 }), cov: fc.option(fc.integer({ min: 0, max: 100 })), mode: fc.constantFrom(...modes) }),
          (x) => {
            const rev = d.revisions[0]!;
            const s = { recordId: x.id, deviceSerial: 'SN-1', startedAt: x.t, durationS: x.dur, coverage: x.cov, mode: x.mode, extras: {} };
            const [raw] = splitBody(d, parse(d, encodeBody(d, [write(d, rev, s)]).body));
            const back = interpret(d, rev, raw!);
            expect(back.recordId).toBe(x.id);
            expect(back.unmapped).toEqual({});
            expect(diffRow('k', truthSession(s, rev), back)).toEqual([]);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it('every drift kind: the old revision reads the new app\'s record with exactly the divergences its kind predicts; the new revision reads it clean', () => {
    const expected: Record<string, string[]> = {
      'add-field': ['field-differs:extras.pressureAlerts', 'unmapped-field:pa_x'],
      'unit-change': ['field-differs:durationS'],
      'rename-field': ['field-differs:durationS', 'unmapped-field:dur_renamed'],
      'overload-field': ['field-differs:coverage'],
    };
    for (const d of DIALECTS) {
      const rev = d.revisions[0]!;
      for (const kind of DRIFT_KINDS) {
        const change = changeFor(kind, d);
        const next = applyDrift(rev, change, rev.appBuild + 7);
        const mode = change.kind === 'new-enum-value' ? change.mode : Object.values(rev.fields.mode.values)[0]!;
        const s = { recordId: 'r', deviceSerial: 'SN', startedAt: 1_767_225_600, durationS: 131, coverage: change.kind === 'overload-field' ? null : 77, mode, extras: { pressureAlerts: 3 } };
        const [raw] = splitBody(d, parse(d, encodeBody(d, [write(d, next, s)]).body));
        const truth = truthSession(s, next);
        expect(diffRow('k', truth, interpret(d, next, raw!)), `${d.line} ${kind} new`).toEqual([]);
        const old = diffRow('k', truth, interpret(d, rev, raw!)).map((x) => `${x.kind}:${x.field}`);
        const want = kind === 'new-enum-value' ? ['field-differs:mode', `unmapped-field:${rev.fields.mode.name}`] : expected[kind]!;
        expect(old, `${d.line} ${kind} old`).toEqual(want);
      }
    }
  });

  it('a request is read under the newest revision its app build has reached', () => {
    const d = dialectOf('kids-club')!;
    const r1 = applyDrift(d.revisions[0]!, { kind: 'unit-change', field: 'durationS' }, 1300);
    const r2 = applyDrift(r1, { kind: 'add-field', key: 'k', name: 'kk', type: 'string' }, 1400);
    const revs = [d.revisions[0]!, r1, r2];
    expect([1000, 1200, 1299, 1300, 1399, 1400, 9999].map((b) => revisionFor(revs, b).revision)).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(appBuildOf(d, 'KidsClub/1300')).toBe(1300);
    expect(appBuildOf(d, 'KidsClub/1300 (Android 9)')).toBe(1300);
    expect(appBuildOf(d, 'SonicClassic/1300')).toBeNull();
    expect(appBuildOf(d, undefined)).toBeNull();
    expect(() => applyDrift(r2, { kind: 'add-field', key: 'k', name: 'other', type: 'int' }, 1500)).toThrow(/exists/);
    expect(() => applyDrift(r2, { kind: 'unit-change', field: 'coverage' }, 1400)).toThrow(/newer app build/);
  });

  it('bodies that cannot be read are refused with what is wrong', () => {
    const json = dialectOf('sonic-classic')!;
    const form = dialectOf('flosser-one')!;
    const lines = dialectOf('travel-mini')!;
    expect(() => splitBody(json, { records: [] })).toThrow(/"sessions" is an array/);
    expect(() => splitBody(json, { sessions: [{ a: { b: 1 } }] })).toThrow(/sessions\[0\]\.a is not a scalar/);
    expect(() => splitBody(form, { dur: '1' })).toThrow(/not of the form name\[i\]/);
    expect(() => splitBody(form, { 'dur[1]': '1' })).toThrow(/record 0 is missing/);
    expect(() => splitBody(lines, 'n=1;broken')).toThrow(/"broken" is not name=value/);
    expect(() => interpret(json, json.revisions[0]!, { serial: 'S' })).toThrow(LegacyBodyError);
  });

  it('row keys are opaque and stable; identity keys share e-mail across lines and nothing else', () => {
    expect(legacyRowKey('sonic-classic', 'anna@example.test', 'r1')).toMatch(/^[0-9a-f]{32}$/);
    expect(legacyRowKey('sonic-classic', 'anna@example.test', 'r1')).not.toContain('anna');
    expect(legacyRowKey('a', 'b\u0000c', 'd')).not.toBe(legacyRowKey('a', 'b', 'c\u0000d'));
    expect(legacyIdentityKey(dialectOf('sonic-classic')!, 'Anna@Example.test')).toBe(legacyIdentityKey(dialectOf('eco-brush')!, 'anna@example.test'));
    expect(legacyIdentityKey(dialectOf('flosser-one')!, '42')).not.toBe(legacyIdentityKey(dialectOf('kids-club')!, '42'));
    const keys = Array.from({ length: 20_000 }, (_, i) => legacyRowKey('l', 'u', String(i)));
    const failing = keys.filter((k) => v2WriteFails(k, 10)).length;
    expect(failing).toBeGreaterThan(140);
    expect(failing).toBeLessThan(260);
    expect(keys.filter((k) => v2WriteFails(k, 0))).toEqual([]);
  });
});
