import type { InvariantResult } from '../../../reports/types.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { h } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-4';
const TITLE = INVARIANTS[ID];

/**
 * OTA-4 a halt stops offers, from the OTA engine's run: no offer of a rollout
 * after the harness first saw it halted (not even to its members).
 * `checked` = offers.
 */
export function checkHaltStopsOffers(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  for (const track of r.rollouts) {
    if (!track || track.haltAt === null) continue;
    for (const o of r.offers) {
      if (o.rollout === track.index && o.t > track.haltAt) {
        f.add({ device: o.deviceId, expected: `no offer after the halt at ${h(track.haltAt)}`, found: `offered ${o.version} at ${h(o.t)} (stage ${o.stageIndex})`, detail: `rollout ${track.index}` });
      }
    }
  }
  return verdictOf(ID, TITLE, r.offers.length, f.witnesses, f.violations);
}
