import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { cpuSecondsByGroup, sysSecondsByGroup } from '../harness/core/cpu-usage.ts';
import { calibrateHost, formatCalibration } from './host-calibration.ts';
import { parsePgSet } from './pg-stats.ts';

describe('parsePgSet (bench:fleet --pg-set)', () => {
  it('reads name=value flags, later ones winning, values may hold "="', () => {
    expect(parsePgSet(['shared_buffers=4GB', 'work_mem=64MB', 'shared_buffers=6GB', "search_path=a=b"])).toEqual({ shared_buffers: '6GB', work_mem: '64MB', search_path: 'a=b' });
    expect(parsePgSet([])).toEqual({});
  });

  it.each(['shared_buffers', '=4GB', ''])('refuses %j, naming the flag and the form it takes', (flag) => {
    expect(() => parsePgSet([flag])).toThrow(`--pg-set takes name=value (a PostgreSQL setting, e.g. shared_buffers=4GB), got ${JSON.stringify(flag)}`);
  });
});

describe.runIf(process.platform === 'linux')('cpu-usage (Linux /proc)', () => {
  it('counts this process: kernel time is a part of the total, and the total grows with work', () => {
    const groups = { self: [process.pid], nobody: [2 ** 22 + 1] };
    const before = cpuSecondsByGroup(groups);
    const end = performance.now() + 300;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    const after = cpuSecondsByGroup(groups);
    const sys = sysSecondsByGroup(groups);
    expect(x).toBeGreaterThan(0);
    expect(after.self! - before.self!).toBeGreaterThanOrEqual(0.1);
    expect(sys.self!).toBeGreaterThanOrEqual(0);
    expect(sys.self!).toBeLessThanOrEqual(after.self!);
    expect(after.nobody).toBe(0);
  });
});

describe('calibrateHost (bench:host, the "host" of a bench:fleet summary)', () => {
  it('measures every unit cost as a positive finite number and prints each in its line', async () => {
    const c = await calibrateHost({ probeMs: 100 });
    expect(c.cores).toBe(availableParallelism());
    for (const k of ['ed25519SignPerSec', 'ed25519VerifyPerSec', 'wakeRoundTripUs', 'loopbackHttpPerSec'] as const) {
      expect(Number.isFinite(c[k]), k).toBe(true);
      expect(c[k], k).toBeGreaterThan(0);
    }
    // Even a slow core signs and verifies hundreds of times in 100 ms, and a wake-up takes less than a millisecond.
    expect(c.ed25519SignPerSec).toBeGreaterThan(500);
    expect(c.ed25519VerifyPerSec).toBeGreaterThan(200);
    expect(c.wakeRoundTripUs).toBeLessThan(1000);
    const line = formatCalibration(c);
    expect(line).toContain(`${c.cores} cores`);
    expect(line).toContain(`${c.wakeRoundTripUs} µs`);
    expect(line).toContain(`${c.loopbackHttpPerSec.toLocaleString('en-US')} req/s`);
  }, 30_000);
});
