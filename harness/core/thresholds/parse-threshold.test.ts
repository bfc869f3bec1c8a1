import { describe, expect, it } from 'vitest';
import { ThresholdError } from './errors.ts';
import { parseThreshold } from './parse-threshold.ts';

describe('parseThreshold', () => {
  it.each([
    ['p(99)<250', { aggregation: 'p', percentile: 99, operator: '<', value: 250 }],
    ['p(95)<=100', { aggregation: 'p', percentile: 95, operator: '<=', value: 100 }],
    ['p(99.9) < 1e3', { aggregation: 'p', percentile: 99.9, operator: '<', value: 1000 }],
    ['avg<50', { aggregation: 'avg', operator: '<', value: 50 }],
    ['med<10', { aggregation: 'med', operator: '<', value: 10 }],
    ['min>0', { aggregation: 'min', operator: '>', value: 0 }],
    ['max<1000', { aggregation: 'max', operator: '<', value: 1000 }],
    ['rate<0.01', { aggregation: 'rate', operator: '<', value: 0.01 }],
    ['count>0', { aggregation: 'count', operator: '>', value: 0 }],
    ['count>=-1', { aggregation: 'count', operator: '>=', value: -1 }],
    ['value==3', { aggregation: 'value', operator: '==', value: 3 }],
    ['count===0', { aggregation: 'count', operator: '===', value: 0 }],
    ['rate != 1', { aggregation: 'rate', operator: '!=', value: 1 }],
  ])('%s', (expression, parsed) => {
    expect(parseThreshold(expression)).toEqual({ expression, ...parsed });
  });

  it.each([
    ['', 'it is empty'],
    ['p99<250', '"p99" is not an aggregation (did you mean "p(99)"?)'],
    ['p<250', '"p" is not an aggregation (a percentile is written p(N), e.g. "p(99)")'],
    ['mean<5', '"mean" is not an aggregation; use avg, min, max, med, p(N), rate, count or value'],
    ['p(101)<5', 'the percentile in "p(101)" must be a number from 0 to 100'],
    ['p()<5', 'the percentile in "p()" must be a number from 0 to 100'],
    ['avg 50', 'expected an operator (<, <=, >, >=, ==, ===, !=) after "avg", got "50"'],
    ['avg=50', 'expected an operator (<, <=, >, >=, ==, ===, !=) after "avg", got "=50"'],
    ['rate<', 'expected a number after "<", got the end'],
    ['rate<abc', 'expected a number after "<", got "abc"'],
    ['avg<50ms', 'unexpected "ms" after the number 50'],
    ['avg<50 && p(99)<10', 'unexpected "&& p(99)<10" after the number 50; one expression per string'],
  ])('rejects %j: %s', (expression, reason) => {
    let err: unknown;
    try {
      parseThreshold(expression);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ThresholdError);
    expect((err as ThresholdError).code).toBe('FLEETBED_THRESHOLD_INVALID');
    expect((err as ThresholdError).reason).toContain(reason);
    expect((err as ThresholdError).message).toContain(`threshold ${JSON.stringify(expression)} is not valid: `);
  });
});
