import type { InvariantResult } from '../../../reports/types.ts';
import { cohortBucket, percentToBuckets } from '../../../contract/ota-rollout.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { h } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-3';
const TITLE = INVARIANTS[ID];

/**
 * OTA-3 staged cohorts, from the OTA engine's run and the platform's rollout
 * status: every device joined a stage that had started, inside that stage's
 * cohort (the contract's cohortBucket) and cap, and a stage started only after
 * the previous one's gate passed at a monitor run ('advance' decision).
 * `checked` = devices that joined a rollout (first offers).
 */
export function checkStagedCohorts(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  let checked = 0;
  for (const track of r.rollouts) {
    if (!track) continue;
    const stages = r.ota.rollouts[track.index]!.stages;
    const perStage = stages.map(() => 0);
    for (let s = 1; s < stages.length; s++) {
      const started = track.stageStartedAt[s];
      if (started === null || started === undefined) continue;
      const passed = track.stagePassedAt[s - 1];
      const advanced = r.monitor.some((m) => m.t === started && m.rollouts.some((x) => x.rolloutId === track.rolloutId && x.decision === 'advance' && x.before.stageIndex === s - 1));
      if (passed === null || passed === undefined || passed > started || !advanced) {
        f.add({ expected: `stage ${s} starts only after stage ${s - 1}'s gate passed at a monitor run`, found: `stage ${s} started at ${h(started)}; stage ${s - 1} passed at ${passed === null || passed === undefined ? 'never' : h(passed)}; no monitor 'advance' decision at that time`, detail: `rollout ${track.index}` });
      }
    }
    for (const o of r.offers) {
      if (o.rollout !== track.index || !o.first) continue;
      checked++;
      const s = o.stageIndex;
      const stage = stages[s];
      const started = track.stageStartedAt[s];
      if (!stage || started === null || started === undefined || started > o.t) {
        f.add({ device: o.deviceId, expected: `a device joins stage ${s} only after it started`, found: `joined at ${h(o.t)}; stage started ${started === null || started === undefined ? 'never' : `at ${h(started)}`}`, detail: `rollout ${track.index}` });
        continue;
      }
      const bucket = cohortBucket(track.rolloutId, o.deviceId);
      if (bucket >= percentToBuckets(stage.percent ?? 100)) {
        f.add({ device: o.deviceId, expected: `cohort bucket below ${percentToBuckets(stage.percent ?? 100)} for stage ${s} (${stage.percent ?? 100} %)`, found: `bucket ${bucket}`, detail: `rollout ${track.index}, at ${h(o.t)}` });
      }
      for (let k = s; k < perStage.length; k++) perStage[k]!++;
      if (perStage[s]! > track.cohortSizes[s]!) {
        f.add({ device: o.deviceId, expected: `at most ${track.cohortSizes[s]} devices by stage ${s}`, found: `${perStage[s]} devices joined`, detail: `rollout ${track.index}, at ${h(o.t)}` });
      }
    }
  }
  return verdictOf(ID, TITLE, checked, f.witnesses, f.violations);
}
