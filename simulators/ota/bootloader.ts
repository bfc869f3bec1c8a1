import type { HeadType } from '../../contract/head-id.ts';
import { OTA_REPORT_DETAILS, OTA_REPORT_STATES, type OtaReport, type OtaReportDetail, type OtaReportState } from '../../contract/ota-report.ts';
import { bootsHealthy, chunkArrivesCorrupt, goesQuiet, type DeviceConditions, type UnitDraw } from './behaviour.ts';
import type { ImageCatalog } from './image.ts';

/**
 * A dual-bank bootloader per device, as typed-array columns and a pure step
 * function. Bank `activeBank` runs; the other receives downloads. The rules:
 *
 * - an offer is refused (report `failed`) for another product line, an image
 *   whose anti-rollback counter is below the device's, or one not newer than
 *   what runs;
 * - chunks go to the inactive bank; when all arrived: `downloaded`;
 * - verify checks the release signature and the bank's SHA-256 against the
 *   manifest; only then is the bank marked verified (`verified`), otherwise it
 *   is erased (`failed`, signature-invalid or hash-mismatch) and the old bank
 *   keeps running;
 * - install switches to a VERIFIED bank only, for a trial boot (`installed`);
 * - every boot attempt of the trial bank increments the boot counter; past
 *   `bootLimit` the bootloader falls back to the old bank and erases the new
 *   one (`rolled-back`, boot-limit); a healthy boot reports `booted`;
 * - confirm, after a healthy boot, commits the bank and raises the
 *   anti-rollback counter to the image's (`confirmed`).
 *
 * So no device ever runs an image that failed verification (OTA-1), never
 * installs below its counter (OTA-2), and a boot-looping image is rolled back
 * within `bootLimit` boots (OTA-6). State is small integers; no clock and no
 * random source of its own: time comes in `ctx.nowS`, randomness from `ctx.draw`.
 */
export const PHASE = Object.freeze({ idle: 0, downloading: 1, downloaded: 2, verified: 3, trial: 4 });
export const EVENT = Object.freeze({ offer: 1, chunk: 2, verify: 3, install: 4, boot: 5, confirm: 6, abort: 7 });
export const DEFAULT_BOOT_LIMIT = 3;
export const NO_IMAGE = -1;

export class BootloaderState {
  readonly deviceCount: number;
  readonly bootLimit: number;
  /** Product line code of the device (PRODUCT_LINES index). */
  readonly line: Uint8Array;
  readonly phase: Uint8Array;
  readonly activeBank: Uint8Array;
  /** Image index held by bank b of device d at `2d + b` (NO_IMAGE: erased). */
  readonly bankImage: Int32Array;
  /** 1 when bank `2d + b` passed verification (or was flashed at the factory). */
  readonly bankVerified: Uint8Array;
  /** Image of the current (or last) update. */
  readonly target: Int32Array;
  readonly chunks: Uint32Array;
  /** 1 when a chunk of the current download arrived corrupted. */
  readonly corrupt: Uint8Array;
  /** Download attempts so far (draw counter). */
  readonly attempts: Uint32Array;
  readonly bootCount: Uint16Array;
  /** 1 when the trial bank has come up healthy. */
  readonly booted: Uint8Array;
  readonly antiRollback: Uint32Array;
  /** Seq of the last OTA report the device made. */
  readonly reportSeq: Uint32Array;
  /** Device time of the last confirm (0: never). */
  readonly confirmedAt: Uint32Array;
  /** Device time the running image went quiet (0: it has not). */
  readonly quietAt: Uint32Array;

  constructor(deviceCount: number, bootLimit = DEFAULT_BOOT_LIMIT) {
    if (!Number.isInteger(deviceCount) || deviceCount < 0) throw new RangeError(`deviceCount must be a non-negative integer, got ${deviceCount}`);
    if (!Number.isInteger(bootLimit) || bootLimit < 1 || bootLimit > 0xff) throw new RangeError(`bootLimit must be an integer in 1..255, got ${bootLimit}`);
    const n = deviceCount;
    this.deviceCount = n;
    this.bootLimit = bootLimit;
    this.line = new Uint8Array(n);
    this.phase = new Uint8Array(n);
    this.activeBank = new Uint8Array(n);
    this.bankImage = new Int32Array(2 * n).fill(NO_IMAGE);
    this.bankVerified = new Uint8Array(2 * n);
    this.target = new Int32Array(n).fill(NO_IMAGE);
    this.chunks = new Uint32Array(n);
    this.corrupt = new Uint8Array(n);
    this.attempts = new Uint32Array(n);
    this.bootCount = new Uint16Array(n);
    this.booted = new Uint8Array(n);
    this.antiRollback = new Uint32Array(n);
    this.reportSeq = new Uint32Array(n);
    this.confirmedAt = new Uint32Array(n);
    this.quietAt = new Uint32Array(n);
  }

