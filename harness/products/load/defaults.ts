/** Defaults of a load plan, in one place (see resolve-load-plan.ts). */
export const LOAD_DEFAULTS = Object.freeze({
  seed: '1',
  devices: 1000,
  maxInFlight: 256,
  lateStartMs: 10,
  /** The SLO of `--find-max` when a plan names none. */
  slo: Object.freeze({ upload_duration: Object.freeze(['p(99)<500']), http_req_failed: Object.freeze(['rate<0.001']) }),
  findMax: Object.freeze({ startRate: 10, factor: 2, stepDuration: '10s', precision: 0.1, maxRate: 100_000 }),
  fleetDay: Object.freeze({ days: 1, compress: 288 }),
  herd: Object.freeze({ at: '07:00', share: 1 }),
  outage: Object.freeze({ from: '20:00', afterHours: 2, compress: 288 }),
});

/** The metrics a load run records, by k6 type: what thresholds and SLOs may name. */
export const LOAD_METRICS = Object.freeze({
  http_req_duration: 'trend',
  upload_duration: 'trend',
  token_duration: 'trend',
  sync_duration: 'trend',
  http_req_failed: 'rate',
  iterations: 'counter',
  dropped_iterations: 'counter',
  records_stored: 'counter',
  achieved_rate_ratio: 'gauge',
  generator_saturated: 'gauge',
} as const);
