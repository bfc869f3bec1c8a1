import { describe, expect, it } from 'vitest';
import { checkThresholdMetrics, evaluateThresholds } from './evaluate-thresholds.ts';
import { Metrics } from './metrics.ts';

function sample(): Metrics {
  const m = new Metrics();
  const latency = m.trend('http_req_duration');
  for (let i = 1; i <= 1000; i++) latency.add(i / 10); // 0.1 … 100.0 ms
  const errors = m.rate('upload_errors');
  for (let i = 0; i < 200; i++) errors.add(i < 3); // 1.5 %
  m.counter('uploads').add(200);
  m.gauge('db_rows').set(42);
  return m;
}

describe('evaluateThresholds', () => {
  it('measures trends from the HDR histogram, rates, counts and gauges', () => {
    const results = evaluateThresholds(
      {
        http_req_duration: ['p(99)<250', 'p(50)<=50.1', 'avg<50', 'med<10', 'min>0', 'max<100'],
        upload_errors: ['rate<0.01'],
        uploads: ['count>0'],
        db_rows: ['value==42'],
      },
      sample(),
    );
    expect(results.map((r) => [r.metric, r.expression, r.verdict])).toEqual([
      ['http_req_duration', 'p(99)<250', 'pass'],
      ['http_req_duration', 'p(50)<=50.1', 'pass'],
      ['http_req_duration', 'avg<50', 'fail'],
      ['http_req_duration', 'med<10', 'fail'],
      ['http_req_duration', 'min>0', 'pass'],
      ['http_req_duration', 'max<100', 'fail'],
      ['upload_errors', 'rate<0.01', 'fail'],
      ['uploads', 'count>0', 'pass'],
      ['db_rows', 'value==42', 'pass'],
    ]);
    const actual = Object.fromEntries(results.map((r) => [r.expression, r.actual]));
    expect(actual['p(99)<250']).toBeCloseTo(99, 0);
    expect(Math.abs(actual['p(50)<=50.1']! - 50)).toBeLessThanOrEqual(0.05); // HDR: 3 significant digits
    expect(actual['avg<50']).toBeCloseTo(50.05, 6);
    expect(actual['min>0']).toBe(0.1);
    expect(actual['max<100']).toBe(100);
    expect(actual['rate<0.01']).toBe(0.015);
    expect(actual['count>0']).toBe(200);
  });

  it('fails, with the reason, a threshold on a metric never recorded or an aggregation its type lacks', () => {
    const [missing, wrong] = evaluateThresholds({ upload_duration: ['p(99)<250'], upload_errors: ['p(99)<1'] }, sample());
    expect(missing).toMatchObject({ verdict: 'fail', problem: expect.stringContaining('no metric "upload_duration" was recorded (recorded: http_req_duration, upload_errors, uploads, db_rows)') });
    expect(Number.isNaN(missing!.actual)).toBe(true);
    expect(wrong).toMatchObject({ verdict: 'fail', problem: 'a rate metric has no p(N); use rate' });
  });

  it('treats empty metrics as zero, like an empty histogram', () => {
    const m = new Metrics();
    m.trend('http_req_duration');
    m.rate('upload_errors');
    expect(evaluateThresholds({ http_req_duration: ['p(99)<250'], upload_errors: ['rate<0.01'] }, m).map((r) => [r.verdict, r.actual])).toEqual([
      ['pass', 0],
      ['pass', 0],
    ]);
  });

  it('summarises a trend the way reports want it', () => {
    const s = sample().trend('http_req_duration').summary();
    expect(s.count).toBe(1000);
    expect(s.max).toBe(100);
    expect(s.p90).toBeCloseTo(90, 0);
  });

  it('checks thresholds against a metric catalogue before a run', () => {
    const catalogue = { http_req_duration: 'trend', upload_errors: 'rate' } as const;
    expect(() => checkThresholdMetrics({ http_req_duration: ['p(99)<250'], upload_errors: ['rate<0.01'] }, catalogue)).not.toThrow();
    expect(() => checkThresholdMetrics({ http_req_durations: ['p(99)<250'] }, catalogue)).toThrow(
      'threshold http_req_durations: "p(99)<250" is not valid: the run records no metric "http_req_durations"; known metrics: http_req_duration, upload_errors',
    );
    expect(() => checkThresholdMetrics({ upload_errors: ['count>0'] }, catalogue)).toThrow('a rate metric has no count; use rate');
  });

  it('refuses to change a metric type, and negative trend values', () => {
    const m = sample();
    expect(() => m.rate('http_req_duration')).toThrow('metric "http_req_duration" is a trend, not a rate');
    expect(() => m.trend('x').add(-1)).toThrow(RangeError);
  });
});