  /** A device fresh from the factory: `factoryImage` flashed in bank 0, verified, counter at the image's. */
  initDevice(d: number, line: number, factoryImage: number, catalog: ImageCatalog): void {
    this.line[d] = line;
    this.activeBank[d] = 0;
    this.bankImage[2 * d] = factoryImage;
    this.bankVerified[2 * d] = 1;
    this.antiRollback[d] = catalog.counter[factoryImage]!;
  }

  /** Image the device runs. */
  running(d: number): number {
    return this.bankImage[2 * d + this.activeBank[d]!]!;
  }

  /** OTA-1 as a column check: the running bank passed verification. */
  runningVerified(d: number): boolean {
    return this.bankVerified[2 * d + this.activeBank[d]!] === 1;
  }
}

export interface StepContext {
  catalog: ImageCatalog;
  draw: UnitDraw;
  /** Device clock, unix seconds. */
  nowS: number;
  headType: HeadType | null;
}

/** A report as the step returns it: 0 for none, else state code (1..7) | detail code << 8. */
export type ReportCode = number;
const report = (state: OtaReportState, detail: OtaReportDetail = 'none'): ReportCode => (OTA_REPORT_STATES.indexOf(state) + 1) | (OTA_REPORT_DETAILS.indexOf(detail) << 8);
export const reportState = (code: ReportCode): OtaReportState => OTA_REPORT_STATES[(code & 0xff) - 1]!;
export const reportDetail = (code: ReportCode): OtaReportDetail => OTA_REPORT_DETAILS[code >>> 8]!;

/**
 * One event of device `d`'s bootloader. Events outside the phase they belong
 * to are ignored (0). Returns the report the device makes, if any, and then
 * its `reportSeq` is the report's seq.
 */
export function stepBootloader(s: BootloaderState, d: number, event: number, arg: number, ctx: StepContext): ReportCode {
  const c = ctx.catalog;
  const inactive = 2 * d + (s.activeBank[d]! ^ 1);
  const out = (code: ReportCode): ReportCode => {
    s.reportSeq[d]!++;
    return code;
  };
  const erase = () => {
    s.bankImage[inactive] = NO_IMAGE;
    s.bankVerified[inactive] = 0;
    s.phase[d] = PHASE.idle;
  };
  switch (event) {
    case EVENT.offer: {
      if (s.phase[d] !== PHASE.idle) return 0;
      s.target[d] = arg;
      if (c.line[arg] !== s.line[d]) return out(report('failed', 'incompatible'));
      if (c.counter[arg]! < s.antiRollback[d]!) return out(report('failed', 'rollback-refused'));
      if (c.version[arg]! <= c.version[s.running(d)]!) return out(report('failed', 'incompatible'));
      s.phase[d] = PHASE.downloading;
      s.chunks[d] = 0;
      s.corrupt[d] = 0;
      s.attempts[d]!++;
      s.bankImage[inactive] = NO_IMAGE;
      s.bankVerified[inactive] = 0;
      return 0;
    }
    case EVENT.chunk: {
      if (s.phase[d] !== PHASE.downloading) return 0;
      if (arg & 1) s.corrupt[d] = 1;
      if (++s.chunks[d]! < c.chunkCount[s.target[d]!]!) return 0;
      s.bankImage[inactive] = s.target[d]!;
      s.phase[d] = PHASE.downloaded;
      return out(report('downloaded'));
    }
    case EVENT.verify: {
      if (s.phase[d] !== PHASE.downloaded) return 0;
      const source = c.sourceVerdict[s.target[d]!]!;
      const verdict = source !== 'none' ? source : s.corrupt[d] ? 'hash-mismatch' : 'none';
      if (verdict !== 'none') {
        erase();
        return out(report('failed', verdict));
      }
      s.bankVerified[inactive] = 1;
      s.phase[d] = PHASE.verified;
      return out(report('verified'));
    }
    case EVENT.install: {
      if (s.phase[d] !== PHASE.verified || s.bankVerified[inactive] !== 1) return 0;
      s.activeBank[d]! ^= 1;
      s.bootCount[d] = 0;
      s.booted[d] = 0;
      s.phase[d] = PHASE.trial;
      return out(report('installed'));
    }
    case EVENT.boot: {
      if (s.phase[d] !== PHASE.trial) return 0;
      const attempt = ++s.bootCount[d]!;
      if (attempt > s.bootLimit) {
        // Fall back: the old bank runs again; the trial bank is erased, never to be booted.
        const trialBank = 2 * d + s.activeBank[d]!;
        s.activeBank[d]! ^= 1;
        s.bankImage[trialBank] = NO_IMAGE;
        s.bankVerified[trialBank] = 0;
        s.phase[d] = PHASE.idle;
        return out(report('rolled-back', 'boot-limit'));
      }
      if (s.booted[d]) return 0;
      const img = c.image(s.target[d]!);
      if (!bootsHealthy(img.behaviour, ctx.draw, d, attempt, { headType: ctx.headType })) return 0;
      s.booted[d] = 1;
      return out(report('booted'));
    }
    case EVENT.confirm: {
      if (s.phase[d] !== PHASE.trial || !s.booted[d]) return 0;
      const img = s.target[d]!;
      if (c.counter[img]! > s.antiRollback[d]!) s.antiRollback[d] = c.counter[img]!;
      s.confirmedAt[d] = ctx.nowS;
      s.quietAt[d] = 0;
      s.phase[d] = PHASE.idle;
      return out(report('confirmed'));
    }
    case EVENT.abort: {
      if (s.phase[d] !== PHASE.downloading && s.phase[d] !== PHASE.downloaded) return 0;
      erase();
      return out(report('failed', 'download-aborted'));
    }
    default:
      throw new RangeError(`unknown bootloader event ${event}`);
  }
}

