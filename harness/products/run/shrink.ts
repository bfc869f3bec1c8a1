import type { ResolvedScenario } from '../../core/scenario/types.ts';
import { applyOverrides } from '../../core/scenario/overrides.ts';
import { formatDuration } from '../../core/scenario/duration.ts';

/**
 * The next smaller versions of a failing scenario to try, same seed: halve the
 * devices first (down to 10), then the simulated days (down to 1). Faults keep
 * their times; a fault that falls outside the shorter run simply never fires,
 * and if the failure needed it, the shorter run passes and is not kept. Each
 * step is what `--devices N --duration D` make of `s`, which its replay line says.
 */
export function shrinkSteps(s: ResolvedScenario): ResolvedScenario[] {
  const out: ResolvedScenario[] = [];
  let devices = s.fleet.devices;
  let days = Math.max(1, Math.ceil(s.durationSeconds / 86_400));
  while (devices > 10 || days > 1) {
    if (devices > 10) devices = Math.max(10, Math.floor(devices / 2));
    else days = Math.max(1, Math.floor(days / 2));
    // Through the overrides `--devices` and `--duration` apply, so the replay line of a step reproduces it.
    out.push(applyOverrides(s, { devices, duration: formatDuration(days * 86_400) }));
  }
  return out;
}
