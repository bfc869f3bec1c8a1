import type { DbFaultKind, FaultKind, ProxyFaultKind, ResolvedFault, ResolvedScenario, RestartFaultKind } from '../scenario/types.ts';
import type { DbFaultRule, DbFaults, DbLatencyRule } from './pg-fault-proxy.ts';
import { formatDuration } from '../scenario/duration.ts';
import type { FaultRule, Http5xxRule, LatencyRule, ProxyFaults } from './fault-proxy.ts';
import { keyedUnit } from './_internals/keyed-draw.ts';

/** Something the runner does at a simulated time. */
export interface ScheduledFault {
  /** Simulated seconds since the start. */
  at: number;
  /** Position of the entry in the scenario's `faults`. */
  index: number;
  fault: FaultKind;
  /**
   * `restart-api` / `restart-database`: call the environment's `restartApi()` / `restartDatabase()`;
   * `kill-api` / `kill-database`: its `killApi()` / `crashDatabase(params.mode)`.
   * `open` / `close`: a proxy fault window starts or ends (apply {@link FaultSchedule.proxyFaultsDuring}).
   */
  action: 'restart-api' | 'restart-database' | 'kill-api' | 'kill-database' | 'open' | 'close';
  /** One line for logs and reports: `restart-api at 12h (faults[0])`. */
  label: string;
}

const POINT_ACTION = {
  'restart-api': 'restart-api',
  'restart-postgres': 'restart-database',
  'kill-api': 'kill-api',
  'kill-postgres': 'kill-database',
} as const satisfies Record<RestartFaultKind, ScheduledFault['action']>;

const DB_KEY = {
  'db-latency': 'latency',
  'db-connection-reset': 'connectionReset',
  'db-reply-lost': 'replyLost',
} as const satisfies Record<DbFaultKind, keyof DbFaults>;

const PROXY_KEY = {
  latency: 'latency',
  'connection-reset': 'connectionReset',
  'http-5xx': 'http5xx',
  'drop-response-after-commit': 'dropResponseAfterCommit',
} as const satisfies Record<ProxyFaultKind, keyof ProxyFaults>;

/**
 * A scenario's fault timeline as actions at simulated times. Pure: the answer for a
 * window depends only on the timeline, the seed and the window, never on what was asked
 * before, so a run can be replayed or resumed from any point.
 *
 * Restarts are points: one happens if its seeded draw falls under its probability (a
 * restart with probability 1 always happens). The runner executes them through the
 * environment. Proxy faults are windows: while one is open its rule is in force in the
 * fault proxy, with the probability applying to each request.
 */
export class FaultSchedule {
  readonly #faults: readonly ResolvedFault[];
  readonly #seed: string;

  constructor(faults: readonly ResolvedFault[], seed: string) {
    this.#faults = [...faults].sort((a, b) => a.at - b.at || a.index - b.index);
    this.#seed = seed;
  }

  /** The schedule of a resolved scenario, under its seed (after any `--seed` override). */
  static of(scenario: ResolvedScenario): FaultSchedule {
    return new FaultSchedule(scenario.faults, scenario.seed);
  }

  /** Whether the restart at `faults[index]` happens (its seeded draw against its probability). */
  fires(fault: ResolvedFault): boolean {
    return fault.probability >= 1 || keyedUnit(this.#seed, 'restart', fault.index) < fault.probability;
  }

  /** Every action whose time falls in [t0, t1), in time order (then file order; a window closes before the next opens). */
  between(t0: number, t1: number): ScheduledFault[] {
    const out: ScheduledFault[] = [];
    for (const f of this.#faults) {
      const where = `(faults[${f.index}])`;
      if (f.durationSeconds === 0) {
        if (f.at >= t0 && f.at < t1 && this.fires(f)) {
          out.push({ at: f.at, index: f.index, fault: f.fault, action: POINT_ACTION[f.fault as RestartFaultKind], label: `${f.fault}${f.params.mode ? ` (${f.params.mode})` : ''} at ${formatDuration(f.at)} ${where}` });
        }
        continue;
      }
      const end = f.at + f.durationSeconds;
      if (f.at >= t0 && f.at < t1) out.push({ at: f.at, index: f.index, fault: f.fault, action: 'open', label: `${f.fault} from ${formatDuration(f.at)} to ${formatDuration(end)} ${where}` });
      if (end >= t0 && end < t1) out.push({ at: end, index: f.index, fault: f.fault, action: 'close', label: `${f.fault} ends at ${formatDuration(end)} ${where}` });
    }
    const order = { close: 0, 'restart-api': 1, 'restart-database': 1, 'kill-api': 1, 'kill-database': 1, open: 2 } as const;
    return out.sort((a, b) => a.at - b.at || order[a.action] - order[b.action] || a.index - b.index);
  }

  /**
   * The proxy settings for simulating [t0, t1): each proxy fault whose window overlaps the
   * step is set (the earliest, if two windows of one fault fall in the step), every other
   * is `null`, so `proxy.setFaults(schedule.proxyFaultsDuring(t0, t1))` replaces all. Each
   * rule carries `id: 'faults[i]'`, so its `count` budget spans the steps of its window.
   */
  proxyFaultsDuring(t0: number, t1: number): Required<{ [K in keyof ProxyFaults]: NonNullable<ProxyFaults[K]> | null }> {
    const out: Required<{ [K in keyof ProxyFaults]: NonNullable<ProxyFaults[K]> | null }> = { latency: null, connectionReset: null, http5xx: null, dropResponseAfterCommit: null };
    for (const f of this.#faults) {
      if (f.durationSeconds === 0 || !(f.at < t1 && t0 < f.at + f.durationSeconds) || f.fault in DB_KEY) continue;
      const key = PROXY_KEY[f.fault as ProxyFaultKind];
      if (out[key] !== null) continue;
      const { method, pathPrefix, ms, jitterMs, status } = f.params;
      const rule: FaultRule = { id: `faults[${f.index}]`, probability: f.probability, count: f.count };
      if (method !== undefined || pathPrefix !== undefined) rule.match = { ...(method !== undefined ? { method } : {}), ...(pathPrefix !== undefined ? { pathPrefix } : {}) };
      if (key === 'latency') out.latency = { ...rule, ms: ms ?? 0, jitterMs: jitterMs ?? 0 } satisfies LatencyRule;
      else if (key === 'http5xx') out.http5xx = { ...rule, status: status ?? 503 } satisfies Http5xxRule;
      else out[key] = rule;
    }
    return out;
  }

  /**
   * The database fault proxy's settings for simulating [t0, t1), as
   * {@link proxyFaultsDuring} gives the HTTP proxy's: each db-* fault whose window overlaps
   * the step is set, every other is `null`.
   */
  dbFaultsDuring(t0: number, t1: number): Required<{ [K in keyof DbFaults]: NonNullable<DbFaults[K]> | null }> {
    const out: Required<{ [K in keyof DbFaults]: NonNullable<DbFaults[K]> | null }> = { latency: null, connectionReset: null, replyLost: null };
    for (const f of this.#faults) {
      if (f.durationSeconds === 0 || !(f.fault in DB_KEY) || !(f.at < t1 && t0 < f.at + f.durationSeconds)) continue;
      const key = DB_KEY[f.fault as DbFaultKind];
      if (out[key] !== null) continue;
      const rule: DbFaultRule = { id: `faults[${f.index}]`, probability: f.probability, count: f.count };
      if (key === 'latency') out.latency = { ...rule, ms: f.params.ms ?? 0, jitterMs: f.params.jitterMs ?? 0 } satisfies DbLatencyRule;
      else out[key] = rule;
    }
    return out;
  }
}
