import type { InvariantResult, ScenarioMetrics, ScenarioResult, ThresholdResult, TimelinePoint } from '../../../reports/types.ts';
import { skipped } from '../../core/checkers/types.ts';
import { INVARIANTS } from '../../core/scenario/invariants.ts';
import type { ResolvedScenario } from '../../core/scenario/types.ts';
import { replayLine } from './replay.ts';

/** What a scenario's run produced for its result: the verdict is derived from the invariants and thresholds. */
export interface ScenarioRunParts {
  ledgerDigest: string;
  invariants: InvariantResult[];
  thresholds: ThresholdResult[];
  metrics: ScenarioMetrics;
  timeline: TimelinePoint[];
}

/** How a runner runs one scenario inside {@link runWithResult}. */
export interface ScenarioRunSpec<T> {
  /** Simulated seconds the run covers (whole days for a fleet run, whole hours for an OTA run). */
  simulatedSeconds: number;
  /** Extra replay flags (e.g. `--env url --target-url …`). */
  replayFlags?: string[] | undefined;
  /** Run the scenario: what goes into its result, and what the runner hands back beside it (the fleet run, the OTA record). May throw. */
  run: () => Promise<{ parts: ScenarioRunParts; extra: T }>;
  /** The timeline so far, for a run that stopped part-way. Default: none. */
  timelineSoFar?: () => TimelinePoint[];
  /** Called last, whether the run completed or not: stop what the run started. */
  cleanup?: () => Promise<void>;
}

/** The skip reason of every invariant of a scenario that did not run to the end. */
export const DID_NOT_FINISH = 'the scenario did not run to the end';

/** Rounded to two decimals, as the report's numbers are. */
export const round = (x: number): number => Math.round(x * 100) / 100;

/** Metrics of a run that measured nothing (every count 0). */
export function emptyMetrics(): ScenarioMetrics {
  return { uploads: 0, recordsProduced: 0, recordsStored: 0, duplicates: 0, late: 0, rejected: 0, lostAtDevice: 0, latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, count: 0 } };
}

/**
 * The result skeleton both `fleetbed run` runners share (the plain fleet run
 * and the OTA run): time the run, build the ScenarioResult around what it
 * produced (name, seed, replay line, wall time; `pass` only when no invariant
 * and no threshold failed), and turn an error that stopped it into a `fail`
 * with the error (`[code] message`) and every invariant skipped. `cleanup`
 * runs in every case. Never throws for a failing run.
 */
export async function runWithResult<T>(scenario: ResolvedScenario, spec: ScenarioRunSpec<T>): Promise<{ result: ScenarioResult; extra?: T }> {
  const started = performance.now();
  const base: ScenarioResult = {
    name: scenario.name,
    description: scenario.description,
    file: scenario.file,
    verdict: 'fail',
    seed: scenario.seed,
    devices: scenario.fleet.devices,
    simulatedSeconds: spec.simulatedSeconds,
    wallSeconds: 0,
    ledgerDigest: '',
    replay: replayLine(scenario, spec.replayFlags),
    invariants: [],
    thresholds: [],
    metrics: emptyMetrics(),
    timeline: [],
  };
  const wallSeconds = () => round((performance.now() - started) / 1000);
  try {
    const { parts, extra } = await spec.run();
    const failed = parts.invariants.some((i) => i.verdict === 'fail') || parts.thresholds.some((t) => t.verdict === 'fail');
    return { extra, result: { ...base, verdict: failed ? 'fail' : 'pass', wallSeconds: wallSeconds(), ...parts } };
  } catch (err) {
    const e = err as Error & { code?: string };
    return {
      result: {
        ...base,
        wallSeconds: wallSeconds(),
        invariants: scenario.invariants.map((id) => skipped(id, INVARIANTS[id], DID_NOT_FINISH)),
        timeline: spec.timelineSoFar?.() ?? [],
        error: `${e.code ? `[${e.code}] ` : ''}${e.message}`,
      },
    };
  } finally {
    await spec.cleanup?.();
  }
}
