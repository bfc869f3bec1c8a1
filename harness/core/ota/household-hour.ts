import { ensureAccess } from '../fleet/accounts.ts';
import type { FleetContext } from '../fleet/context.ts';
import type { OtaPlatform } from './platform-calls.ts';
import type { OtaRecorder } from './run-recorder.ts';
import { brushHousehold, readyForUpdate, runUpdate } from './simulation-step.ts';
import type { OtaWorld } from './world.ts';

/** What one household's hour runs against. */
export interface HouseholdHourContext {
  world: OtaWorld;
  platform: OtaPlatform;
  recorder: OtaRecorder;
  /** The fleet driver's context: the phones' sign-ins. */
  fleet: FleetContext;
  /** The scenario's seed (it keys the uploads' idempotency keys). */
  seed: string;
  /** Hour index `k`, the hour's start (unix seconds) and its end (simulated seconds). */
  k: number;
  hourS: number;
  tEnd: number;
}

/**
 * One household's hour, through its phone: the devices that brush this hour
 * sign their sessions; the phone uploads them (/v2/uploads), then asks
 * /v2/devices/:id/ota/check for each of those devices of the target line. An
 * offer to an idle device runs its update, and the phone relays the
 * device-signed reports to /v2/ota/reports. A household whose devices did not
 * brush makes no call.
 */
export async function runHouseholdHour(h: HouseholdHourContext, household: number): Promise<void> {
  const { world, platform, recorder, fleet: ctx } = h;
  const { fleet, lineCode } = world;
  const { brushed, records } = brushHousehold(world, household, h.k, h.hourS);
  if (brushed.length === 0) return;
  const p = fleet.hhFirstPhone[household]!;
  await ensureAccess(ctx, p);
  const token = () => ctx.app.accessToken(p);
  const counts = await platform.uploadSessions(token(), `ota-${h.seed}-${household}-${h.k}`, records, `upload of household ${household} at hour ${h.k}`);
  recorder.sessionsUploaded(records.length, counts);

  for (const { d, at } of brushed) {
    if ((fleet.kind[d]! & 3) !== lineCode) continue;
    const deviceId = fleet.deviceId(d);
    const answer = await platform.checkOffer(deviceId, token());
    recorder.offerChecked(h.tEnd, d, answer);
    const offer = answer.offer;
    if (!offer) continue;
    const rollout = recorder.rolloutIndex(offer.rolloutId);
    if (rollout === undefined) throw new Error(`device ${deviceId} was offered rollout ${offer.rolloutId}, which this run never created`);
    recorder.offered(h.tEnd, d, rollout, offer);
    if (!readyForUpdate(world, d)) continue;
    const image = world.rolloutImages[rollout]!;
    const update = runUpdate(world, d, image, offer.rolloutId, at + 60);
    const attempt = recorder.updateRan(h.tEnd, d, rollout, image, update);
    if (update.signed.length > 0) {
      const relayed = await platform.relayReports(deviceId, token(), update.signed);
      recorder.updateEnded(attempt, { sent: update.signed.length, counts: relayed });
    } else {
      recorder.updateEnded(attempt);
    }
  }
}
