export { parseThreshold, checkMetricName, compare, THRESHOLD_FORM, type ParsedThreshold, type ThresholdAggregation, type ThresholdOperator } from './parse-threshold.ts';
export { evaluateThresholds, checkThresholdMetrics, type ThresholdEvaluation } from './evaluate-thresholds.ts';
export { Metrics, Trend, Rate, Counter, Gauge, AGGREGATIONS_BY_TYPE, type MetricSnapshot, type MetricSource, type MetricType } from './metrics.ts';
export { ThresholdError, type ThresholdErrorCode } from './errors.ts';
