import hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../../../reports/types.ts';

/** k6's metric types: which aggregations a threshold may use on each. */
export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';

/** The aggregations each metric type supports (as in k6; a counter's per-second `rate` is not supported). */
export const AGGREGATIONS_BY_TYPE = Object.freeze({
  trend: Object.freeze(['avg', 'min', 'max', 'med', 'p'] as const),
  rate: Object.freeze(['rate'] as const),
  counter: Object.freeze(['count'] as const),
  gauge: Object.freeze(['value'] as const),
});

/** A read-only view of one metric at evaluation time. */
export type MetricSnapshot =
  | { type: 'trend'; count: number; min: number; max: number; avg: number; percentile(p: number): number }
  | { type: 'rate'; trues: number; total: number }
  | { type: 'counter'; count: number }
  | { type: 'gauge'; value: number };

/** Where thresholds read their numbers from. {@link Metrics} is one; a runner may adapt its own. */
export interface MetricSource {
  /** The metric named `name`, or `undefined` if the run never registered it. */
  metric(name: string): MetricSnapshot | undefined;
  /** Every registered metric name. */
  names(): readonly string[];
}

/** Trend values are stored in an HDR histogram as integers of this many units per 1 (0.001 resolution). */
const TREND_SCALE = 1000;

/**
 * A distribution of non-negative values (k6's Trend), e.g. request latency in ms.
 * Percentiles come from an HDR histogram (3 significant digits, 0.001 resolution);
 * count, min, max and avg are exact.
 */
export class Trend {
  readonly #histogram = hdr.build({ numberOfSignificantValueDigits: 3, autoResize: true });
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  add(value: number): void {
    if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`Trend.add: expected a finite number ≥ 0, got ${value}`);
    this.#histogram.recordValue(Math.round(value * TREND_SCALE));
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** The value at percentile `p` (0–100); 0 when empty. */
  percentile(p: number): number {
    return this.#count === 0 ? 0 : this.#histogram.getValueAtPercentile(p) / TREND_SCALE;
  }

  snapshot(): MetricSnapshot & { type: 'trend' } {
    const empty = this.#count === 0;
    return {
      type: 'trend',
      count: this.#count,
      min: empty ? 0 : this.#min,
      max: empty ? 0 : this.#max,
      avg: empty ? 0 : this.#sum / this.#count,
      percentile: (p: number) => this.percentile(p),
    };
  }

  /** p50/p90/p99/max/count, the shape of the report's latency summary. */
  summary(): LatencySummary {
    const s = this.snapshot();
    return { p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), max: s.max, count: s.count };
  }
}

/** The share of true outcomes (k6's Rate), e.g. the share of uploads that failed. 0 when empty. */
export class Rate {
  trues = 0;
  total = 0;
  add(outcome: boolean): void {
    this.total++;
    if (outcome) this.trues++;
  }
  snapshot(): MetricSnapshot & { type: 'rate' } {
    return { type: 'rate', trues: this.trues, total: this.total };
  }
}

/** A running total (k6's Counter). */
export class Counter {
  count = 0;
  add(n = 1): void {
    if (!Number.isFinite(n)) throw new RangeError(`Counter.add: expected a finite number, got ${n}`);
    this.count += n;
  }
  snapshot(): MetricSnapshot & { type: 'counter' } {
    return { type: 'counter', count: this.count };
  }
}

/** The last value set (k6's Gauge). */
export class Gauge {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  snapshot(): MetricSnapshot & { type: 'gauge' } {
    return { type: 'gauge', value: this.value };
  }
}

type AnyMetric = Trend | Rate | Counter | Gauge;
const CLASSES = { trend: Trend, rate: Rate, counter: Counter, gauge: Gauge } as const;

/**
 * A registry of named metrics: `metrics.trend('http_req_duration').add(12.5)`,
 * `metrics.rate('upload_errors').add(failed)`, `metrics.counter('uploads').add()`.
 * Asking for a name under another type than it was first registered with throws.
 */
export class Metrics implements MetricSource {
  readonly #metrics = new Map<string, AnyMetric>();

  trend(name: string): Trend {
    return this.#get(name, 'trend');
  }
  rate(name: string): Rate {
    return this.#get(name, 'rate');
  }
  counter(name: string): Counter {
    return this.#get(name, 'counter');
  }
  gauge(name: string): Gauge {
    return this.#get(name, 'gauge');
  }

  metric(name: string): MetricSnapshot | undefined {
    return this.#metrics.get(name)?.snapshot();
  }

  names(): readonly string[] {
    return [...this.#metrics.keys()];
  }

  #get<T extends MetricType>(name: string, type: T): InstanceType<(typeof CLASSES)[T]> {
    let m = this.#metrics.get(name);
    if (m === undefined) {
      m = new CLASSES[type]();
      this.#metrics.set(name, m);
    } else if (!(m instanceof CLASSES[type])) {
      throw new TypeError(`metric ${JSON.stringify(name)} is a ${m.snapshot().type}, not a ${type}`);
    }
    return m as InstanceType<(typeof CLASSES)[T]>;
  }
}
