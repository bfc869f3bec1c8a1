import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.ts';

function sink(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { stream: { isTTY, columns, write: (s: string) => writes.push(s) }, writes };
}

describe('createProgress', () => {
  it('on a TTY rewrites one line in place and ends it with the final text', () => {
    const { stream, writes } = sink(true);
    const p = createProgress({ stream });
    p.update('scenario 1/3 late-and-duplicate · day 2');
    p.update('scenario 1/3 late-and-duplicate · day 2'); // unchanged: no redraw
    p.update('scenario 1/3 late-and-duplicate · day 3');
    p.done('3 scenarios in 44.9 s');
    expect(writes).toEqual(['\rscenario 1/3 late-and-duplicate · day 2\x1b[K', '\rscenario 1/3 late-and-duplicate · day 3\x1b[K', '\r\x1b[K', '3 scenarios in 44.9 s\n']);
    expect(writes.join('').split('\n')).toHaveLength(2);
  });

  it('on a TTY cuts the line to the terminal width and keeps it on one line', () => {
    const { stream, writes } = sink(true, 20);
    createProgress({ stream }).update('a very long progress line\nwith a break');
    expect(writes).toEqual(['\ra very long progre…\x1b[K']); // 19 columns: a full last column would wrap
  });

  it('off a TTY prints at most one plain line per interval, and always the final line', () => {
    const { stream, writes } = sink(false);
    let now = 0;
    const p = createProgress({ stream, intervalMs: 10_000, now: () => now });
    p.update('day 1');
    now = 4_000;
    p.update('day 2');
    now = 9_999;
    p.update('day 3');
    now = 10_000;
    p.update('day 4');
    now = 12_000;
    p.update('day 5');
    p.done('done: 5 days');
    expect(writes).toEqual(['day 1\n', 'day 4\n', 'done: 5 days\n']);
    for (const w of writes) expect(w).not.toMatch(/[\r\x1b]/);
  });

  it('the isTTY option overrides the stream, and done() without text just clears the line', () => {
    const { stream, writes } = sink(false);
    const p = createProgress({ stream, isTTY: true });
    p.update('x');
    p.done();
    expect(writes).toEqual(['\rx\x1b[K', '\r\x1b[K']);
  });

  it('rejects a bad interval before anything is written', () => {
    const { stream, writes } = sink(false);
    expect(() => createProgress({ stream, intervalMs: -1 })).toThrow(expect.objectContaining({ code: 'FLEETBED_PROGRESS_OPTIONS_INVALID' }));
    expect(writes).toEqual([]);
  });
});
