import { describe, expect, it } from 'vitest';
import { packFirmwareVersion } from '../../contract/firmware-version.ts';
import { decodeOtaReport, encodeOtaReport } from '../../contract/ota-report.ts';
import { Draw } from '../seed.ts';
import type { FirmwareBehaviour } from './behaviour.ts';
import { BootloaderState, driveUpdate, EVENT, NO_IMAGE, PHASE, reportDetail, reportState, stepBootloader, stepRunning, toOtaReport, type StepContext } from './bootloader.ts';
import { buildImage, ImageCatalog } from './image.ts';

const T = 1_767_225_600;
const ADULT = 0;

/** Image 0 is the factory image (1.0.0, counter 1); the others are updates of the adult brush. */
function world(updates: Array<{ behaviour?: FirmwareBehaviour; version?: string; counter?: number; line?: 'adult-brush' | 'kids-brush'; releaseSeed?: Uint8Array }>, devices = 1, seed = 1) {
  const images = [
    buildImage({ productLine: 'adult-brush', version: '1.0.0', antiRollbackCounter: 1, contentSeed: 0, sizeBytes: 8192 }),
    ...updates.map((u, i) =>
      buildImage({
        productLine: u.line ?? 'adult-brush',
        version: u.version ?? `2.0.${i}`,
        antiRollbackCounter: u.counter ?? 2,
        contentSeed: i + 1,
        sizeBytes: 40_000,
        behaviour: u.behaviour ?? { kind: 'good' },
        ...(u.releaseSeed ? { releaseSeed: u.releaseSeed } : {}),
      }),
    ),
  ];
  const catalog = new ImageCatalog(images);
  const s = new BootloaderState(devices);
  for (let d = 0; d < devices; d++) s.initDevice(d, ADULT, 0, catalog);
  const ctx: StepContext = { catalog, draw: new Draw(seed), nowS: T, headType: 'adult-clean' };
  return { s, catalog, ctx };
}
const states = (codes: number[]) => codes.map((c) => (reportDetail(c) === 'none' ? reportState(c) : `${reportState(c)}:${reportDetail(c)}`));

