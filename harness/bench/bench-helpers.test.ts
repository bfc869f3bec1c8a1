import { describe, expect, it } from 'vitest';
import { cpuSecondsByGroup, sysSecondsByGroup } from './cpu-usage.ts';
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
