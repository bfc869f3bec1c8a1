import type { ThresholdResult } from '../../../reports/types.ts';
import { ThresholdError } from './errors.ts';
import { AGGREGATIONS_BY_TYPE, type MetricSnapshot, type MetricSource, type MetricType } from './metrics.ts';
import { compare, parseThreshold, type ParsedThreshold } from './parse-threshold.ts';

/** A {@link ThresholdResult}, plus why it could not be measured when that is the case. */
export interface ThresholdEvaluation extends ThresholdResult {
  /** Set when the metric is missing or does not support the aggregation; the verdict is then fail and `actual` NaN. */
  problem?: string;
}

/**
 * Evaluate k6-style thresholds (`{ http_req_duration: ['p(99)<250'] }`) against `source`,
 * one result per expression, in the order given. Never throws for a metric the run did
 * not record or an aggregation its type lacks: that expression fails, with `problem` saying
 * why (call {@link checkThresholdMetrics} before a run to catch those early). Throws
 * {@link ThresholdError} for an expression that does not parse.
 */
export function evaluateThresholds(thresholds: Readonly<Record<string, readonly string[]>>, source: MetricSource): ThresholdEvaluation[] {
  const out: ThresholdEvaluation[] = [];
  for (const [metric, expressions] of Object.entries(thresholds)) {
    for (const expression of expressions) {
      const parsed = parseThreshold(expression);
      const snapshot = source.metric(metric);
      if (snapshot === undefined) {
        out.push({ metric, expression, verdict: 'fail', actual: Number.NaN, problem: `no metric ${JSON.stringify(metric)} was recorded (recorded: ${source.names().join(', ') || 'none'})` });
        continue;
      }
      const problem = unsupported(parsed, snapshot.type);
      if (problem) {
        out.push({ metric, expression, verdict: 'fail', actual: Number.NaN, problem });
        continue;
      }
      const actual = measure(parsed, snapshot);
      out.push({ metric, expression, verdict: compare(actual, parsed.operator, parsed.value) ? 'pass' : 'fail', actual });
    }
  }
  return out;
}

/**
 * Before a run: every threshold parses, names a metric of `catalogue` and uses an
 * aggregation that metric's type supports. Throws {@link ThresholdError} otherwise.
 */
export function checkThresholdMetrics(thresholds: Readonly<Record<string, readonly string[]>>, catalogue: Readonly<Record<string, MetricType>>): void {
  for (const [metric, expressions] of Object.entries(thresholds)) {
    for (const expression of expressions) {
      const parsed = parseThreshold(expression);
      const type = catalogue[metric];
      if (type === undefined) throw new ThresholdError(expression, `the run records no metric ${JSON.stringify(metric)}; known metrics: ${Object.keys(catalogue).join(', ')}`, metric);
      const problem = unsupported(parsed, type);
      if (problem) throw new ThresholdError(expression, problem, metric);
    }
  }
}

function unsupported(parsed: ParsedThreshold, type: MetricType): string | undefined {
  const allowed = AGGREGATIONS_BY_TYPE[type] as readonly string[];
  if (allowed.includes(parsed.aggregation)) return undefined;
  const name = parsed.aggregation === 'p' ? 'p(N)' : parsed.aggregation;
  return `a ${type} metric has no ${name}; use ${allowed.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`;
}

function measure(parsed: ParsedThreshold, m: MetricSnapshot): number {
  switch (m.type) {
    case 'trend':
      switch (parsed.aggregation) {
        case 'avg':
          return m.avg;
        case 'min':
          return m.min;
        case 'max':
          return m.max;
        case 'med':
          return m.percentile(50);
        default:
          return m.percentile(parsed.percentile ?? 50);
      }
    case 'rate':
      return m.total === 0 ? 0 : m.trues / m.total;
    case 'counter':
      return m.count;
    case 'gauge':
      return m.value;
  }
}
