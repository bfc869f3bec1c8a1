/**
 * Group commit: concurrent calls that want the same kind of statement are sent
 * to PostgreSQL together, as one statement over a batch of items.
 *
 * - A statement's fixed cost (a round trip, locking and initialising every
 *   relation of a large CTE, a commit) is paid once per batch instead of once
 *   per request. Under load this is most of PostgreSQL's work for small
 *   uploads (measured by `npm run bench:ingest`).
 * - It adds no waiting when the database is idle. Items queue only while
 *   `maxInFlight` batches are already running. The queue is flushed when one
 *   finishes, and once per event-loop turn, so that requests parsed from the
 *   same socket reads share a statement.
 * - `compatible(batch, item)` keeps apart items that must not share a statement.
 *   An incompatible item waits for a later batch; the order of the others is kept.
 * - `run` answers every item of its batch, one result each, in order. A
 *   rejected item fails only its own caller.
 */

import { isConnectionLost } from './connection-lost.ts';

export interface CoalescerOptions<I> {
  /** Batches running at once (per process). */
  maxInFlight: number;
  /** Items per batch, at most. */
  maxItems: number;
  /** Weight of an item (e.g. its records); a batch holds at most maxWeight, or one item heavier than that. */
  weight?: (item: I) => number;
  maxWeight?: number;
  compatible?: (batch: readonly I[], item: I) => boolean;
}

export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Coalescer<I, O> {
  readonly #run: (items: I[]) => Promise<Settled<O>[]>;
  readonly #opts: CoalescerOptions<I>;
  #queue: Waiting<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;
  /** Batches sent and items carried, for tests and diagnostics. */
  readonly stats = { batches: 0, items: 0, largestBatch: 0 };

  constructor(run: (items: I[]) => Promise<Settled<O>[]>, opts: CoalescerOptions<I>) {
    if (!(opts.maxInFlight >= 1) || !(opts.maxItems >= 1)) throw new Error('Coalescer: maxInFlight and maxItems must be at least 1');
    this.#run = run;
    this.#opts = opts;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#opts.maxInFlight && this.#queue.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      this.stats.batches++;
      this.stats.items += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      this.#dispatch(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #dispatch(batch: Waiting<I, O>[]): Promise<void> {
    let results: Settled<O>[];
    try {
      results = await this.#run(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`Coalescer: run answered ${results.length} of ${batch.length} items`);
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r.ok) w.resolve(r.value);
      else w.reject(r.error);
    });
  }

  #take(): Waiting<I, O>[] {
    const { maxItems, weight, maxWeight = Infinity, compatible } = this.#opts;
    const batch: Waiting<I, O>[] = [];
    const items: I[] = [];
    const rest: Waiting<I, O>[] = [];
    let total = 0;
    for (const w of this.#queue) {
      const wt = weight ? weight(w.item) : 1;
      const fits = batch.length === 0 || (batch.length < maxItems && total + wt <= maxWeight && (!compatible || compatible(items, w.item)));
      if (fits) {
        batch.push(w);
        items.push(w.item);
        total += wt;
      } else rest.push(w);
    }
    this.#queue = rest;
    return batch;
  }
}

/** Run `fn` on each item separately, settling each on its own (the fallback when a batch statement fails). */
export async function settleEach<I, O>(items: I[], fn: (item: I) => Promise<O>): Promise<Settled<O>[]> {
  return Promise.all(
    items.map((item) =>
      fn(item).then(
        (value): Settled<O> => ({ ok: true, value }),
        (error: unknown): Settled<O> => ({ ok: false, error }),
      ),
    ),
  );
}

/**
 * A Coalescer over one batch statement: `statement(items)` answers every item
 * of a batch, in order. A batch whose statement the server refused is sent
 * again item by item, so that one item's failure (a taken email, a constraint)
 * lands on its own caller only. A batch whose connection broke is not: its
 * statement may have committed before the reply was lost, and sending it again
 * would write it twice (or trip its own unique keys), so every item fails with
 * the connection error and its caller answers "unavailable, retry".
 */
export function groupedStatement<I, O>(statement: (items: I[]) => Promise<O[]>, opts: CoalescerOptions<I>): Coalescer<I, O> {
  return new Coalescer<I, O>(async (items) => {
    if (items.length > 1) {
      try {
        return (await statement(items)).map((value): Settled<O> => ({ ok: true, value }));
      } catch (error) {
        if (isConnectionLost(error)) throw error;
        // Refused by the server, so nothing of it was written: each item on its own.
      }
    }
    return settleEach(items, async (item) => (await statement([item]))[0]!);
  }, opts);
}
