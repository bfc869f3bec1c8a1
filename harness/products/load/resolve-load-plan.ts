import { Check } from '../../core/scenario/_internals/check.ts';
import { deepFreeze } from '../../core/scenario/_internals/deep-freeze.ts';
import { parseSeed, SEED_EXPECTED } from '../../core/scenario/seed.ts';
import { checkThresholdMetrics } from '../../core/thresholds/evaluate-thresholds.ts';
import { ThresholdError } from '../../core/thresholds/errors.ts';
import { LOAD_DEFAULTS, LOAD_METRICS } from './defaults.ts';
import { parseRealDuration, parseTimeOfDay, REAL_DURATION_EXPECTED } from './_internals/real-duration.ts';
import type { ResolvedArrival, ResolvedLoadPlan } from './types.ts';

/** Most devices a load plan may ask for. */
export const MAX_LOAD_DEVICES = 1_000_000;
/** Longest real duration of one load phase (a day). */
export const MAX_LOAD_MS = 86_400_000;

const TOP = ['name', 'description', 'seed', 'fleet', 'arrival', 'maxInFlight', 'lateStartMs', 'thresholds', 'slo', 'findMax'] as const;
const SHAPES = ['constant', 'ramping', 'fleet-day', 'thundering-herd', 'outage-backlog', 'closed'] as const;
const SHAPE_FIELDS: Record<(typeof SHAPES)[number], readonly string[]> = {
  constant: ['shape', 'rate', 'duration'],
  ramping: ['shape', 'startRate', 'stages'],
  'fleet-day': ['shape', 'days', 'compress'],
  'thundering-herd': ['shape', 'at', 'over', 'share'],
  'outage-backlog': ['shape', 'from', 'hours', 'over', 'afterHours', 'compress'],
  closed: ['shape', 'concurrency', 'duration'],
};
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Fill the defaults of {@link LOAD_DEFAULTS} into `raw` and validate every field before
 * anything starts. Every independent mistake is reported at once: a {@link ScenarioError}
 * (`FLEETBED_SCENARIO_INVALID`, exit 2) naming `source`, the field path, the value and
 * what was expected. Returns a deeply frozen {@link ResolvedLoadPlan}.
 */
export function resolveLoadPlan(raw: unknown, source = '<inline>'): ResolvedLoadPlan {
  const c: Check = new Check(source);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) c.fail('', 'a load plan object (export default defineLoadPlan({ name, description, arrival, ... }))', raw);
  const s = c.object('', raw, TOP);
  const name = c.part(() => c.string('name', s.name, NAME, 'a kebab-case name such as "morning-peak" (lowercase letters, digits, single hyphens)'));
  const description = c.part(() => {
    if (typeof s.description !== 'string' || s.description.trim() === '') c.fail('description', 'a non-empty string saying what the load exercises', s.description);
    return s.description.trim();
  });
  const seed = c.part(() => {
    const seed = s.seed === undefined ? LOAD_DEFAULTS.seed : parseSeed(s.seed);
    if (seed === undefined) c.fail('seed', SEED_EXPECTED, s.seed);
    return seed;
  });
  const devices = c.part(() => {
    if (s.fleet === undefined) return LOAD_DEFAULTS.devices;
    const f = c.object('fleet', s.fleet, ['devices']);
    return f.devices === undefined ? LOAD_DEFAULTS.devices : c.integer('fleet.devices', f.devices, 1, MAX_LOAD_DEVICES);
  });
  const arrival = c.part(() => resolveArrival(c, s.arrival));
  const maxInFlight = c.part(() => (s.maxInFlight === undefined ? LOAD_DEFAULTS.maxInFlight : c.integer('maxInFlight', s.maxInFlight, 1, 65_536)));
  const lateStartMs = c.part(() => (s.lateStartMs === undefined ? LOAD_DEFAULTS.lateStartMs : c.integer('lateStartMs', s.lateStartMs, 1, 60_000)));
  const thresholds = c.part(() => resolveThresholds(c, 'thresholds', s.thresholds, {}));
  const slo = c.part(() => resolveThresholds(c, 'slo', s.slo, LOAD_DEFAULTS.slo));
  const findMax = c.part(() => {
    const d = LOAD_DEFAULTS.findMax;
    const f = s.findMax === undefined ? {} : c.object('findMax', s.findMax, ['startRate', 'factor', 'stepDuration', 'precision', 'maxRate']);
    const startRate = f.startRate === undefined ? d.startRate : positive(c, 'findMax.startRate', f.startRate, 1e6);
    const factor = f.factor === undefined ? d.factor : positive(c, 'findMax.factor', f.factor, 100);
    if (factor <= 1) c.fail('findMax.factor', 'a number above 1 (each ramp step multiplies the rate by it)', factor);
    const stepMs = duration(c, 'findMax.stepDuration', f.stepDuration ?? d.stepDuration);
    const precision = f.precision === undefined ? d.precision : positive(c, 'findMax.precision', f.precision, 1);
    const maxRate = f.maxRate === undefined ? d.maxRate : positive(c, 'findMax.maxRate', f.maxRate, 1e7);
    if (maxRate < startRate) c.fail('findMax.maxRate', `at least findMax.startRate (${startRate})`, maxRate);
    return { startRate, factor, stepMs, precision, maxRate };
  });
  c.done();
  return deepFreeze({
    name: name!,
    description: description!,
    file: source,
    seed: seed!,
    devices: devices!,
    arrival: arrival!,
    maxInFlight: maxInFlight!,
    lateStartMs: lateStartMs!,
    thresholds: thresholds!,
    slo: slo!,
    findMax: findMax!,
  });
}

