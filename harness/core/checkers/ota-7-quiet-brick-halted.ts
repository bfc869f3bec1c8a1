import { quietAfterSeconds } from '../../../contract/ota-rollout.ts';
import type { InvariantResult } from '../../../reports/types.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { h, isQuiet } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-7';
const TITLE = INVARIANTS[ID];

/**
 * What OTA-7 measures for rollout `i`: the onset — the time the gate's
 * minSample-th device that took the image went quiet (before that, the gate
 * cannot have its sample; null when fewer went quiet) —, how many went quiet,
 * and the time allowed from onset to halt: the silence a device with the
 * scenario's rhythm and history (baseline + time to onset) must keep before it
 * counts as quiet (contract/ota-rollout.ts quietAfterSeconds), plus one brushing
 * interval (its last session may precede the onset), one sync (the canary's
 * updates spread over one), the monitor cadence and one step.
 */
export function otaOnset(r: OtaRunRecord, i: number): { onset: number | null; quiet: number; limit: number } {
  const gate = r.ota.rollouts[i]!.gate;
  const times: number[] = [];
  for (const d of r.took[i]!.keys()) if (r.boot.quietAt[d]) times.push(Math.round(r.boot.quietAt[d]! - r.startMs / 1000));
  times.sort((a, b) => a - b);
  const onset = times.length >= gate.minSample ? times[gate.minSample - 1]! : null;
  const interval = (24 / r.ota.sessionsPerDay) * 3600;
  const intervals = Math.floor((r.ota.baselineSeconds + Math.max(0, onset ?? 0)) / interval);
  const tau = quietAfterSeconds(intervals, intervals * interval, interval);
  const limit = Math.ceil(tau / 3600) * 3600 + interval + r.ota.syncEverySeconds + r.ota.monitorEverySeconds + r.stepSeconds;
  return { onset, quiet: times.length, limit };
}

/**
 * OTA-7 a quietly bricking image is halted in time, from the OTA engine's run:
 * every rollout of an image that makes devices go quiet is halted by its onset
 * plus the limit ({@link otaOnset}); one that never halted fails once the run
 * lasted past that deadline. `checked` = devices that went quiet.
 */
export function checkQuietBrickHalted(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  let checked = 0;
  for (const track of r.rollouts) {
    if (!track || !isQuiet(r.ota.rollouts[track.index]!.image.behaviour)) continue;
    const { onset, quiet, limit } = otaOnset(r, track.index);
    checked += quiet;
    if (onset === null) continue; // fewer quiet devices than the gate's minimum sample: nothing the gate could see
    const deadline = onset + limit;
    if (track.haltAt === null) {
      if (r.simulatedSeconds >= deadline) {
        f.add({ expected: `halted by ${h(deadline)} (onset ${h(onset)} + ${h(limit)}: the silence test's quiet threshold + interval + sync + cadence + step)`, found: `never halted: ${quiet} devices went quiet; state ${track.status?.state ?? '?'} at the end (${h(r.simulatedSeconds)}), policy ${track.policy}`, detail: `rollout ${track.index}` });
      }
    } else if (track.haltAt > deadline) {
      f.add({ expected: `halted by ${h(deadline)} (onset ${h(onset)} + ${h(limit)})`, found: `halted at ${h(track.haltAt)}: ${h(track.haltAt - onset)} after onset`, detail: `rollout ${track.index}, ${track.haltReason}` });
    }
  }
  return verdictOf(ID, TITLE, checked, f.witnesses, f.violations);
}
