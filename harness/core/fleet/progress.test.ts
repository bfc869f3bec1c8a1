import { describe, expect, it, vi } from 'vitest';
import { Progress } from './progress.ts';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (t: string) => writes.push(t) };
}

describe('Progress', () => {
  it('on a TTY redraws one line in place (carriage return, clear) and ends with a summary line', () => {
    const s = sink(true);
    const p = new Progress({ sink: s, ttyIntervalMs: 0 });
    p.start('bond', 10, () => '3 uploads/s');
    p.add(4);
    p.add(6);
    p.end('done');
    const draws = s.writes.filter((w) => w.startsWith('\r\x1b[K[fleet] bond:'));
    expect(draws.length).toBe(2);
    expect(draws[0]).toContain('4/10 (40.0%)');
    expect(draws[0]).toContain('3 uploads/s');
    expect(draws.every((w) => !w.includes('\n'))).toBe(true);
    expect(s.writes.at(-1)).toMatch(/^\[fleet\] bond: 10 in [\d.]+ s \([\d,]+\/s\) · done\n$/);
  });

  it('elsewhere prints whole plain lines, at most one per interval', () => {
    const s = sink(false);
    const p = new Progress({ sink: s, plainIntervalMs: 60_000 });
    p.start('accounts', 100);
    for (let i = 0; i < 100; i++) p.add();
    p.end();
    expect(s.writes).toHaveLength(2);
    expect(s.writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(s.writes[0]).toBe('[fleet] accounts: 100 to do\n');
  });

  it('shows a slow phase per minute, not as 0/s', () => {
    let now = 1_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const s = sink(false);
      const p = new Progress({ sink: s, plainIntervalMs: 10_000 });
      p.start('ota hours', 168);
      now += 12_000; // 3 simulated hours in 12 s: 15/min
      p.add(3);
      expect(s.writes.at(-1)).toMatch(/^\[fleet\] ota hours: 3\/168 \(1\.8%\) · 15\/min · ETA 11m\d\ds\n$/);
      now += 48_000;
      p.add(1);
      p.end();
      expect(s.writes.at(-1)).toBe('[fleet] ota hours: 4 in 60.0 s (4/min)\n');
    } finally {
      clock.mockRestore();
    }
  });

  it('can be silenced', () => {
    const s = sink(true);
    const p = new Progress({ sink: s, enabled: false, ttyIntervalMs: 0 });
    p.start('x', 1);
    p.add();
    p.end();
    p.log('hello');
    expect(s.writes).toEqual([]);
  });
});
