import { encodeSessionRecord } from '../contract/record.ts';
import { advanceFleet, sessionRecordOf } from './device.ts';
import type { Fleet } from './fleet.ts';
import type { Ledger } from './ledger.ts';
import { ModelPlatform } from './model-platform.ts';
import { planUploads, syncPhone } from './phone.ts';
import { drainPlan, endOfDayS, planDay, type SlotPlan } from './schedule.ts';

export interface OfflineRunOptions {
  /** Whole days to simulate from the fleet's start day. */
  days: number;
  /** After the last day, the first phone of every household syncs everything (default true). */
  drain?: boolean;
}

/**
 * Run the world for `days` days against the in-process {@link ModelPlatform}
 * instead of HTTP: the same schedule, syncs, uploads, timeouts and verdict
 * booking as the real driver (harness/core/fleet), minus the network. Pure and
 * deterministic: the ledger's digest depends only on the seed, options and code.
 */
export function runOffline(fleet: Fleet, ledger: Ledger, options: OfflineRunOptions): { platform: ModelPlatform; endS: number } {
  const platform = new ModelPlatform(fleet, ledger.rules);
  const runSlot = (slot: SlotPlan, final: boolean) => {
    const nowMs = slot.platformS * 1000;
    for (let i = 0; i < slot.phones.length; i++) {
      const c = syncPhone(fleet, slot.phones[i]!, slot.times[i]!, ledger, { final });
      for (const plan of planUploads(fleet, c)) {
        for (let k = plan.start; k < plan.end; k++) {
          const d = c.devices[k]!;
          const record = sessionRecordOf(fleet, d, c.seqs[k]!, c.times[k]!);
          const v = platform.judge(d, record.seq, record.startedAt, nowMs);
          // The record's bytes, as a phone would send them: their content joins the ledger's digest when stored.
          ledger.recordVerdict(d, record.seq, record.startedAt, nowMs, v.verdict, v.code, encodeSessionRecord(record));
        }
        if (plan.timeoutAfterCommit) ledger.recordReplay(true, plan.idempotencyKey);
      }
    }
  };
  for (let day = 0; day < options.days; day++) {
    for (const slot of planDay(fleet, day)) runSlot(slot, false);
  }
  const endS = endOfDayS(fleet, options.days - 1);
  if (options.drain ?? true) runSlot(drainPlan(fleet, endS), true);
  advanceFleet(fleet, endS, ledger);
  return { platform, endS };
}
