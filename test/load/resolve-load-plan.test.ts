import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../harness/core/scenario/errors.ts';
import { buildSchedule, type Schedule } from '../../harness/products/load/arrivals.ts';
import { diurnalCurve } from '../../harness/products/load/diurnal.ts';
import { resolveLoadPlan } from '../../harness/products/load/resolve-load-plan.ts';
import { parseSlo } from '../../harness/cli/commands/load.ts';
import { createFleet } from '../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../simulators/fleet-options.ts';

const ok = { name: 'p', description: 'd', arrival: { shape: 'constant', rate: 10, duration: '2s' } };

describe('resolveLoadPlan', () => {
  it('fills defaults and freezes', () => {
    const p = resolveLoadPlan(ok, 'x.ts');
    expect(p).toMatchObject({ devices: 1000, maxInFlight: 256, arrival: { shape: 'constant', rate: 10, durationMs: 2000 }, slo: { upload_duration: ['p(99)<500'] } });
    expect(Object.isFrozen(p.arrival)).toBe(true);
  });

  it('reports every mistake at once, naming field, value and what was expected', () => {
    let err: ScenarioError | undefined;
    try {
      resolveLoadPlan({ name: 'Bad Name', description: 'd', fleet: { devices: 0 }, arrival: { shape: 'ramping', stages: [{ target: -1, duration: '5x' }] }, thresholds: { upload_duration: ['p99<5'] }, maxInFlght: 3 }, 'plan.ts');
    } catch (e) {
      err = e as ScenarioError;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err!.code).toBe('FLEETBED_SCENARIO_INVALID');
    const fields = err!.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['maxInFlght', 'name', 'fleet.devices', 'arrival.stages[0].target', 'arrival.stages[0].duration', 'thresholds.upload_duration[0]']));
    expect(err!.message).toContain('plan.ts: arrival.stages[0].duration must be a real duration');
    expect(err!.message).toContain('did you mean');
  });

  it('rejects an unknown shape with the known ones', () => {
    expect(() => resolveLoadPlan({ ...ok, arrival: { shape: 'constnt' } })).toThrow(/arrival.shape must be one of "constant"/);
  });

  it('parses --slo into metrics', () => {
    expect(parseSlo('p(99)<500, errors rate<0.001')).toEqual({ upload_duration: ['p(99)<500'], http_req_failed: ['rate<0.001'] });
    expect(() => parseSlo('rate<x')).toThrow('--slo');
  });
});

describe('arrival schedules', () => {
  const fleet = () => createFleet(resolveFleetOptions({ seed: 5, devices: 300 }), 1_760_000_000);

  it('are the same on every build of a seed (which phone syncs when is seeded)', () => {
    const arrival = resolveLoadPlan({ ...ok, arrival: { shape: 'thundering-herd', over: '10s' } }).arrival;
    const a = buildSchedule(fleet(), arrival, 5);
    const b = buildSchedule(fleet(), arrival, 5);
    expect(column(a, 'phone')).toEqual(column(b, 'phone'));
    expect(column(a, 'realMs')).toEqual(column(b, 'realMs'));
    expect(a.arrivals.count).toBe(fleet().phoneCount);
  });

  it('ramping follows the integral of the rate', () => {
    const s = buildSchedule(fleet(), resolveLoadPlan({ ...ok, arrival: { shape: 'ramping', startRate: 0, stages: [{ target: 100, duration: '10s' }] } }).arrival, 5);
    expect(s.arrivals.count).toBe(500);
    expect(s.arrivals.realMs(125)).toBeCloseTo(5000, 6); // Λ(5 s) = 125: a quarter of the arrivals by half time
    expect(s.targetPerSecond[9]!).toBeGreaterThan(s.targetPerSecond[0]!);
  });

  it('the fleet day keeps virtual time monotonic per household and shows the peaks', () => {
    const f = fleet();
    const s = buildSchedule(f, resolveLoadPlan({ ...ok, arrival: { shape: 'fleet-day', days: 2, compress: 1000 } }).arrival, 5);
    const realMs = column(s, 'realMs');
    const vt = column(s, 'vt');
    for (let i = 1; i < realMs.length; i++) expect(realMs[i]!).toBeGreaterThanOrEqual(realMs[i - 1]!);
    for (let i = 1; i < vt.length; i++) expect(vt[i]!).toBeGreaterThanOrEqual(vt[i - 1]!);
    const c = diurnalCurve(f);
    expect(c.peakFactor).toBeGreaterThan(2);
    expect(c.hourly[3]).toBe(0);
  });

  it('the outage backlog returns every phone that missed a sync, once', () => {
    const s = buildSchedule(fleet(), resolveLoadPlan({ ...ok, arrival: { shape: 'outage-backlog', hours: 4, over: '5s', afterHours: 0 } }).arrival, 5);
    const phones = column(s, 'phone').slice(0, s.arrivals.count);
    expect(new Set(phones).size).toBe(phones.length);
    expect(s.arrivals.count).toBeGreaterThan(0);
  });

  it('a high rate is generated a window at a time, not prepared up front', () => {
    // 1,000,000 syncs/s for 10 s: ten million arrivals, which the generator reads in order.
    const t0 = performance.now();
    const s = buildSchedule(fleet(), resolveLoadPlan({ ...ok, arrival: { shape: 'constant', rate: 1_000_000, duration: '10s' } }).arrival, 5);
    expect(performance.now() - t0).toBeLessThan(1000);
    const a = s.arrivals;
    expect(a.count).toBe(10_000_000);
    expect(s.targetPerSecond).toEqual(new Array(10).fill(1_000_000));
    expect(a.horizon).toBeLessThan(20_000); // a window, not ten million
    let last = -1;
    for (let i = 0; i < 30_000; i++) {
      if (i > a.horizon) a.release(i);
      expect(a.realMs(i)).toBeCloseTo(i / 1000, 6); // arrival i at i µs
      expect(a.vt(i)).toBeGreaterThanOrEqual(last);
      last = a.vt(i);
    }
    expect(() => a.realMs(0)).toThrow('already released');
  });
});

/** Every arrival's `field`, read in order (a small schedule). */
function column(s: Schedule, field: 'realMs' | 'phone' | 'vt'): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.arrivals.count; i++) {
    if (i > s.arrivals.horizon) s.arrivals.release(i);
    out.push(s.arrivals[field](i));
  }
  return out;
}