describe('the dual-bank bootloader', () => {
  it('installs a good image: download, verify, install, boot, confirm; the counter moves up', () => {
    const { s, ctx } = world([{ counter: 3 }]);
    expect(states(driveUpdate(s, 0, 1, ctx))).toEqual(['downloaded', 'verified', 'installed', 'booted', 'confirmed']);
    expect(s.running(0)).toBe(1);
    expect(s.runningVerified(0)).toBe(true);
    expect(s.antiRollback[0]).toBe(3);
    expect(s.bankImage[0]).toBe(0); // the old image stays in the other bank
    expect(s.reportSeq[0]).toBe(5);
  });

  it('never boots an image corrupted in transfer: verification fails and the old bank keeps running', () => {
    const { s, ctx } = world([{ behaviour: { kind: 'corrupt-in-transfer' } }]);
    expect(states(driveUpdate(s, 0, 1, ctx))).toEqual(['downloaded', 'failed:hash-mismatch']);
    expect(s.running(0)).toBe(0);
    expect(s.bankImage[1]).toBe(NO_IMAGE);
    // Install without a verified bank does nothing.
    expect(stepBootloader(s, 0, EVENT.install, 0, ctx)).toBe(0);
    expect(s.running(0)).toBe(0);
  });

  it('never boots an image whose release signature does not verify', () => {
    const { s, ctx } = world([{ releaseSeed: new Uint8Array(32).fill(3) }]);
    expect(states(driveUpdate(s, 0, 1, ctx))).toEqual(['downloaded', 'failed:signature-invalid']);
    expect(s.running(0)).toBe(0);
  });

  it('rolls a boot-looping image back within its boot limit', () => {
    const { s, ctx } = world([{ behaviour: { kind: 'boot-loop' } }]);
    const reports = driveUpdate(s, 0, 1, ctx);
    expect(states(reports)).toEqual(['downloaded', 'verified', 'installed', 'rolled-back:boot-limit']);
    expect(s.bootCount[0]).toBe(s.bootLimit + 1);
    expect(s.running(0)).toBe(0);
    expect(s.runningVerified(0)).toBe(true);
    expect(s.bankImage[1]).toBe(NO_IMAGE); // erased: never booted again
    expect(s.antiRollback[0]).toBe(1);
    expect(s.phase[0]).toBe(PHASE.idle);
  });

  it('refuses a downgrade below its anti-rollback counter, another line, and an image not newer than its own', () => {
    const { s, ctx } = world([{ counter: 5, version: '3.0.0' }, { counter: 4, version: '3.1.0' }, { line: 'kids-brush', version: '4.0.0' }, { version: '3.0.0', counter: 5 }]);
    expect(states(driveUpdate(s, 0, 1, ctx))).toEqual(['downloaded', 'verified', 'installed', 'booted', 'confirmed']);
    expect(states(driveUpdate(s, 0, 2, ctx))).toEqual(['failed:rollback-refused']);
    expect(states(driveUpdate(s, 0, 3, ctx))).toEqual(['failed:incompatible']);
    expect(states(driveUpdate(s, 0, 4, ctx))).toEqual(['failed:incompatible']);
    expect(s.running(0)).toBe(1);
    expect(s.phase[0]).toBe(PHASE.idle);
  });

  it('keeps a quietly bricking image: it confirms, then goes quiet after its condition, latched', () => {
    const { s, catalog, ctx } = world([{ behaviour: { kind: 'quiet-death', hoursAfterFirstCharge: 6 } }]);
    expect(states(driveUpdate(s, 0, 1, ctx))).toEqual(['downloaded', 'verified', 'installed', 'booted', 'confirmed']);
    const at = (h: number, firstChargeAtS = 0) => stepRunning(s, 0, catalog, ctx.draw, { nowS: T + h * 3600, firstChargeAtS, batteryPct: 70, headType: 'adult-clean' });
    expect(at(10)).toBe(true); // no charge yet
    expect(at(12, T + 8 * 3600)).toBe(true);
    expect(at(14, T + 8 * 3600)).toBe(false);
    expect(s.quietAt[0]).toBe(T + 14 * 3600);
    expect(at(15, 0)).toBe(false); // a hung device stays hung
  });

  it('a head-type fault hits only the devices with that head: boot-loop variant rolls back, others confirm', () => {
    const { s, ctx } = world([{ behaviour: { kind: 'head-fault', headType: 'adult-whitening', effect: 'boot-loop' } }], 2);
    expect(states(driveUpdate(s, 0, 1, { ...ctx, headType: 'adult-whitening' })).at(-1)).toBe('rolled-back:boot-limit');
    expect(states(driveUpdate(s, 1, 1, ctx)).at(-1)).toBe('confirmed');
  });

  it('ignores events out of their phase, and confirm needs a healthy boot', () => {
    const { s, ctx } = world([{}]);
    for (const e of [EVENT.chunk, EVENT.verify, EVENT.install, EVENT.boot, EVENT.confirm, EVENT.abort]) expect(stepBootloader(s, 0, e, 0, ctx)).toBe(0);
    stepBootloader(s, 0, EVENT.offer, 1, ctx);
    expect(stepBootloader(s, 0, EVENT.offer, 1, ctx)).toBe(0);
    expect(states([stepBootloader(s, 0, EVENT.abort, 0, ctx)])).toEqual(['failed:download-aborted']);
    expect(() => stepBootloader(s, 0, 99, 0, ctx)).toThrow(/unknown bootloader event 99/);
  });

  it('over a fleet with flaky transfers and flaky boots, every device ends on a verified image within the boot limit (OTA-1, OTA-6)', () => {
    const n = 2000;
    const { s, catalog, ctx } = world([{ behaviour: { kind: 'corrupt-in-transfer', probability: 0.3 } }, { behaviour: { kind: 'boot-loop', probability: 0.6 }, version: '2.1.0' }], n, 99);
    const outcome = { confirmed: 0, failed: 0, rolledBack: 0 };
    for (let d = 0; d < n; d++) {
      for (const img of [1, 2]) {
        const last = reportState(driveUpdate(s, d, img, ctx).at(-1)!);
        if (last === 'confirmed') outcome.confirmed++;
        else if (last === 'failed') outcome.failed++;
        else outcome.rolledBack++;
        expect(s.runningVerified(d)).toBe(true);
        expect(catalog.sourceVerdict[s.running(d)]).toBe('none');
        expect(s.bootCount[d]).toBeLessThanOrEqual(s.bootLimit + 1);
      }
    }
    expect(outcome.failed / n).toBeGreaterThan(0.25); // image 1's corrupted transfers
    expect(outcome.rolledBack / n).toBeGreaterThan(0.15); // 0.6^3 of image 2's trials
    expect(outcome.confirmed + outcome.failed + outcome.rolledBack).toBe(2 * n);
    // The same seed gives the same fleet.
    const again = world([{ behaviour: { kind: 'corrupt-in-transfer', probability: 0.3 } }, { behaviour: { kind: 'boot-loop', probability: 0.6 }, version: '2.1.0' }], n, 99);
    for (let d = 0; d < n; d++) for (const img of [1, 2]) driveUpdate(again.s, d, img, again.ctx);
    expect(again.s.bankImage).toEqual(s.bankImage);
    expect(again.s.reportSeq).toEqual(s.reportSeq);
  });

  it('turns its reports into signed-ready contract reports with consecutive seqs', () => {
    const { s, catalog, ctx } = world([{}]);
    const codes = driveUpdate(s, 0, 1, ctx);
    const seqBefore = s.reportSeq[0]! - codes.length;
    const last = toOtaReport(s, 0, codes.at(-1)!, { deviceId: 123, rolloutId: '4b1d0000-0000-4000-8000-000000000001', nowS: T, catalog });
    expect(last).toMatchObject({ state: 'confirmed', seq: seqBefore + codes.length, targetVersion: packFirmwareVersion('2.0.0'), runningVersion: packFirmwareVersion('2.0.0'), bootCount: 1 });
    expect(decodeOtaReport(encodeOtaReport(last))).toEqual(last);
  });
});
