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

/** Records per upload: the platform's default maxRecordsPerUpload. */
const MAX_RECORDS = 256;

/**
 * One household's hour, through its phone. The phone syncs every
 * `world.syncEvery` hours (at its seeded hour): it uploads the sessions its
 * devices signed since its last sync (/v2/uploads, one upload of up to 256
 * records), then asks /v2/devices/:id/ota/check for each of those devices of
 * the target line. An offer to an idle device runs its update, and the phone
 * relays the device-signed reports to /v2/ota/reports. A phone that does not
 * sync this hour, or whose devices did not brush since its last sync, makes
 * no call.
 */
export async function runHouseholdHour(h: HouseholdHourContext, household: number): Promise<void> {
  const { world, platform, recorder, fleet: ctx } = h;
  const { fleet, lineCode } = world;
  if ((h.k + world.syncOffset[household]!) % world.syncEvery !== 0) return;
  const { brushed, records } = brushHousehold(world, household, world.syncedThrough[household]! + 1, h.k);
  world.syncedThrough[household] = h.k;
  if (brushed.length === 0) return;
  const p = fleet.hhFirstPhone[household]!;
  await ensureAccess(ctx, p);
  const token = () => ctx.app.accessToken(p);
  for (let i = 0; i < records.length; i += MAX_RECORDS) {
    const part = records.slice(i, i + MAX_RECORDS);
    const counts = await platform.uploadSessions(token(), `ota-${h.seed}-${household}-${h.k}-${i}`, part, `upload of household ${household} at hour ${h.k}`);
    recorder.sessionsUploaded(part.length, counts);
  }
  const syncS = h.hourS + 3300; // after every session of the hour (seconds 0..2999)
  for (const { d } of brushed) {
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
    const update = runUpdate(world, d, image, offer.rolloutId, syncS + 60);
    const attempt = recorder.updateRan(h.tEnd, d, rollout, image, update);
    if (update.signed.length > 0) {
      const relayed = await platform.relayReports(deviceId, token(), update.signed);
      recorder.updateEnded(attempt, { sent: update.signed.length, counts: relayed });
    } else {
      recorder.updateEnded(attempt);
    }
  }
}

/**
 * The baseline: household `household`'s sessions from its last sync through
 * hour `toK` (negative: before the rollouts' time 0), uploaded in as few
 * uploads as the platform takes. No offers exist yet, so the phone asks for none.
 */
export async function runBaselineSync(h: Pick<HouseholdHourContext, 'world' | 'platform' | 'recorder' | 'fleet' | 'seed'>, household: number, toK: number): Promise<void> {
  const { world, platform, recorder, fleet: ctx } = h;
  const { records } = brushHousehold(world, household, world.syncedThrough[household]! + 1, toK);
  world.syncedThrough[household] = toK;
  if (records.length === 0) return;
  const p = world.fleet.hhFirstPhone[household]!;
  await ensureAccess(ctx, p);
  for (let i = 0; i < records.length; i += MAX_RECORDS) {
    const part = records.slice(i, i + MAX_RECORDS);
    const counts = await platform.uploadSessions(ctx.app.accessToken(p), `ota-${h.seed}-${household}-b${toK}-${i}`, part, `baseline upload of household ${household} through hour ${toK}`);
    recorder.sessionsUploaded(part.length, counts);
  }
}
