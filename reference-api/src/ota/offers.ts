import type pg from 'pg';
import { cohortBucket, percentToBuckets } from '../../../contract/ota-rollout.ts';
import { ApiError } from '../errors.ts';
import type { ResolvedStage } from './rollout-spec.ts';

export type NoOfferReason =
  | 'no-rollout'
  | 'rollout-halted'
  | 'rollout-cancelled'
  | 'up-to-date'
  | 'anti-rollback'
  | 'not-in-cohort'
  | 'stage-full'
  | 'previously-failed';

interface OfferRow {
  device_id: number;
  running: number;
  arc: number;
  last_rollout: string | null;
  last_state: string | null;
  rollout_id: string | null;
  r_state: string | null;
  stage_index: number | null;
  stages: ResolvedStage[] | null;
  member_count: number | null;
  release_id: string | null;
  product_line: string;
  version: string | null;
  version_packed: number | null;
  size_bytes: number | null;
  sha256: Buffer | null;
  anti_rollback_counter: number | null;
  manifest: Buffer | null;
  signature: Buffer | null;
  member_stage: number | null;
}

// The device (bonded to the caller), its OTA state as its signed reports left
// it, its product line's current (most recent) rollout, and its membership.
const OFFER_SQL = `
  SELECT d.device_id, d.product_line,
         coalesce(o.running_version, ota_pack_version(d.firmware_version)) AS running,
         coalesce(o.anti_rollback_counter, 0) AS arc,
         o.rollout_id AS last_rollout, o.state AS last_state,
         r.rollout_id, r.state AS r_state, r.stage_index, r.stages, r.member_count,
         rel.release_id, rel.version, rel.version_packed, rel.size_bytes, rel.sha256, rel.anti_rollback_counter, rel.manifest, rel.signature,
         m.stage_index AS member_stage
    FROM devices d
    LEFT JOIN ota_devices o ON o.device_id = d.device_id
    LEFT JOIN LATERAL (
      SELECT * FROM ota_rollouts x WHERE x.product_line = d.product_line ORDER BY x.created_seq DESC LIMIT 1
    ) r ON true
    LEFT JOIN ota_releases rel ON rel.release_id = r.release_id
    LEFT JOIN ota_rollout_devices m ON m.rollout_id = r.rollout_id AND m.device_id = d.device_id
   WHERE d.device_id = $1 AND d.owner_account_id = $2`;

// OFFER_SQL and JOIN_SQL run as named statements (parsed and planned once per connection):
// every phone of the fleet asks for an offer, about a million asks in a simulated week.

// A new member: only while the rollout is still offering in the stage we
// judged, and under the stage's cap. The UPDATE takes the rollout's row lock,
// so a halt and a cap are never overtaken by a concurrent offer.
const JOIN_SQL = `
  WITH r AS (
    UPDATE ota_rollouts SET member_count = member_count + 1
     WHERE rollout_id = $1 AND state IN ('active', 'completed') AND stage_index = $2 AND ($3::bigint IS NULL OR member_count < $3)
    RETURNING stage_index
  )
  INSERT INTO ota_rollout_devices (rollout_id, device_id, bucket, stage_index, offered_at)
  SELECT $1, $4, $5, stage_index, to_timestamp($6::double precision / 1000) FROM r
  RETURNING stage_index`;

export type OfferAnswer =
  | { deviceId: number; offer: null; reason: NoOfferReason }
  | { deviceId: number; offer: ReturnType<typeof offerOf>; reason: null };

function offerOf(row: OfferRow, stageIndex: number) {
  return {
    rolloutId: row.rollout_id!,
    releaseId: row.release_id!,
    productLine: row.product_line,
    version: row.version!,
    sizeBytes: row.size_bytes!,
    sha256: row.sha256!.toString('base64url'),
    antiRollbackCounter: row.anti_rollback_counter!,
    manifest: row.manifest!.toString('base64url'),
    signature: row.signature!.toString('base64url'),
    stageIndex,
  };
}

/**
 * Does an update apply to this device? The product line's most recent rollout
 * offers its release when it is active (or completed), the device runs an
 * older version, the release's anti-rollback counter is not below the
 * device's, the device has not failed or rolled back this rollout, and the
 * device is in the current stage's cohort (cohortBucket below the stage's
 * percent, and the rollout under the stage's cap). The first offer makes the
 * device a member of the rollout; later asks get the same offer. A halted or
 * cancelled rollout offers nothing, not even to its members.
 */
export async function checkOffer(db: pg.Pool, deviceId: number, accountId: string, nowMs: number): Promise<OfferAnswer> {
  for (let attempt = 0; ; attempt++) {
    const { rows } = await db.query<OfferRow>({ name: 'fleetbed-ota-offer', text: OFFER_SQL, values: [deviceId, accountId] });
    const row = rows[0];
    if (!row) throw new ApiError('not-found', `You have no device ${deviceId}.`, { field: 'deviceId' });
    const none = (reason: NoOfferReason): OfferAnswer => ({ deviceId, offer: null, reason });
    if (!row.rollout_id) return none('no-rollout');
    if (row.r_state === 'halted') return none('rollout-halted');
    if (row.r_state === 'cancelled') return none('rollout-cancelled');
    if (row.running >= row.version_packed!) return none('up-to-date');
    if (row.arc > row.anti_rollback_counter!) return none('anti-rollback');
    if (row.last_rollout === row.rollout_id && (row.last_state === 'failed' || row.last_state === 'rolled-back')) return none('previously-failed');
    if (row.member_stage !== null) return { deviceId, offer: offerOf(row, row.member_stage), reason: null };

    const stageIndex = row.stage_index!;
    const stage = row.stages![stageIndex]!;
    const bucket = cohortBucket(row.rollout_id, deviceId);
    if (bucket >= percentToBuckets(stage.percent)) return none('not-in-cohort');
    if (stage.maxDevices !== null && row.member_count! >= stage.maxDevices) return none('stage-full');
    try {
      const joined = await db.query<{ stage_index: number }>({ name: 'fleetbed-ota-join', text: JOIN_SQL, values: [row.rollout_id, stageIndex, stage.maxDevices, deviceId, bucket, nowMs] });
      if (joined.rows[0]) return { deviceId, offer: offerOf(row, joined.rows[0].stage_index), reason: null };
    } catch (err) {
      // The same device joined concurrently (another phone of the household): read it again.
      if ((err as { code?: string }).code !== '23505') throw err;
    }
    // The rollout moved (halted, advanced, filled up) between the read and the join: judge again.
    if (attempt >= 2) return none('stage-full');
  }
}
