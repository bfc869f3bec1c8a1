import { describe, expect, it } from 'vitest';
import { DIALECTS, dialectOf } from '../../../contract/legacy/dialects.ts';
import { resolveScenario } from './resolve-scenario.ts';

const base = { name: 'legacy-x', description: 'a legacy scenario', duration: '40d' };

describe('the scenario legacy section', () => {
  it('fills defaults: the eight lines, the LEG invariants, the world size of a legacy world', () => {
    const s = resolveScenario({ ...base, legacy: {} });
    expect(s.invariants).toEqual(['LEG-1', 'LEG-2', 'LEG-3', 'LEG-4', 'PRIV-1']);
    expect(s.fleet.devices).toBe(40);
    const l = s.legacy!;
    expect(l.lines).toEqual(DIALECTS.map((d) => d.line));
    expect(l.dialects.map((d) => d.line)).toEqual(l.lines);
    expect(l.migration).toEqual({ lines: l.lines, order: 'as-listed', concurrent: 1, startDay: 0, requiredCleanNights: 30, mappingLagDays: 1, retireAfterDays: 3, counterfactual: null });
    expect(l.drift.perLinePerMonth['kids-club']).toBe(1);
    expect(l).toMatchObject({ sessionsPerDay: 2, faults: { v2WriteFailurePerMille: 0 }, hostile: { v2Devices: 2, actionsPerDay: 1 }, customLines: [] });
    expect(Object.isFrozen(l.migration)).toBe(true);
    expect(resolveScenario(base).legacy).toBeUndefined();
  });

  it('takes dated drift events (day 1 is the first), rates by line, the migration plan and expectations', () => {
    const s = resolveScenario({
      ...base,
      fleet: { devices: 12 },
      legacy: {
        lines: ['kids-club', 'sonic-classic'],
        drift: { perLinePerMonth: { 'kids-club': 0.5 }, events: [{ line: 'kids-club', day: 12, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }] },
        migration: { order: 'big-first', concurrent: 2, startDay: 3, requiredCleanNights: 10, retireAfterDays: null, counterfactual: 'cheap-first' },
        expect: { 'kids-club': { state: 'v2-only', nightsToCutover: 31 } },
      },
    });
    const l = s.legacy!;
    expect(s.fleet.devices).toBe(12);
    expect(l.drift).toEqual({ perLinePerMonth: { 'kids-club': 0.5 }, events: [{ line: 'kids-club', day: 11, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }] });
    expect(l.migration).toMatchObject({ lines: ['kids-club', 'sonic-classic'], order: 'big-first', concurrent: 2, startDay: 2, requiredCleanNights: 10, retireAfterDays: null, counterfactual: 'cheap-first' });
    expect(l.expect).toEqual({ 'kids-club': { state: 'v2-only', nightsToCutover: 31 } });
  });

  it('takes a team’s own dialect as a spec, and refuses one with mistakes naming them', () => {
    const mine = { ...dialectOf('flosser-one')!, line: 'water-jet', title: 'Water Jet', basePath: '/v1/water-jet', appName: 'WaterJet' };
    const s = resolveScenario({ ...base, legacy: { lines: ['water-jet'], dialects: [mine] } });
    expect(s.legacy!.customLines).toEqual(['water-jet']);
    expect(s.legacy!.dialects[0]!.appName).toBe('WaterJet');
    expect(() => resolveScenario({ ...base, legacy: { lines: ['water-jet'], dialects: [{ ...mine, basePath: '/v1/other' }] } })).toThrow(/legacy\.dialects\[0\] must be a sound dialect spec.*basePath: must be \/v1\/water-jet/);
    expect(() => resolveScenario({ ...base, legacy: { dialects: [{ line: 'x' }] } })).toThrow(/legacy\.dialects\[0\]/);
  });

  it.each([
    [{ lines: ['kids-clubb'] }, /legacy\.lines\[0\] must be one of .*did you mean "kids-club"|legacy\.lines\[0\] must be one of/],
    [{ lines: [] }, /legacy\.lines must be a non-empty list/],
    [{ sessionsPerDay: 5 }, /legacy\.sessionsPerDay must be an integer from 1 to 4/],
    [{ twoDevices: 2 }, /legacy\.twoDevices must be a probability/],
    [{ drift: { events: [{ line: 'kids-club', day: 41, change: { kind: 'add-field', key: 'k', name: 'n', type: 'int' } }] } }, /legacy\.drift\.events\[0\]\.day must be an integer from 1 to 40/],
    [{ drift: { events: [{ line: 'kids-club', day: 2, change: { kind: 'grow-field' } }] } }, /legacy\.drift\.events\[0\]\.change\.kind/],
    [{ drift: { events: [{ line: 'kids-club', day: 2, change: { kind: 'add-field', key: 'k', name: 'mode', type: 'int' } }] } }, /legacy\.drift\.events\[0\]\.change must be a change that applies to kids-club.*exists/],
    [{ drift: { events: [{ line: 'kids-club', day: 2, change: { kind: 'overload-field', sentinel: -1 } }, { line: 'kids-club', day: 3, change: { kind: 'overload-field', sentinel: -2 } }] } }, /legacy\.drift\.events\[1\]\.change.*second meaning/],
    [{ drift: { perLinePerMonth: 31 } }, /legacy\.drift\.perLinePerMonth must be drift events per 30 days/],
    [{ migration: { order: 'random' } }, /legacy\.migration\.order/],
    [{ migration: { counterfactual: 'as-listed' } }, /legacy\.migration\.counterfactual must be another order/],
    [{ migration: { startDay: 0 } }, /legacy\.migration\.startDay must be an integer from 1 to 40/],
    [{ lines: ['kids-club'], migration: { lines: ['sonic-classic'] } }, /legacy\.migration\.lines\[0\] must be a line of legacy\.lines/],
    [{ faults: { v2WriteFailurePerMille: 1001 } }, /legacy\.faults\.v2WriteFailurePerMille/],
    [{ expect: { 'kids-club': { state: 'migrated' } } }, /legacy\.expect\.kids-club\.state/],
    [{ canary: true }, /legacy\.canary is not a known field/],
  ])('refuses %j, naming the field', (legacy, message) => {
    expect(() => resolveScenario({ ...base, legacy })).toThrow(message);
  });

  it('runs whole days, and is not an OTA scenario at once', () => {
    expect(() => resolveScenario({ ...base, duration: '36h', legacy: {} })).toThrow(/duration must be whole days, at least "2d"/);
    expect(() => resolveScenario({ ...base, legacy: {}, ota: { rollouts: [{ image: { version: '2.4.0' } }] } })).toThrow(/legacy must be absent in an OTA scenario/);
    expect(() => resolveScenario({ ...base, fleet: { devices: 3 }, legacy: {} })).toThrow(/fleet\.devices must be for a legacy scenario, the world's legacy devices: from 8/);
  });
});
