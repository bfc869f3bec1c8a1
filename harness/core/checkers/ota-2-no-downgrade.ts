import type { InvariantResult } from '../../../reports/types.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { h } from './_internals/ota-run.ts';
import { verdictOf } from './types.ts';

const ID = 'OTA-2';
const TITLE = INVARIANTS[ID];

/**
 * OTA-2 no downgrade, from the OTA engine's run: never an offer (or an
 * install) below the device's anti-rollback counter, nor of a version not
 * newer than the running one; no confirmed or running image below the
 * device's counter. `checked` = offers + downgrade candidates (devices that
 * asked while their counter was above the release's).
 */
export function checkNoDowngrade(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  for (const o of r.offers) {
    if (o.antiRollbackCounter < o.deviceCounter) f.add({ device: o.deviceId, expected: `no offer below the device's anti-rollback counter ${o.deviceCounter}`, found: `offered ${o.version} with counter ${o.antiRollbackCounter}`, detail: `at ${h(o.t)}, rollout ${o.rollout}` });
    else if (o.notNewer) f.add({ device: o.deviceId, expected: 'no offer of a version not newer than the running one', found: `offered ${o.version}`, detail: `at ${h(o.t)}, rollout ${o.rollout}` });
  }
  for (const a of r.attempts) {
    const counter = r.catalog.counter[a.image]!;
    if (a.reports.some((x) => x.state === 'confirmed') && counter < r.boot.antiRollback[a.d]!) {
      f.add({ device: r.fleet.deviceId(a.d), expected: 'a confirmed image is not below the counter', found: `confirmed image counter ${counter} < device counter ${r.boot.antiRollback[a.d]}` });
    }
  }
  for (let d = 0; d < r.boot.deviceCount; d++) {
    const running = r.boot.running(d);
    if (running >= 0 && r.catalog.counter[running]! < r.boot.antiRollback[d]! && r.boot.confirmedAt[d] !== 0) {
      f.add({ device: r.fleet.deviceId(d), expected: 'the running image is at or above the counter', found: `runs counter ${r.catalog.counter[running]} < ${r.boot.antiRollback[d]}` });
    }
  }
  return verdictOf(ID, TITLE, r.offers.length + r.downgradeAsks.length, f.witnesses, f.violations);
}
