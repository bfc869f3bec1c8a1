import type { InvariantResult } from '../../../reports/types.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { firstStages, h } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-5';
const TITLE = INVARIANTS[ID];

/** What OTA-5 measures for one rollout: devices that took (installed) the image, the canary cohort, the in-flight slack, the bound (canary + slack) and how many of the takers went quiet. */
export function blastRadiusOf(r: OtaRunRecord, i: number): { took: number; canary: number; slack: number; bound: number; bricked: number } {
  const track = r.rollouts[i];
  const took = r.took[i]!;
  if (!track) return { took: 0, canary: 0, slack: 0, bound: 0, bricked: 0 };
  const canary = track.cohortSizes[0] ?? 0;
  let slack = 0;
  if (track.haltAt !== null) {
    // In flight: devices of later stages offered after the last monitor run before the halt.
    const prev = Math.max(-1, ...r.monitor.filter((m) => m.t < track.haltAt!).map((m) => m.t));
    const firstStage = firstStages(r, i);
    for (const [d, t] of took) if (t > prev && t <= track.haltAt && (firstStage.get(d) ?? 0) > 0) slack++;
  }
  let bricked = 0;
  for (const d of took.keys()) if (r.boot.quietAt[d]) bricked++;
  return { took: took.size, canary, slack, bound: canary + slack, bricked };
}

/**
 * OTA-5 blast radius, from the OTA engine's run: for every rollout of a bad
 * image, the devices that took it ≤ the canary cohort plus the in-flight
 * slack ({@link blastRadiusOf}). The first witness sums it up; then up to 19
 * devices beyond the canary. `checked` = devices that took a bad image.
 */
export function checkBlastRadius(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  let checked = 0;
  for (const track of r.rollouts) {
    if (!track) continue;
    const b = r.ota.rollouts[track.index]!.image.behaviour;
    if (b.kind === 'good') continue;
    const br = blastRadiusOf(r, track.index);
    checked += br.took;
    if (br.took > br.bound) {
      const firstStage = firstStages(r, track.index);
      const beyond = [...r.took[track.index]!].filter(([d]) => (firstStage.get(d) ?? 0) > 0);
      const excess = br.took - br.bound;
      const summary = `${br.took} devices took the ${b.kind} image ${r.ota.rollouts[track.index]!.image.version}; canary cohort ${br.canary} + in-flight ${br.slack} = ${br.bound}`;
      for (const [d, t] of beyond.slice(0, Math.min(excess, 19))) {
        f.add({ device: r.fleet.deviceId(d), expected: `the bad image stays within the canary cohort (${br.canary}) plus in-flight (${br.slack})`, found: `took it at ${h(t)} in stage ${firstStage.get(d)}`, detail: summary });
      }
      f.violations += Math.max(0, excess - Math.min(excess, 19));
      f.witnesses.unshift({ expected: `at most ${br.bound} devices take a bad image`, found: summary, detail: track.haltAt === null ? `the rollout never halted (state ${track.status?.state ?? '?'}, policy ${track.policy})` : `halted at ${h(track.haltAt)} in stage ${track.haltStage}` });
      f.witnesses.splice(20);
    }
  }
  return verdictOf(ID, TITLE, checked, f.witnesses, f.violations);
}
