import type { InvariantResult } from '../../../reports/types.ts';
import { cohortBucket, percentToBuckets } from '../../../contract/ota-rollout.ts';
import { bankBytesAfter, releasePublicKey, verifyImage } from '../../../simulators/ota/index.ts';
import { Findings } from './_internals/findings.ts';
import { verdictOf } from './types.ts';
import { INVARIANTS, type InvariantId } from '../scenario/invariants.ts';
import type { OtaRunRecord } from '../ota/types.ts';

/**
 * The OTA checkers: pure functions of one engine run (harness/core/ota/types.ts). They
 * read the simulator's device state (banks, counters, quiet onsets), what the
 * harness saw (offers with their time and stage, updates with their signed
 * reports, monitor runs) and the platform's rollout status (GET /v2/ota/rollouts/:id).
 */
const h = (t: number) => `${(t / 3600).toFixed(1)} h`;
const isQuiet = (b: { kind: string; effect?: unknown }) => b.kind === 'quiet-death' || (b.kind === 'head-fault' && b.effect === 'quiet');
const isBootLoop = (b: { kind: string; effect?: unknown }) => b.kind === 'boot-loop' || (b.kind === 'head-fault' && b.effect === 'boot-loop');

/** OTA-1: no device runs (or ever installed) an image that failed signature or hash verification. */
export function checkOta1(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  const { boot, catalog, fleet } = r;
  for (let d = 0; d < boot.deviceCount; d++) {
    if (!boot.runningVerified(d)) f.add({ device: fleet.deviceId(d), expected: 'the running bank passed verification', found: `device runs image ${boot.running(d)} from a bank that never verified` });
  }
  let spot = 0;
  for (const a of r.attempts) {
    const failedVerify = a.corrupt || catalog.sourceVerdict[a.image] !== 'none';
    const installed = a.reports.some((x) => x.state === 'installed' || x.state === 'booted' || x.state === 'confirmed');
    if (failedVerify && installed) {
      f.add({ device: fleet.deviceId(a.d), expected: 'an image that fails verification is never installed or booted', found: `reports ${a.reports.map((x) => x.state).join(' → ')} after a download that ${a.corrupt ? 'arrived corrupted' : `fails at the source (${catalog.sourceVerdict[a.image]})`}`, detail: `at ${h(a.t)}, rollout ${a.rollout}` });
    }
    if (a.corrupt && spot < 3) {
      // Real crypto on real bytes: the bank as it arrived must fail verification.
      spot++;
      const img = catalog.image(a.image);
      const verdict = verifyImage(img.manifestBytes, img.signature, bankBytesAfter(img, [Math.min(img.chunkCount - 1, Math.floor(img.chunkCount / 2))]), [releasePublicKey()]);
      if (verdict === 'none') f.add({ device: fleet.deviceId(a.d), expected: 'a corrupted bank fails SHA-256 verification', found: 'verifyImage() accepted the corrupted bytes' });
    }
  }
  for (const o of r.offers) {
    if (!o.manifestMatches) f.add({ device: o.deviceId, expected: 'the offered manifest and signature are the signed release', found: `offer of ${o.version} carries other bytes`, detail: `at ${h(o.t)}` });
  }
  return verdictOf('OTA-1', INVARIANTS['OTA-1'], boot.deviceCount + r.attempts.length, f.witnesses, f.violations);
}

/** OTA-2: never an offer (or an install) below the device's anti-rollback counter, nor of a version not newer than the running one. */
export function checkOta2(r: OtaRunRecord): InvariantResult {
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
  return verdictOf('OTA-2', INVARIANTS['OTA-2'], r.offers.length + r.downgradeAsks.length, f.witnesses, f.violations);
}

/** OTA-3: every device joined a stage that had started, inside that stage's cohort and cap, and a stage started only after the previous one's gate passed at a monitor run. */
export function checkOta3(r: OtaRunRecord): InvariantResult {
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
  return verdictOf('OTA-3', INVARIANTS['OTA-3'], checked, f.witnesses, f.violations);
}

/** OTA-4: no offer after the rollout halted (not even to its members). */
export function checkOta4(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  for (const track of r.rollouts) {
    if (!track || track.haltAt === null) continue;
    for (const o of r.offers) {
      if (o.rollout === track.index && o.t > track.haltAt) {
        f.add({ device: o.deviceId, expected: `no offer after the halt at ${h(track.haltAt)}`, found: `offered ${o.version} at ${h(o.t)} (stage ${o.stageIndex})`, detail: `rollout ${track.index}` });
      }
    }
  }
  return verdictOf('OTA-4', INVARIANTS['OTA-4'], r.offers.length, f.witnesses, f.violations);
}

