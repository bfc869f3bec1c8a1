import type { Fleet } from '../../../simulators/fleet.ts';
import { evaluateThresholds } from '../../core/thresholds/evaluate-thresholds.ts';
import { constantSchedule, type Schedule } from './arrivals.ts';
import type { DiurnalCurve } from '../../../reports/load-summary.ts';
import { devicesAt } from './diurnal.ts';
import { playSchedule, type PlayResult } from './engine.ts';
import { LoadMeasure, round } from './measure.ts';
import { generatorHealth } from './generator-health.ts';
import { NaturalSyncs } from './natural-syncs.ts';
import type { LoadObserver } from './run-load.ts';
import type { FindMaxResult, FindMaxStep } from '../../../reports/load-summary.ts';
import type { SyncDriver } from './sync-driver.ts';
import type { ResolvedLoadPlan } from './types.ts';

/**
 * `--find-max`: hold constant rates (open model) of `startRate`, ×`factor`, … until one
 * breaks the SLO, then bisect between the last rate that held and the first that broke
 * until the bracket is narrower than `precision` of its top. A step holds when every SLO
 * expression passes, at least 95 % of the target rate was achieved and no more than 1 % of
 * arrivals waited for a free in-flight slot. Arrivals the generator started late (a busy
 * generator or a busy host) do not fail a step by themselves: their latency is counted from
 * the intended time, so a step that holds despite them holds. A step that breaks while the
 * generator saturated ends the search, flagged `limitedByGenerator`: the platform may not be
 * what broke, and above it nothing is known.
 * Returns the best step's measure (the report's latency and timeline) and the
 * highest sustained rate in fleet terms, with the behaviour model's peak factor.
 */
export async function findMax(fleet: Fleet, driver: SyncDriver, plan: ResolvedLoadPlan, curve: DiurnalCurve, observer?: LoadObserver): Promise<{ result: FindMaxResult; measure: LoadMeasure; played: PlayResult; schedule: Schedule }> {
  const f = plan.findMax;
  const natural = new NaturalSyncs(fleet);
  // The natural sequence continues after whatever the driver already played (nothing, for find-max).
  const steps: FindMaxStep[] = [];
  let best: { rate: number; step: FindMaxStep; measure: LoadMeasure; played: PlayResult; schedule: Schedule } | undefined;
  let last: { measure: LoadMeasure; played: PlayResult; schedule: Schedule } | undefined;
  let limitedByGenerator = false;
  const tryRate = async (rate: number, phase: FindMaxStep['phase']): Promise<boolean> => {
    const schedule = constantSchedule(fleet, natural, round(rate, 2), f.stepMs);
    const measure = new LoadMeasure();
    const played = await playSchedule(schedule, driver, measure, { maxInFlight: plan.maxInFlight, lateStartMs: plan.lateStartMs, ...(observer?.window ? { onWindow: observer.window } : {}) });
    const seconds = Math.max(played.wallMs, schedule.durationMs) / 1000;
    const achieved = played.completed / seconds;
    const stored = measure.metrics.metric('records_stored');
    const gen = generatorHealth(played, measure);
    const generatorSaturated = gen.saturated;
    const failed = evaluateThresholds(plan.slo, measure.metrics).filter((t) => t.verdict === 'fail').map((t) => `${t.metric} ${t.expression} (actual ${round(t.actual, 3)})`);
    if (achieved < 0.95 * rate) failed.push(`achieved ${round(achieved, 1)} of ${round(rate, 1)} syncs/s`);
    if (measure.lateStartsAtCap > 0.01 * played.started) failed.push(`${measure.lateStartsAtCap} arrivals could not start in time`);
    const generatorNote = `the generator saturated: ${gen.late} of ${played.started} arrivals started over ${plan.lateStartMs} ms late with slots free, ${round(gen.cores, 2)} cores, busiest second ${round(gen.busiestSecond * 100, 0)} % of a core`;
    if (failed.length > 0 && generatorSaturated) failed.push(generatorNote);
    const step: FindMaxStep = {
      phase,
      targetSyncsPerSecond: round(rate, 2),
      achievedSyncsPerSecond: round(achieved, 2),
      recordsPerSecond: round((stored?.type === 'counter' ? stored.count : 0) / seconds, 1),
      p99Ms: round(measure.metrics.trend('upload_duration').percentile(99), 2),
      errorRate: round(measure.errorRate(), 5),
      couldNotStartInTime: measure.lateStarts,
      generatorSaturated,
      pass: failed.length === 0,
      ...(failed.length ? { reason: failed.join('; ') } : {}),
    };
    steps.push(step);
    observer?.findMaxStep?.(step);
    last = { measure, played, schedule };
    if (step.pass && (!best || rate > best.rate)) best = { rate, step, measure, played, schedule };
    if (generatorSaturated && !step.pass) limitedByGenerator = true;
    return step.pass;
  };

  let lo = 0;
  let hi: number | undefined;
  for (let rate = f.startRate; rate <= f.maxRate; rate *= f.factor) {
    if (await tryRate(rate, 'ramp')) lo = rate;
    else {
      hi = rate;
      break;
    }
  }
  if (hi !== undefined && !limitedByGenerator && lo > 0) {
    let top: number = hi;
    while ((top - lo) / top > f.precision) {
      const mid: number = (lo + top) / 2;
      if (await tryRate(mid, 'bisect')) lo = mid;
      else {
        top = mid;
        if (limitedByGenerator) break;
      }
    }
    hi = top;
  }
  const max = best?.step.targetSyncsPerSecond ?? 0;
  const devicesAtPeak = devicesAt(curve, max, curve.peakFactor);
  const devicesAt0700 = devicesAt(curve, max, curve.morningFactor);
  const hh = String(curve.peakHour).padStart(2, '0');
  const result: FindMaxResult = {
    slo: { ...plan.slo },
    steps,
    maxSyncsPerSecond: max,
    recordsPerSecond: best?.step.recordsPerSecond ?? 0,
    p99Ms: best?.step.p99Ms ?? 0,
    kneeSyncsPerSecond: hi === undefined ? null : round(hi, 2),
    limitedByGenerator,
    fleet: {
      peakFactor: curve.peakFactor,
      peakHour: curve.peakHour,
      devicesAtPeak,
      morningFactor: curve.morningFactor,
      devicesAt0700,
      text:
        max > 0
          ? `sustains ${max} syncs/s (${best!.step.recordsPerSecond} records/s) within the SLO: holds about ${devicesAt0700.toLocaleString('en-US')} devices at the 07:00 peak (${curve.morningFactor}× the day's mean sync rate) and ${devicesAtPeak.toLocaleString('en-US')} at the busiest hour, ${hh}:00 (${curve.peakFactor}×), at ${curve.syncsPerDevicePerDay} syncs per device per day`
          : `no rate from ${f.startRate} syncs/s up met the SLO`,
    },
  };
  const shown = best ?? last!;
  return { result, measure: shown.measure, played: shown.played, schedule: shown.schedule };
}
