import hdr from 'hdr-histogram-js';
import type { RouteLatency, RouteName, WindowPoint } from '../../../reports/load-summary.ts';
import { Metrics, type Trend } from '../../core/thresholds/metrics.ts';

/** The routes a load run times, keyed by the name reports use. */
export const ROUTES: Readonly<Record<RouteName, string>> = Object.freeze({ upload: 'POST /v2/uploads', token: 'POST /v2/oauth/token' });

const windowHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 });

/**
 * Everything a measured phase records: per-route latency (k6 Trends, so HDR histograms,
 * and the thresholds read them), request outcomes by status and problem code, arrivals
 * that could not start in time, and a timeline of one-second windows.
 */
export class LoadMeasure {
  readonly metrics = new Metrics();
  readonly statuses: Record<string, number> = {};
  readonly timeline: WindowPoint[] = [];
  readonly #routes: Record<RouteName, Trend>;
  readonly #all: Trend;
  readonly #window = { upload: windowHistogram(), token: windowHistogram() };
  #w = { started: 0, completed: 0, errors: 0, requests: 0, recordsStored: 0, lagMaxMs: 0 };
  lateStarts = 0;
  /** Of the late starts, those that waited because every in-flight slot was taken (the platform was slow). */
  lateStartsAtCap = 0;
  readonly lag: Trend;

  constructor() {
    this.#routes = { upload: this.metrics.trend('upload_duration'), token: this.metrics.trend('token_duration') };
    this.#all = this.metrics.trend('http_req_duration');
    this.metrics.trend('sync_duration');
    this.metrics.rate('http_req_failed');
    this.metrics.counter('iterations');
    this.metrics.counter('dropped_iterations');
    this.metrics.counter('records_stored');
    this.metrics.gauge('achieved_rate_ratio');
    this.metrics.gauge('generator_saturated');
    this.lag = new Metrics().trend('lag');
  }

  /** A request of `route` ended after `ms` (from its intended time); `outcome` is the status (and problem code) or the network error code. */
  request(route: RouteName, ms: number, outcome: string, ok: boolean): void {
    const v = Math.max(0, ms);
    this.#routes[route].add(v);
    this.#all.add(v);
    this.#window[route].recordValue(Math.max(1, Math.round(v * 1000)));
    this.metrics.rate('http_req_failed').add(!ok);
    this.statuses[outcome] = (this.statuses[outcome] ?? 0) + 1;
    this.#w.requests++;
    if (!ok) this.#w.errors++;
  }

  started(lagMs: number, late: boolean, atCap: boolean): void {
    this.#w.started++;
    this.metrics.counter('iterations').add();
    this.lag.add(Math.max(0, lagMs));
    if (lagMs > this.#w.lagMaxMs) this.#w.lagMaxMs = lagMs;
    if (late) {
      this.lateStarts++;
      this.metrics.counter('dropped_iterations').add();
      if (atCap) this.lateStartsAtCap++;
    }
  }

  completed(syncMs: number, stored: number): void {
    this.#w.completed++;
    this.#w.recordsStored += stored;
    this.metrics.trend('sync_duration').add(Math.max(0, syncMs));
    this.metrics.counter('records_stored').add(stored);
  }

  /** Close the current one-second window. */
  closeWindow(t: number, target: number | null, inFlight: number, generatorCpu: number): WindowPoint {
    const p50: WindowPoint['p50'] = {};
    const p99: WindowPoint['p99'] = {};
    for (const r of Object.keys(this.#window) as RouteName[]) {
      const h = this.#window[r];
      if (h.totalCount > 0) {
        p50[r] = h.getValueAtPercentile(50) / 1000;
        p99[r] = h.getValueAtPercentile(99) / 1000;
      }
      h.reset();
    }
    const point: WindowPoint = { t, target, ...this.#w, inFlight, p50, p99, generatorCpu: round(generatorCpu, 3), lagMaxMs: round(this.#w.lagMaxMs, 1) };
    this.timeline.push(point);
    this.#w = { started: 0, completed: 0, errors: 0, requests: 0, recordsStored: 0, lagMaxMs: 0 };
    return point;
  }

  routeLatency(): RouteLatency[] {
    return (Object.keys(this.#routes) as RouteName[]).map((r) => {
      const t = this.#routes[r];
      const s = t.snapshot();
      return { route: ROUTES[r], count: s.count, p50: round(t.percentile(50), 3), p90: round(t.percentile(90), 3), p99: round(t.percentile(99), 3), p999: round(t.percentile(99.9), 3), max: round(s.max, 3) };
    });
  }

  /** Requests timed, and those that failed (what {@link errorRate} divides). */
  requestCounts(): { requests: number; failed: number } {
    const r = this.metrics.metric('http_req_failed');
    return r?.type === 'rate' ? { requests: r.total, failed: r.trues } : { requests: 0, failed: 0 };
  }

  /** Share of requests that failed. */
  errorRate(): number {
    const r = this.metrics.metric('http_req_failed');
    return r?.type === 'rate' && r.total > 0 ? r.trues / r.total : 0;
  }
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