/**
 * Whether device `d` records and reports sessions at `c.nowS`: false once its
 * running image has gone quiet (latched in `quietAt`, the onset OTA-7 is
 * measured from).
 */
export function stepRunning(s: BootloaderState, d: number, catalog: ImageCatalog, draw: UnitDraw, c: Omit<DeviceConditions, 'confirmedAtS'>): boolean {
  if (s.quietAt[d]) return false;
  const img = s.running(d);
  if (img === NO_IMAGE || s.confirmedAt[d] === 0) return true;
  if (goesQuiet(catalog.image(img).behaviour, draw, d, img, { ...c, confirmedAtS: s.confirmedAt[d]! })) {
    s.quietAt[d] = Math.max(1, c.nowS);
    return false;
  }
  return true;
}

/**
 * The whole update of one device, event by event, as its phone would drive it
 * right after an offer: every chunk (corrupted as the image's behaviour says),
 * verify, install, boots until the trial bank comes up or the counter rolls
 * it back, then confirm. Returns the reports in order.
 */
export function driveUpdate(s: BootloaderState, d: number, image: number, ctx: StepContext): ReportCode[] {
  const reports: ReportCode[] = [];
  const step = (event: number, arg = 0) => {
    const r = stepBootloader(s, d, event, arg, ctx);
    if (r) reports.push(r);
    return r;
  };
  const phase = (): number => s.phase[d]!; // read afresh: every step changes it
  step(EVENT.offer, image);
  if (phase() !== PHASE.downloading) return reports;
  const img = ctx.catalog.image(image);
  for (let chunk = 0; chunk < img.chunkCount; chunk++) {
    step(EVENT.chunk, chunkArrivesCorrupt(img.behaviour, ctx.draw, d, s.attempts[d]!, chunk, img.chunkCount) ? 1 : 0);
  }
  step(EVENT.verify);
  if (step(EVENT.install) === 0) return reports;
  while (phase() === PHASE.trial && !s.booted[d]) step(EVENT.boot);
  step(EVENT.confirm);
  return reports;
}

/** The OTA report (contract/ota-report.ts) for a code the step returned, ready to encode and sign. */
export function toOtaReport(s: BootloaderState, d: number, code: ReportCode, at: { deviceId: number; rolloutId: string; nowS: number; catalog: ImageCatalog }): OtaReport {
  const target = s.target[d]!;
  const running = s.running(d);
  return {
    formatVersion: 1,
    state: reportState(code),
    deviceId: at.deviceId,
    seq: s.reportSeq[d]!,
    rolloutId: at.rolloutId,
    targetVersion: target === NO_IMAGE ? 0 : at.catalog.version[target]!,
    runningVersion: running === NO_IMAGE ? 0 : at.catalog.version[running]!,
    bootCount: s.bootCount[d]!,
    deviceTime: at.nowS,
    detail: reportDetail(code),
  };
}
