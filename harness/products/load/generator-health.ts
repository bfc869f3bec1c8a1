import type { PlayResult } from './engine.ts';
import type { LoadMeasure } from './measure.ts';

/** Whether the generator, not the platform, limited a measured phase, and what the late starts were. */
export interface GeneratorHealth {
  /** The generator's CPU over the phase, in cores. */
  cores: number;
  /** Its busiest one-second window, as a share of one core. */
  busiestSecond: number;
  /** Arrivals that started more than `lateStartMs` late with in-flight slots free. */
  late: number;
  /** The generator was the bottleneck: ≥ 0.9 cores over the phase, or many late starts in seconds it was busy. */
  saturated: boolean;
  /** Many late starts while the generator had headroom: the host (other processes) delayed it. */
  hostDelayed: boolean;
}

/** A generator-second at or above this share of a core is a busy one. */
const BUSY = 0.9;

/**
 * Judge the generator of a phase. Late starts alone do not make it the bottleneck: on a
 * shared host the event loop may wait for a core while the generator itself is idle.
 * They count against the generator only when it was busy (a second at ≥ 0.9 of a core);
 * otherwise they are reported as the host's delay. Either way their latency is counted
 * from the intended time, so the platform's figures include the delay.
 */
export function generatorHealth(played: PlayResult, m: LoadMeasure): GeneratorHealth {
  const cores = played.generatorCpuMicros / 1000 / Math.max(1, played.wallMs);
  const busiestSecond = m.timeline.reduce((x, p) => Math.max(x, p.generatorCpu), 0);
  const late = m.lateStarts - m.lateStartsAtCap;
  const many = late > Math.max(5, 0.01 * played.started);
  const saturated = cores >= BUSY || (many && busiestSecond >= BUSY);
  return { cores, busiestSecond, late, saturated, hostDelayed: many && !saturated };
}
