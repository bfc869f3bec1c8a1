/*
 * What the devices do in a simulated hour, as steps over the world's state
 * (world.ts): images run (and may go quiet), devices brush and sign sessions,
 * a device that got an offer runs its bootloader through the update and signs
 * a report after each step. No I/O and no wall clock: time is the simulated
 * seconds passed in, randomness the world's seeded `draw`.
 */
import { encodeOtaReport, otaReportSigningBytes, packSignedOtaReport } from '../../../contract/ota-report.ts';
import { BRUSH_MODE_MAX, encodeSessionRecord, packSignedRecord, recordFormatFor, sessionRecordSigningBytes, type SessionRecord } from '../../../contract/record.ts';
import { batteryPct } from '../../../simulators/device.ts';
import { signWith } from '../../../simulators/device-keys.ts';
import { headIdOf } from '../../../simulators/heads.ts';
import { chunkArrivesCorrupt, EVENT, PHASE, reportDetail, reportState, stepBootloader, stepRunning, toOtaReport, type StepContext } from '../../../simulators/ota/index.ts';
import type { OtaAttempt } from './types.ts';
import { LINE_CODES } from '../../../simulators/lines.ts';
import { DAY_DRAW_OFFSET, TOPIC_BRUSH_MODE, TOPIC_SKIP_DAY, type OtaWorld } from './world.ts';

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

/** The sessions one household's devices brushed over a range of hours: who brushed (and when last), and the signed records (base64url), in time order per device. */
export interface HouseholdSessions {
  brushed: Array<{ d: number; at: number }>;
  records: string[];
}

/** Whether device `d` brushes in hour `j` (simulated hours since the rollouts' time 0; negative in the baseline). */
export function brushesInHour(w: OtaWorld, d: number, j: number): boolean {
  const iv = w.intervalOf[d]!;
  if ((((j + w.hourOffset[d]!) % iv) + iv) % iv !== 0) return false;
  return w.skipDayShare <= 0 || w.draw.unit(TOPIC_SKIP_DAY, d, Math.floor(j / 24) + DAY_DRAW_OFFSET) >= w.skipDayShare;
}

/**
 * Household `household`'s devices over hours `fromK`..`toK` (inclusive; hour
 * j starts at `startS` + j h): each device brushes at its seeded hour (every
 * interval hours) unless it skips the day, and signs a session; a bricked
 * device records nothing from the hour it went quiet. The running image is
 * the one it runs now: a device updates only when its phone syncs, after the
 * sessions since the last sync are uploaded.
 */
export function brushHousehold(w: OtaWorld, household: number, fromK: number, toK: number): HouseholdSessions {
  const { fleet, boot, catalog } = w;
  const d0 = fleet.hhFirstDevice[household]!;
  const d1 = fleet.hhFirstDevice[household + 1]!;
  const brushed: Array<{ d: number; at: number }> = [];
  const records: string[] = [];
  for (let d = d0; d < d1; d++) {
    let last = 0;
    for (let j = fromK; j <= toK; j++) {
      if (!brushesInHour(w, d, j)) continue;
      const hourS = w.startS + j * HOUR;
      if (boot.quietAt[d] && boot.quietAt[d]! <= hourS) break; // a bricked device records and reports nothing
      const at = hourS + w.secondOffset[d]!;
      // The running image decides the record format: a device updated across its line's
      // RECORD_FORMAT_2_SINCE writes format 2 from its next session (and format 1 again after a rollback).
      const firmwareVersion = catalog.version[boot.running(d)]!;
      const s: SessionRecord = {
        formatVersion: recordFormatFor(LINE_CODES[fleet.kind[d]! & 3]!, firmwareVersion),
        clockReset: false,
        headChanged: false,
        deviceId: fleet.deviceId(d),
        seq: ++w.sessionSeq[d]!,
        startedAt: at,
        durationS: 120,
        zones: 0xff,
        pressureAlerts: 0,
        headId: headIdOf(fleet, d, 0),
        firmwareVersion,
        batteryPct: batteryPct(fleet, d, at),
      };
      if (s.formatVersion === 2) s.brushMode = w.draw.u32(TOPIC_BRUSH_MODE, d, s.seq) % (BRUSH_MODE_MAX + 1);
      const bytes = encodeSessionRecord(s);
      records.push(Buffer.from(packSignedRecord(bytes, signWith(w.keyOf(d), sessionRecordSigningBytes(bytes)))).toString('base64url'));
      last = at;
    }
    if (last) brushed.push({ d, at: last });
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