/** What OTA-5 measures for one rollout: devices that took (installed) the bad image, and the bound. */
export function blastRadiusOf(r: OtaRunRecord, i: number): { took: number; canary: number; slack: number; bound: number; bricked: number } {
  const track = r.rollouts[i];
  const took = r.took[i]!;
  if (!track) return { took: 0, canary: 0, slack: 0, bound: 0, bricked: 0 };
  const canary = track.cohortSizes[0] ?? 0;
  let slack = 0;
  if (track.haltAt !== null) {
    // In flight: devices of later stages offered after the last monitor run before the halt.
    const prev = Math.max(-1, ...r.monitor.filter((m) => m.t < track.haltAt!).map((m) => m.t));
    const firstStage = new Map<number, number>();
    for (const o of r.offers) if (o.rollout === i && o.first) firstStage.set(o.d, o.stageIndex);
    for (const [d, t] of took) if (t > prev && t <= track.haltAt && (firstStage.get(d) ?? 0) > 0) slack++;
  }
  let bricked = 0;
  for (const d of took.keys()) if (r.boot.quietAt[d]) bricked++;
  return { took: took.size, canary, slack, bound: canary + slack, bricked };
}

/** OTA-5: devices that took a bad image ≤ the canary cohort plus the in-flight slack. */
export function checkOta5(r: OtaRunRecord): InvariantResult {
  const f = new Findings();
  let checked = 0;
  for (const track of r.rollouts) {
    if (!track) continue;
    const b = r.ota.rollouts[track.index]!.image.behaviour;
    if (b.kind === 'good') continue;
    const br = blastRadiusOf(r, track.index);
    checked += br.took;
    if (br.took > br.bound) {
      const firstStage = new Map<number, number>();
      for (const o of r.offers) if (o.rollout === track.index && o.first) firstStage.set(o.d, o.stageIndex);
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
  return verdictOf('OTA-5', INVARIANTS['OTA-5'], checked, f.witnesses, f.violations);
}

/** OTA-6: every update that installed an image which never came up healthy was rolled back within the boot limit and runs a verified old bank. */
export function checkOta6(r: OtaRunRecord): InvariantResult {
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
  return verdictOf('OTA-6', INVARIANTS['OTA-6'], checked, f.witnesses, f.violations);
}

/**
 * OTA-7: a quietly bricking image is halted within window + monitor cadence + one
 * step of the onset — the time the gate's minSample-th device went quiet (before
 * that, the gate cannot have its sample).
 */
export function otaOnset(r: OtaRunRecord, i: number): { onset: number | null; quiet: number; limit: number } {
  const gate = r.ota.rollouts[i]!.gate;
  const times: number[] = [];
  for (const d of r.took[i]!.keys()) if (r.boot.quietAt[d]) times.push(Math.round(r.boot.quietAt[d]! - r.startMs / 1000));
  times.sort((a, b) => a - b);
  const limit = gate.windowSeconds + r.ota.monitorEverySeconds + r.stepSeconds;
  return { onset: times.length >= gate.minSample ? times[gate.minSample - 1]! : null, quiet: times.length, limit };
}

export function checkOta7(r: OtaRunRecord): InvariantResult {
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
        f.add({ expected: `halted by ${h(deadline)} (onset ${h(onset)} + window ${h(r.ota.rollouts[track.index]!.gate.windowSeconds)} + cadence + step)`, found: `never halted: ${quiet} devices went quiet; state ${track.status?.state ?? '?'} at the end (${h(r.simulatedSeconds)}), policy ${track.policy}`, detail: `rollout ${track.index}` });
      }
    } else if (track.haltAt > deadline) {
      f.add({ expected: `halted by ${h(deadline)} (onset ${h(onset)} + ${h(limit)})`, found: `halted at ${h(track.haltAt)}: ${h(track.haltAt - onset)} after onset`, detail: `rollout ${track.index}, ${track.haltReason}` });
    }
  }
  return verdictOf('OTA-7', INVARIANTS['OTA-7'], checked, f.witnesses, f.violations);
}

export const OTA_CHECKERS: Readonly<Partial<Record<InvariantId, (r: OtaRunRecord) => InvariantResult>>> = Object.freeze({
  'OTA-1': checkOta1,
  'OTA-2': checkOta2,
  'OTA-3': checkOta3,
  'OTA-4': checkOta4,
  'OTA-5': checkOta5,
  'OTA-6': checkOta6,
  'OTA-7': checkOta7,
});
