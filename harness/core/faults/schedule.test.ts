import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../scenario/resolve-scenario.ts';
import { FaultSchedule } from './schedule.ts';

const H = 3600;
const scenario = resolveScenario({
  name: 'timeline',
  description: 'Every kind of fault on a two-day timeline.',
  seed: '123',
  duration: '2d',
  faults: [
    { at: '12h', fault: 'restart-api' },
    { at: { day: 2, hour: 3 }, fault: 'restart-postgres' },
    { at: '1h30m', fault: 'latency', duration: '2h', params: { ms: 80, jitterMs: 20 } },
    { at: '1d6h', fault: 'http-5xx', duration: '1h', probability: 0.25, count: 10, params: { pathPrefix: '/v2/uploads', status: 502 } },
    { at: '1d', fault: 'drop-response-after-commit', duration: '30m', params: { method: 'POST' } },
    { at: '47h', fault: 'connection-reset' },
  ],
});

describe('FaultSchedule', () => {
  it('lists the actions in a window of simulated time, in time order', () => {
    const s = FaultSchedule.of(scenario);
    expect(s.between(0, 86_400).map((a) => [a.at, a.action, a.fault, a.index])).toEqual([
      [1.5 * H, 'open', 'latency', 2],
      [3.5 * H, 'close', 'latency', 2],
      [12 * H, 'restart-api', 'restart-api', 0],
    ]);
    expect(s.between(86_400, 2 * 86_400).map((a) => a.label)).toEqual([
      'drop-response-after-commit from 1d to 1d30m (faults[4])',
      'drop-response-after-commit ends at 1d30m (faults[4])',
      'restart-postgres at 1d3h (faults[1])',
      'http-5xx from 1d6h to 1d7h (faults[3])',
      'http-5xx ends at 1d7h (faults[3])',
      'connection-reset from 1d23h to 2d (faults[5])',
    ]);
    // [t0, t1): the window end at 2d is the end of the run, outside it.
    expect(s.between(2 * 86_400, 3 * 86_400).map((a) => a.label)).toEqual(['connection-reset ends at 2d (faults[5])']);
  });

  it('is pure: a window gives the same answer whatever was asked before, and hourly steps add up to the whole', () => {
    const s = FaultSchedule.of(scenario);
    const whole = s.between(0, 2 * 86_400);
    const stepped = Array.from({ length: 48 }, (_, h) => s.between(h * H, (h + 1) * H)).flat();
    expect(stepped).toEqual(whole);
    expect(FaultSchedule.of(scenario).between(0, 2 * 86_400)).toEqual(whole);
  });

  it('gives the proxy settings for a step: open windows set, the rest null, rules named for their budgets', () => {
    const s = FaultSchedule.of(scenario);
    expect(s.proxyFaultsDuring(0, H)).toEqual({ latency: null, connectionReset: null, http5xx: null, dropResponseAfterCommit: null });
    expect(s.proxyFaultsDuring(H, 2 * H).latency).toEqual({ id: 'faults[2]', probability: 1, count: null, ms: 80, jitterMs: 20 });
    expect(s.proxyFaultsDuring(30 * H, 31 * H)).toEqual({
      latency: null,
      connectionReset: null,
      http5xx: { id: 'faults[3]', probability: 0.25, count: 10, match: { pathPrefix: '/v2/uploads' }, status: 502 },
      dropResponseAfterCommit: null,
    });
    expect(s.proxyFaultsDuring(24 * H, 25 * H).dropResponseAfterCommit).toEqual({ id: 'faults[4]', probability: 1, count: null, match: { method: 'POST' } });
    expect(s.proxyFaultsDuring(3.5 * H, 4 * H).latency).toBeNull();
  });

  it('decides restarts with a probability by a seeded draw: the same for a seed, about p over many seeds', () => {
    const flaky = (seed: string) =>
      FaultSchedule.of(resolveScenario({ name: 'flaky', description: 'Maybe a restart.', seed, faults: [{ at: '6h', fault: 'restart-api', probability: 0.3 }] })).between(0, 86_400).length;
    const runs = Array.from({ length: 400 }, (_, i) => flaky(String(i)));
    expect(Array.from({ length: 400 }, (_, i) => flaky(String(i)))).toEqual(runs);
    const fired = runs.reduce((a, b) => a + b, 0);
    expect(fired).toBeGreaterThan(90);
    expect(fired).toBeLessThan(150);
  });
});

describe('crash and database faults', () => {
  const crash = resolveScenario({
    name: 'crashes',
    description: 'Crash faults and database-proxy faults on one timeline.',
    seed: '9',
    duration: '1d',
    faults: [
      { at: '2h', fault: 'kill-api' },
      { at: '3h', fault: 'kill-postgres', params: { mode: 'sigkill' } },
      { at: '4h', fault: 'kill-postgres' },
      { at: '5h', fault: 'db-reply-lost', duration: '2h', probability: 0.3, count: 5 },
      { at: '6h', fault: 'db-latency', duration: '1h', params: { ms: 40 } },
      { at: '6h', fault: 'latency', duration: '1h', params: { ms: 10 } },
    ],
  });

  it('turn kills into environment actions, the database mode named, and say what the environment must offer', () => {
    const s = FaultSchedule.of(crash);
    expect(s.between(0, 5 * H).map((a) => [a.action, a.label])).toEqual([
      ['kill-api', 'kill-api at 2h (faults[0])'],
      ['kill-database', 'kill-postgres (sigkill) at 3h (faults[1])'],
      ['kill-database', 'kill-postgres (immediate) at 4h (faults[2])'],
    ]);
    expect(crash.requires).toEqual({ restartApi: false, restartDatabase: false, faultProxy: true, killApi: true, crashDatabase: true, databaseProxy: true });
  });

  it('keep database-proxy rules apart from the HTTP proxy\'s', () => {
    const s = FaultSchedule.of(crash);
    expect(s.dbFaultsDuring(6 * H, 6.5 * H)).toEqual({
      latency: { id: 'faults[4]', probability: 1, count: null, ms: 40, jitterMs: 0 },
      connectionReset: null,
      replyLost: { id: 'faults[3]', probability: 0.3, count: 5 },
    });
    expect(s.proxyFaultsDuring(6 * H, 6.5 * H).latency).toMatchObject({ id: 'faults[5]', ms: 10 });
    expect(s.dbFaultsDuring(0, H)).toEqual({ latency: null, connectionReset: null, replyLost: null });
  });

  it('are validated: a kill is a point, its mode one of two, database faults take only their params', () => {
    const bad = (faults: unknown[]) => () => resolveScenario({ name: 'x', description: 'x', duration: '1d', faults });
    expect(bad([{ at: '1h', fault: 'kill-api', duration: '1h' }])).toThrow(/faults\[0\]\.duration[\s\S]*happens once/);
    expect(bad([{ at: '1h', fault: 'kill-postgres', params: { mode: 'gently' } }])).toThrow(/faults\[0\]\.params\.mode/);
    expect(bad([{ at: '1h', fault: 'db-reply-lost', params: { pathPrefix: '/v2' } }])).toThrow(/faults\[0\]\.params/);
  });
});
