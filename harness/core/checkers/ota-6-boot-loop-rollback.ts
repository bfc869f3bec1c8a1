import type { InvariantResult } from '../../../reports/types.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { h, isBootLoop } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-6';
const TITLE = INVARIANTS[ID];

/**
 * OTA-6 boot-loop rollback, from the OTA engine's run and the platform's
 * rollout status: every update that installed an image which never came up
 * healthy was rolled back within the boot limit, its rollback report was
 * accepted, and the device runs its old bank again; a boot-looping rollout's
 * status counts the rollbacks the devices reported. `checked` = updates that
 * installed and never booted.
 */
export function checkBootLoopRollback(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  let checked = 0;
  const limit = r.boot.bootLimit;
  for (const a of r.attempts) {
    const installed = a.reports.some((x) => x.state === 'installed');
    const booted = a.reports.some((x) => x.state === 'booted');
    if (!installed || booted) continue;
    checked++;
    const rb = a.reports.find((x) => x.state === 'rolled-back');
    const id = r.fleet.deviceId(a.d);
    if (!rb) f.add({ device: id, expected: `a boot-looping image is rolled back within ${limit} boots`, found: `reports ${a.reports.map((x) => x.state).join(' → ')}`, detail: `at ${h(a.t)}` });
    else if (rb.bootCount > limit + 1) f.add({ device: id, expected: `rolled back by boot ${limit + 1}`, found: `rolled back after ${rb.bootCount} boots`, detail: `at ${h(a.t)}` });
    else if (a.rejected > 0) f.add({ device: id, expected: 'the platform accepts the device-signed rollback report', found: `${a.rejected} of its reports rejected`, detail: `at ${h(a.t)}` });
    if (r.boot.running(a.d) === a.image && !r.boot.confirmedAt[a.d]) f.add({ device: id, expected: 'the old bank runs again after the rollback', found: `still runs image ${a.image}` });
  }
  for (const track of r.rollouts) {
    if (!track || !isBootLoop(r.ota.rollouts[track.index]!.image.behaviour)) continue;
    const rolledBack = track.status?.counts['rolled-back'] ?? 0;
    const seen = r.attempts.filter((a) => a.rollout === track.index && a.reports.some((x) => x.state === 'rolled-back')).length;
    if (rolledBack !== seen) f.add({ expected: `the rollout status counts the ${seen} rollbacks the devices reported`, found: `status counts ${rolledBack} rolled-back`, detail: `rollout ${track.index}` });
  }
  return verdictOf(ID, TITLE, checked, f.witnesses, f.violations);
}
