/*
 * What the devices do in a simulated hour, as steps over the world's state
 * (world.ts): images run (and may go quiet), devices brush and sign sessions,
 * a device that got an offer runs its bootloader through the update and signs
 * a report after each step. No I/O and no wall clock: time is the simulated
 * seconds passed in, randomness the world's seeded `draw`.
 */
import { encodeOtaReport, otaReportSigningBytes, packSignedOtaReport } from '../../../contract/ota-report.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../../contract/record.ts';
import { batteryPct } from '../../../simulators/device.ts';
import { signWith } from '../../../simulators/device-keys.ts';
import { headIdOf } from '../../../simulators/heads.ts';
import { chunkArrivesCorrupt, EVENT, PHASE, reportDetail, reportState, stepBootloader, stepRunning, toOtaReport, type StepContext } from '../../../simulators/ota/index.ts';
import type { OtaAttempt } from './types.ts';
import type { OtaWorld } from './world.ts';

const HOUR = 3600;

/**
 * Step every target-line device's confirmed image through the hour that starts
 * at `hourS` (unix seconds): a first charge after the update is noted, and a
 * quiet-death image latches its onset here (hour resolution).
 */
export function stepRunningImages(w: OtaWorld, hourS: number): void {
  const { boot, catalog, draw, fleet, firstChargeAt, headTypes } = w;
  for (const d of w.eligible) {
    if (boot.confirmedAt[d] === 0 || boot.quietAt[d]) continue;
    if (firstChargeAt[d] === 0 && hourS > boot.confirmedAt[d]! && batteryPct(fleet, d, hourS) > batteryPct(fleet, d, hourS - HOUR) + 5) firstChargeAt[d] = hourS;
    stepRunning(boot, d, catalog, draw, { nowS: hourS, firstChargeAtS: firstChargeAt[d]!, batteryPct: batteryPct(fleet, d, hourS), headType: (headTypes[d] ?? null) as StepContext['headType'] });
  }
}

/** The sessions one household's devices brushed in hour `k` (starting at `hourS`): who brushed when, and the signed records (base64url). */
export interface HouseholdSessions {
  brushed: Array<{ d: number; at: number }>;
  records: string[];
}

/**
 * Household `household`'s devices in hour `k`: each device brushes at its
 * seeded hour (every `interval` hours) and signs a session; a bricked device
 * records nothing.
 */
export function brushHousehold(w: OtaWorld, household: number, k: number, hourS: number): HouseholdSessions {
  const { fleet, boot, catalog } = w;
  const d0 = fleet.hhFirstDevice[household]!;
  const d1 = fleet.hhFirstDevice[household + 1]!;
  const brushed: Array<{ d: number; at: number }> = [];
  const records: string[] = [];
  for (let d = d0; d < d1; d++) {
    if ((k + w.hourOffset[d]!) % w.interval !== 0) continue;
    if (boot.quietAt[d]) continue; // a bricked device records and reports nothing
    const at = hourS + w.secondOffset[d]!;
    const s: SessionRecord = {
      formatVersion: 1,
      clockReset: false,
      headChanged: false,
      deviceId: fleet.deviceId(d),
      seq: ++w.sessionSeq[d]!,
      startedAt: at,
      durationS: 120,
      zones: 0xff,
      pressureAlerts: 0,
      headId: headIdOf(fleet, d, 0),
      firmwareVersion: catalog.version[boot.running(d)]!,
      batteryPct: batteryPct(fleet, d, at),
    };
    const bytes = encodeSessionRecord(s);
    records.push(Buffer.from(packSignedRecord(bytes, signWith(w.keyOf(d), sessionRecordSigningBytes(bytes)))).toString('base64url'));
    brushed.push({ d, at });
  }
  return { brushed, records };
}

/** Whether device `d`'s bootloader is idle, so it acts on an offer (one mid-update does not). */
export function readyForUpdate(w: OtaWorld, d: number): boolean {
  return w.boot.phase[d] === PHASE.idle;
}

/** What one device's update did: whether a chunk arrived corrupted, the report states in order, and the device-signed reports for the phone to relay. */
export interface UpdateRun {
  corrupt: boolean;
  reports: OtaAttempt['reports'];
  /** The signed reports (base64url), one per bootloader step that reported. */
  signed: string[];
}

/**
 * Device `d`'s update to catalog image `image` of rollout `rolloutId` after an
 * offer, at device time `nowS`, event by event (what driveUpdate does): offer,
 * download chunk by chunk (a chunk may arrive corrupted), verify, install,
 * boot under the boot counter, confirm or roll back. Every step that reports
 * yields a report signed with the device's key.
 */
export function runUpdate(w: OtaWorld, d: number, image: number, rolloutId: string, nowS: number): UpdateRun {
  const { boot, catalog, draw, fleet } = w;
  const deviceId = fleet.deviceId(d);
  const stepCtx: StepContext = { catalog, draw, nowS, headType: (w.headTypes[d] ?? null) as StepContext['headType'] };
  const run: UpdateRun = { corrupt: false, reports: [], signed: [] };
  const step = (event: number, arg = 0) => {
    const code = stepBootloader(boot, d, event, arg, stepCtx);
    if (code) {
      const rep = toOtaReport(boot, d, code, { deviceId, rolloutId, nowS, catalog });
      run.reports.push({ state: reportState(code), detail: reportDetail(code), bootCount: rep.bootCount });
      const bytes = encodeOtaReport(rep);
      run.signed.push(Buffer.from(packSignedOtaReport(bytes, signWith(w.keyOf(d), otaReportSigningBytes(bytes)))).toString('base64url'));
    }
    return code;
  };
  step(EVENT.offer, image);
  if (boot.phase[d] === PHASE.downloading) {
    const img = catalog.image(image);
    for (let chunk = 0; chunk < img.chunkCount; chunk++) {
      const bad = chunkArrivesCorrupt(img.behaviour, draw, d, boot.attempts[d]!, chunk, img.chunkCount);
      if (bad) run.corrupt = true;
      step(EVENT.chunk, bad ? 1 : 0);
    }
    step(EVENT.verify);
    if (step(EVENT.install) !== 0) {
      const phase = (): number => boot.phase[d]!; // read afresh: every step changes it
      while (phase() === PHASE.trial && !boot.booted[d]) step(EVENT.boot);
      step(EVENT.confirm);
    }
  }
  return run;
}