function resolveArrival(c: Check, value: unknown): ResolvedArrival {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) c.fail('arrival', `an object with a shape: one of ${SHAPES.map((x) => JSON.stringify(x)).join(', ')}`, value);
  const shape = c.oneOf('arrival.shape', (value as { shape?: unknown }).shape, SHAPES);
  const a = c.object('arrival', value, SHAPE_FIELDS[shape], `a ${shape} arrival: fields ${SHAPE_FIELDS[shape].join(', ')}`);
  // Each field of the arrival is its own part, so every bad field is reported.
  const p = <T>(f: () => T) => c.part(f) as T;
  switch (shape) {
    case 'constant': {
      const rate = p(() => positive(c, 'arrival.rate', a.rate, 1e6));
      const durationMs = p(() => duration(c, 'arrival.duration', a.duration));
      return { shape, rate, durationMs };
    }
    case 'ramping': {
      const startRate = p(() => (a.startRate === undefined ? 0 : nonNegative(c, 'arrival.startRate', a.startRate, 1e6)));
      const stages = p(() => {
        const list = c.array('arrival.stages', a.stages, 'a non-empty list of { target, duration } stages');
        if (list.length === 0) c.fail('arrival.stages', 'a non-empty list of { target, duration } stages', list);
        return list.map((stage, i) => {
          const st = c.object(`arrival.stages[${i}]`, stage, ['target', 'duration']);
          return { target: p(() => nonNegative(c, `arrival.stages[${i}].target`, st.target, 1e6)), durationMs: p(() => duration(c, `arrival.stages[${i}].duration`, st.duration)) };
        });
      });
      return { shape, startRate, stages };
    }
    case 'fleet-day': {
      const days = p(() => (a.days === undefined ? LOAD_DEFAULTS.fleetDay.days : c.integer('arrival.days', a.days, 1, 30)));
      const compress = p(() => (a.compress === undefined ? LOAD_DEFAULTS.fleetDay.compress : positive(c, 'arrival.compress', a.compress, 86_400)));
      return { shape, days, compress };
    }
    case 'thundering-herd': {
      const atS = p(() => timeOfDay(c, 'arrival.at', a.at ?? LOAD_DEFAULTS.herd.at));
      const overMs = p(() => duration(c, 'arrival.over', a.over));
      const share = p(() => (a.share === undefined ? LOAD_DEFAULTS.herd.share : c.probability('arrival.share', a.share)));
      return { shape, atS, overMs, share };
    }
    case 'outage-backlog': {
      const fromS = p(() => timeOfDay(c, 'arrival.from', a.from ?? LOAD_DEFAULTS.outage.from));
      const hours = p(() => c.integer('arrival.hours', a.hours, 1, 72));
      const overMs = p(() => duration(c, 'arrival.over', a.over));
      const afterHours = p(() => (a.afterHours === undefined ? LOAD_DEFAULTS.outage.afterHours : c.integer('arrival.afterHours', a.afterHours, 0, 48)));
      const compress = p(() => (a.compress === undefined ? LOAD_DEFAULTS.outage.compress : positive(c, 'arrival.compress', a.compress, 86_400)));
      return { shape, fromS, hours, overMs, afterHours, compress };
    }
    case 'closed': {
      const concurrency = p(() => c.integer('arrival.concurrency', a.concurrency, 1, 65_536));
      const durationMs = p(() => duration(c, 'arrival.duration', a.duration));
      return { shape, concurrency, durationMs };
    }
  }
}

function resolveThresholds(c: Check, field: string, value: unknown, fallback: Readonly<Record<string, readonly string[]>>): Record<string, readonly string[]> {
  if (value === undefined) return { ...fallback };
  const t = c.object(field, value, Object.keys(LOAD_METRICS), `an object of metric name → list of k6 threshold expressions; metrics: ${Object.keys(LOAD_METRICS).join(', ')}`);
  const out: Record<string, readonly string[]> = {};
  for (const [metric, list] of Object.entries(t)) {
    if (!(metric in LOAD_METRICS)) continue; // already recorded by c.object
    c.part(() => {
      const exprs = c.array(`${field}.${metric}`, list, 'a list of k6 threshold expressions such as ["p(99)<500"]');
      exprs.forEach((e, i) => {
        c.part(() => {
          if (typeof e !== 'string') c.fail(`${field}.${metric}[${i}]`, 'a k6 threshold expression string such as "p(99)<500"', e);
          try {
            checkThresholdMetrics({ [metric]: [e] }, LOAD_METRICS);
          } catch (err) {
            if (err instanceof ThresholdError) c.fail(`${field}.${metric}[${i}]`, 'a k6 threshold that fits its metric', e, err.reason);
            throw err;
          }
        });
      });
      out[metric] = exprs as string[];
    });
  }
  return out;
}

function positive(c: Check, field: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !(value > 0 && value <= max)) c.fail(field, `a number above 0 and at most ${max}`, value);
  return value;
}

function nonNegative(c: Check, field: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= max)) c.fail(field, `a number from 0 to ${max}`, value);
  return value;
}

function duration(c: Check, field: string, value: unknown): number {
  const ms = parseRealDuration(value);
  if (ms === undefined) c.fail(field, REAL_DURATION_EXPECTED, value);
  if (ms > MAX_LOAD_MS) c.fail(field, 'at most 24h of real time', value);
  return ms;
}

function timeOfDay(c: Check, field: string, value: unknown): number {
  const s = parseTimeOfDay(value);
  if (s === undefined) c.fail(field, 'a virtual time of day "HH:MM" (UTC), such as "07:00"', value);
  return s;
}
