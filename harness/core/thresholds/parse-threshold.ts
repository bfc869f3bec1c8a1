import { ThresholdError } from './errors.ts';

/** The aggregations of k6 thresholds; `p` is `p(N)`. */
export type ThresholdAggregation = 'avg' | 'min' | 'max' | 'med' | 'p' | 'rate' | 'count' | 'value';
export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

/** A parsed threshold expression: `p(99)<250` is `{ aggregation: 'p', percentile: 99, operator: '<', value: 250 }`. */
export interface ParsedThreshold {
  expression: string;
  aggregation: ThresholdAggregation;
  /** For `p(N)`: N, from 0 to 100. */
  percentile?: number;
  operator: ThresholdOperator;
  value: number;
}

const AGGREGATIONS = ['avg', 'min', 'max', 'med', 'rate', 'count', 'value'] as const;
const OPERATORS: readonly ThresholdOperator[] = ['===', '==', '!=', '<=', '>=', '<', '>'];
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

/** What a threshold must look like, for error messages. */
export const THRESHOLD_FORM = 'a k6 threshold "<aggregation><operator><number>" such as "p(99)<250", "avg<50", "rate<0.01" or "count>0" (aggregations avg, min, max, med, p(N), rate, count, value; operators <, <=, >, >=, ==, ===, !=)';

/**
 * Parse one k6 threshold expression (`p(99)<250`, `p(95)<=100`, `avg<50`, `med<10`,
 * `min>0`, `max<1000`, `rate<0.01`, `count>0`). Spaces between the parts are allowed.
 * Throws {@link ThresholdError} (`FLEETBED_THRESHOLD_INVALID`) saying what was expected where.
 */
export function parseThreshold(expression: string): ParsedThreshold {
  if (typeof expression !== 'string') throw new ThresholdError(String(expression), `expected a string such as "p(99)<250", got ${typeof expression}`);
  function fail(reason: string): never {
    throw new ThresholdError(expression, reason);
  }
  let rest = expression.trim();
  if (rest.length === 0) fail(`it is empty; expected ${THRESHOLD_FORM}`);

  let aggregation: ThresholdAggregation;
  let percentile: number | undefined;
  const p = /^p\s*\(\s*([^)]*?)\s*\)/.exec(rest);
  if (p) {
    const n = Number(p[1]);
    if (p[1] === '' || !NUMBER.test(p[1]!) || !Number.isFinite(n) || n < 0 || n > 100) fail(`the percentile in "${p[0]}" must be a number from 0 to 100`);
    aggregation = 'p';
    percentile = n;
    rest = rest.slice(p[0].length);
  } else {
    const word = /^[A-Za-z_][A-Za-z0-9_.()]*/.exec(rest)?.[0] ?? '';
    const name = /^[A-Za-z_]+/.exec(rest)?.[0] ?? '';
    if ((AGGREGATIONS as readonly string[]).includes(name)) {
      aggregation = name as ThresholdAggregation;
      rest = rest.slice(name.length);
    } else {
      const shorthand = /^p(\d+(?:\.\d+)?)$/.exec(word.replace(/[()]/g, '')) ?? /^p(\d+(?:\.\d+)?)/.exec(word);
      const hint = shorthand ? ` (did you mean "p(${shorthand[1]})"?)` : name === 'p' ? ' (a percentile is written p(N), e.g. "p(99)")' : '';
      fail(`${word ? `"${word}" is not an aggregation` : `expected an aggregation at the start, got ${JSON.stringify(rest.slice(0, 10))}`}${hint}; use avg, min, max, med, p(N), rate, count or value`);
    }
  }
  rest = rest.trimStart();
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  const before = expression.trim().slice(0, expression.trim().length - rest.length).trimEnd();
  if (!operator) {
    fail(`expected an operator (<, <=, >, >=, ==, ===, !=) after "${before}", got ${rest ? JSON.stringify(rest) : 'the end'}`);
  }
  rest = rest.slice(operator.length).trimStart();
  const num = NUMBER.exec(rest);
  if (!num) fail(`expected a number after "${operator}", got ${rest ? JSON.stringify(rest) : 'the end'}`);
  const value = Number(num[0]);
  if (!Number.isFinite(value)) fail(`the number ${num[0]} is not finite`);
  const trailing = rest.slice(num[0].length).trim();
  if (trailing) fail(`unexpected ${JSON.stringify(trailing)} after the number ${num[0]}; one expression per string (list several in the metric's array)`);
  return percentile === undefined ? { expression, aggregation, operator, value } : { expression, aggregation, percentile, operator, value };
}

/** Metric names: what k6 allows for custom metrics, without sub-metric tags. */
export function checkMetricName(name: string): string | undefined {
  if (/\{/.test(name)) return 'sub-metrics (tag filters such as {status:200}) are not supported; record a separate metric instead';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) return 'a metric name: letters, digits and underscores, not starting with a digit, e.g. "http_req_duration"';
  return undefined;
}

/** Whether `actual` satisfies the comparison (`actual <op> value`). */
export function compare(actual: number, operator: ThresholdOperator, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
    case '===':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}
