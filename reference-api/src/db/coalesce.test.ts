import { describe, expect, it } from 'vitest';
import { Coalescer, groupedStatement, settleEach, type Settled } from './coalesce.ts';

/** A run function that records its batches and answers when released. */
function controlled<I, O>(answer: (i: I) => Settled<O>) {
  const batches: I[][] = [];
  const pending: Array<() => void> = [];
  const run = (items: I[]) => {
    batches.push(items);
    return new Promise<Settled<O>[]>((resolve) => pending.push(() => resolve(items.map(answer))));
  };
  const releaseNext = async () => {
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { run, batches, pending, releaseNext };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer (group commit)', () => {
  it('calls made in one event-loop turn share one batch; calls made while it runs share the next', async () => {
    const c = controlled<number, number>((i) => ({ ok: true, value: i * 10 }));
    const co = new Coalescer(c.run, { maxInFlight: 1, maxItems: 100 });
    const first = [1, 2, 3].map((i) => co.submit(i));
    await tick();
    expect(c.batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((i) => co.submit(i));
    await tick();
    expect(c.batches).toHaveLength(1); // the first batch still runs: 4 and 5 wait
    await c.releaseNext();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    expect(c.batches).toEqual([[1, 2, 3], [4, 5]]);
    await c.releaseNext();
    expect(await Promise.all(second)).toEqual([40, 50]);
    expect(co.stats).toEqual({ batches: 2, items: 5, largestBatch: 3 });
  });

  it('runs up to maxInFlight batches at once, no more', async () => {
    const c = controlled<number, number>((i) => ({ ok: true, value: i }));
    const co = new Coalescer(c.run, { maxInFlight: 2, maxItems: 1 });
    const all = [1, 2, 3, 4].map((i) => co.submit(i));
    await tick();
    expect(c.batches).toEqual([[1], [2]]);
    await c.releaseNext();
    expect(c.batches).toEqual([[1], [2], [3]]);
    await c.releaseNext();
    await c.releaseNext();
    await c.releaseNext();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4]);
  });

  it('keeps a batch within maxItems and maxWeight; one item heavier than maxWeight still goes alone', async () => {
    const c = controlled<number, number>((i) => ({ ok: true, value: i }));
    const co = new Coalescer(c.run, { maxInFlight: 1, maxItems: 3, weight: (i) => i, maxWeight: 10 });
    const all = [4, 4, 4, 1, 50, 1, 1, 1].map((i) => co.submit(i));
    await tick();
    for (let n = 0; n < 4; n++) await c.releaseNext();
    expect(c.batches).toEqual([[4, 4, 1], [4, 1, 1], [50], [1]]);
    expect(await Promise.all(all)).toEqual([4, 4, 4, 1, 50, 1, 1, 1]);
  });

  it('never puts incompatible items in one batch, and keeps the order of the others', async () => {
    const c = controlled<string, string>((i) => ({ ok: true, value: i }));
    // items are "group:name"; two items of one group are incompatible
    const co = new Coalescer(c.run, { maxInFlight: 1, maxItems: 10, compatible: (batch, i) => batch.every((b) => b[0] !== i[0]) });
    const all = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'].map((i) => co.submit(i));
    await tick();
    for (let n = 0; n < 3; n++) await c.releaseNext();
    expect(c.batches).toEqual([['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
    expect(await Promise.all(all)).toEqual(['a1', 'b1', 'a2', 'c1', 'a3', 'b2']);
  });

  it("an item's failure reaches only its caller; a failed run fails every caller of that batch, and the next batch still runs", async () => {
    let calls = 0;
    const co = new Coalescer<number, number>(
      async (items) => {
        if (++calls === 2) throw new Error('database went away');
        return items.map((i): Settled<number> => (i < 0 ? { ok: false, error: new Error(`bad ${i}`) } : { ok: true, value: i }));
      },
      { maxInFlight: 1, maxItems: 10 },
    );
    const [a, b] = [co.submit(1), co.submit(-1)];
    expect(await a).toBe(1);
    await expect(b).rejects.toThrow('bad -1');
    await expect(Promise.all([co.submit(2), co.submit(3)])).rejects.toThrow('database went away');
    expect(await co.submit(4)).toBe(4);
  });

  it('a run that answers the wrong number of items fails its callers instead of leaving them waiting', async () => {
    const co = new Coalescer<number, number>(async () => [], { maxInFlight: 1, maxItems: 10 });
    await expect(co.submit(1)).rejects.toThrow(/answered 0 of 1/);
  });

  it('settleEach settles each item on its own', async () => {
    const r = await settleEach([1, -1, 2], async (i) => {
      if (i < 0) throw new Error('no');
      return i * 2;
    });
    expect(r.map((x) => x.ok)).toEqual([true, false, true]);
    expect(r[0]).toEqual({ ok: true, value: 2 });
  });

  it('rejects nonsense options', () => {
    expect(() => new Coalescer(async () => [], { maxInFlight: 0, maxItems: 1 })).toThrow(/at least 1/);
  });
});

describe('groupedStatement (a batch statement with a per-item fallback)', () => {
  it('answers a batch with one statement; a failed batch is sent again item by item and only the bad item fails', async () => {
    const statements: number[][] = [];
    const g = groupedStatement(
      async (items: number[]) => {
        statements.push(items);
        if (items.includes(13)) throw new Error('unlucky 13');
        return items.map((i) => i * 2);
      },
      { maxInFlight: 1, maxItems: 100 },
    );
    expect(await Promise.all([1, 2, 3].map((i) => g.submit(i)))).toEqual([2, 4, 6]);
    expect(statements).toEqual([[1, 2, 3]]);

    statements.length = 0;
    const settled = await Promise.allSettled([4, 13, 5].map((i) => g.submit(i)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 8 },
      { status: 'rejected', reason: new Error('unlucky 13') },
      { status: 'fulfilled', value: 10 },
    ]);
    expect(statements).toEqual([[4, 13, 5], [4], [13], [5]]);
  });

  it('a batch whose connection broke is not sent again: it may have committed, every item fails with the connection error', async () => {
    const statements: number[][] = [];
    const lost = new Error('Connection terminated unexpectedly');
    const g = groupedStatement(
      async (items: number[]): Promise<number[]> => {
        statements.push(items);
        throw lost;
      },
      { maxInFlight: 1, maxItems: 100 },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((i) => g.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(settled.map((s) => (s as PromiseRejectedResult).reason)).toEqual([lost, lost, lost]);
    expect(statements).toEqual([[1, 2, 3]]);

    // The same for a server that says it is going away (SQLSTATE 57P01, admin shutdown).
    statements.length = 0;
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const h = groupedStatement(
      async (items: number[]): Promise<number[]> => {
        statements.push(items);
        throw shutdown;
      },
      { maxInFlight: 1, maxItems: 100 },
    );
    await Promise.allSettled([4, 5].map((i) => h.submit(i)));
    expect(statements).toEqual([[4, 5]]);
  });

  it('a lone item that fails is not sent twice', async () => {
    let calls = 0;
    const g = groupedStatement(
      async (_items: number[]): Promise<number[]> => {
        calls++;
        throw new Error('down');
      },
      { maxInFlight: 1, maxItems: 100 },
    );
    await expect(g.submit(1)).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});
