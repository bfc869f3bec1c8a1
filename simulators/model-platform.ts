import type { Fleet } from './fleet.ts';
import { PLATFORM_RULE_DEFAULTS, type PlatformRules, type RejectionCode, type Verdict } from './ledger.ts';

/** A verdict as the platform gives it. */
export interface ModelVerdict {
  verdict: Verdict;
  code?: RejectionCode;
}

const SEQ_BITS = 0x400_0000; // 2^26

/**
 * An in-process stand-in for the platform's ingestion rules (time window, then
 * exactly-once by device and seq), for pure runs without HTTP: the simulator's
 * own tests and the offline digest. It does not verify signatures — the
 * simulated phones never forge — and it is never used to judge a real platform.
 */
export class ModelPlatform {
  readonly #stored = new Set<number>();
  readonly #rules: PlatformRules;

  constructor(
    private readonly fleet: Fleet,
    rules: Partial<PlatformRules> = {},
  ) {
    this.#rules = { ...PLATFORM_RULE_DEFAULTS, ...rules };
  }

  judge(d: number, seq: number, startedAt: number, nowMs: number): ModelVerdict {
    const nowS = nowMs / 1000;
    if (nowS - startedAt > this.#rules.lateWindowSeconds) return { verdict: 'rejected', code: 'too-late' };
    if (startedAt - nowS > this.#rules.futureSkewSeconds) return { verdict: 'rejected', code: 'too-far-in-future' };
    const key = d * SEQ_BITS + seq;
    if (this.#stored.has(key)) return { verdict: 'duplicate' };
    this.#stored.add(key);
    return { verdict: 'stored' };
  }

  /** Records stored for device `d`: count, highest seq, and seq sum mod 2^32 (what the ledger compares). */
  storedOf(d: number): { count: number; max: number; sum: number } {
    let count = 0;
    let max = 0;
    let sum = 0;
    for (let s = 1; s <= this.fleet.seq[d]!; s++) {
      if (this.#stored.has(d * SEQ_BITS + s)) {
        count++;
        max = s;
        sum = (sum + s) % 0x1_0000_0000;
      }
    }
    return { count, max, sum };
  }
}
