import type { OtaRunRecord } from '../../ota/types.ts';

/** Simulated seconds as hours, for witnesses: `12.0 h`. */
export const h = (t: number): string => `${(t / 3600).toFixed(1)} h`;

/** Whether an image behaviour makes devices go quiet (a quiet death, or a head fault that hangs them). */
export const isQuiet = (b: { kind: string; effect?: unknown }): boolean => b.kind === 'quiet-death' || (b.kind === 'head-fault' && b.effect === 'quiet');

/** Whether an image behaviour makes devices boot-loop (directly, or through a head fault). */
export const isBootLoop = (b: { kind: string; effect?: unknown }): boolean => b.kind === 'boot-loop' || (b.kind === 'head-fault' && b.effect === 'boot-loop');

/** The stage each device joined rollout `rollout` in (the stage of its first offer), by device index. */
export function firstStages(r: OtaRunRecord, rollout: number): Map<number, number> {
  const firstStage = new Map<number, number>();
  for (const o of r.offers) if (o.rollout === rollout && o.first) firstStage.set(o.d, o.stageIndex);
  return firstStage;
}
