import type pg from 'pg';
import { inferHeadType } from '../../../contract/head-id.ts';
import { unpackFirmwareVersion } from '../../../contract/firmware-version.ts';
import type { PreparedRecord } from './prepare.ts';
import type { RecordVerdict } from './verdicts.ts';

/**
 * What the database decided for an upload's candidates, stored with its
 * Idempotency-Key so that a replay rebuilds the identical response.
 */
export interface StoreOutcome {
  /** [deviceId, seq] stored by this upload. */
  stored: [number, number][];
  /** Candidate device ids bonded to the account. */
  owned: number[];
  /** [deviceId, seq] already stored with different bytes. */
  conflicts: [number, number][];
  /** Verdicts decided before the database (signature, time window, in-batch duplicate), by index. */
  judged: Record<string, RecordVerdict>;
}

export type StoreResult = { fresh: true; outcome: StoreOutcome } | { fresh: false };

export const recordKey = (deviceId: number, seq: number) => `${deviceId}:${seq}`;

/**
 * One statement — one round trip, one atomic transaction — stores an upload:
 * consumables (unknown heads kept unresolved), sessions of devices bonded to
 * the account (ON CONFLICT on (device, seq): stored exactly once, even when two
 * copies race on two connections), the OTA heartbeat of each device that stored
 * a session, one `upload.stored` event per upload, and last the Idempotency-Key
 * row with the outcome. If the key is already taken (or being taken by a concurrent request, which we then wait
 * for), its unique index fails the statement and everything above rolls back:
 * `{ fresh: false }`, nothing written.
 */
export async function storeRecords(
  db: pg.Pool,
  args: { accountId: string; key: string; requestHash: Buffer; now: number; candidates: PreparedRecord[]; judged: Record<string, RecordVerdict> },
): Promise<StoreResult> {
  const c = args.candidates;
  const col = <T>(f: (p: PreparedRecord) => T) => c.map(f);
  try {
    const { rows } = await db.query<{ outcome: StoreOutcome }>({
      name: 'fleetbed-store-records',
      text: `WITH input AS (
         SELECT * FROM unnest($5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::int[], $10::smallint[], $11::smallint[],
                              $12::text[], $13::smallint[], $14::boolean[], $15::boolean[], $16::bytea[], $17::bytea[], $18::double precision[])
           AS u(device_id, seq, head_id, head_type, duration_s, zones, pressure_alerts, firmware_version, battery_pct,
                clock_reset, head_changed, record, signature, started_s)
       ),
       owned AS (
         SELECT i.*, d.product_line, d.firmware_version AS device_firmware
           FROM input i JOIN devices d ON d.device_id = i.device_id AND d.owner_account_id = $1
       ),
       cons AS (
         INSERT INTO consumables (head_id, head_type, resolved, first_device_id, first_seen_at)
         SELECT DISTINCT ON (head_id) head_id, head_type, head_type IS NOT NULL, device_id, to_timestamp($4::double precision / 1000)
           FROM owned ORDER BY head_id, device_id
         ON CONFLICT DO NOTHING
       ),
       ins AS (
         INSERT INTO sessions (device_id, seq, account_id, head_id, started_at, duration_s, zones, pressure_alerts, firmware_version,
                               battery_pct, clock_reset, head_changed, record, signature, received_at)
         SELECT device_id, seq, $1, head_id, to_timestamp(started_s), duration_s, zones, pressure_alerts, firmware_version,
                battery_pct, clock_reset, head_changed, record, signature, to_timestamp($4::double precision / 1000)
           FROM owned
          ORDER BY device_id, seq -- one lock order for every upload: overlapping batches in any order cannot deadlock
         ON CONFLICT DO NOTHING
         RETURNING device_id, seq, least(started_at, received_at) AS heard_at
       ),
       heartbeat AS (
         -- The OTA health gate's heartbeat: device time of each device's first and latest stored
         -- session (capped at its receipt), one aggregated upsert per device, in device order.
         INSERT INTO ota_devices AS o (device_id, product_line, running_version, first_session_at, last_session_at)
         SELECT n.device_id, d.product_line, ota_pack_version(d.device_firmware), n.first_at, n.last_at
           FROM (SELECT device_id, min(heard_at) AS first_at, max(heard_at) AS last_at FROM ins GROUP BY device_id) n
           JOIN (SELECT DISTINCT ON (device_id) device_id, product_line, device_firmware FROM owned ORDER BY device_id) d USING (device_id)
          ORDER BY n.device_id
         ON CONFLICT (device_id) DO UPDATE
            SET first_session_at = least(o.first_session_at, EXCLUDED.first_session_at),
                last_session_at = greatest(o.last_session_at, EXCLUDED.last_session_at)
          WHERE o.first_session_at IS NULL OR o.last_session_at IS NULL
             OR EXCLUDED.first_session_at < o.first_session_at OR EXCLUDED.last_session_at > o.last_session_at
       ),
       ev AS (
         -- One append-only fact per upload that stored anything: who relayed what, when.
         INSERT INTO events (kind, account_id, occurred_at, data)
         SELECT 'upload.stored', $1, to_timestamp($4::double precision / 1000),
                jsonb_build_object('idempotencyKey', $2::text, 'stored', (SELECT count(*) FROM ins))
          WHERE EXISTS (SELECT 1 FROM ins)
       ),
       conflicts AS (
         -- The statement's snapshot: only copies committed before this upload. Rows this upload
         -- stored are not looked up again (a stored record cannot conflict).
         SELECT o.device_id, o.seq FROM (SELECT * FROM owned WHERE (device_id, seq) NOT IN (SELECT device_id, seq FROM ins) OFFSET 0) o
           JOIN sessions s USING (device_id, seq) WHERE s.record <> o.record
       ),
       outcome AS (
         SELECT jsonb_build_object(
           'stored', COALESCE((SELECT jsonb_agg(jsonb_build_array(device_id, seq)) FROM ins), '[]'::jsonb),
           'owned', COALESCE((SELECT jsonb_agg(DISTINCT device_id) FROM owned), '[]'::jsonb),
           'conflicts', COALESCE((SELECT jsonb_agg(jsonb_build_array(device_id, seq)) FROM conflicts), '[]'::jsonb),
           'judged', $19::jsonb) AS o
       )
       INSERT INTO idempotency_keys (account_id, key, request_hash, outcome, created_at)
       SELECT $1, $2, $3, o, to_timestamp($4::double precision / 1000) FROM outcome
       RETURNING outcome`,
      values: [
        args.accountId,
        args.key,
        args.requestHash,
        args.now,
        col((p) => p.record.deviceId),
        col((p) => p.record.seq),
        col((p) => p.record.headId),
        col((p) => {
          const t = inferHeadType(p.record.headId);
          return t === 'unknown' ? null : t;
        }),
        col((p) => p.record.durationS),
        col((p) => p.record.zones),
        col((p) => p.record.pressureAlerts),
        col((p) => unpackFirmwareVersion(p.record.firmwareVersion)),
        col((p) => p.record.batteryPct),
        col((p) => p.record.clockReset),
        col((p) => p.record.headChanged),
        col((p) => p.recordBytes),
        col((p) => p.signature),
        col((p) => p.record.startedAt),
        JSON.stringify(args.judged),
      ],
    });
    return { fresh: true, outcome: rows[0]!.outcome };
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'idempotency_keys_pkey') return { fresh: false };
    throw err;
  }
}

/**
 * The `conflicts` CTE reads the statement's snapshot, so a different copy of a
 * (device, seq) committed by a concurrent upload while this statement waited on
 * it is invisible there: the record would be answered "duplicate" although its
 * bytes were never stored — a silent drop. Re-check, now that the winner is
 * committed, the records the statement reported neither stored nor conflicting,
 * and write any conflict into the key's outcome so that replays agree. One extra
 * query, only for uploads that carried already-stored records.
 */
export async function recheckDuplicates(db: pg.Pool, args: { accountId: string; key: string; candidates: PreparedRecord[] }, outcome: StoreOutcome): Promise<StoreOutcome> {
  const settled = new Set([...outcome.stored, ...outcome.conflicts].map(([d, s]) => recordKey(d, s)));
  const owned = new Set(outcome.owned);
  const unsure = args.candidates.filter((p) => owned.has(p.record.deviceId) && !settled.has(recordKey(p.record.deviceId, p.record.seq)));
  if (unsure.length === 0) return outcome;
  const { rows } = await db.query<{ device_id: number; seq: number }>(
    `SELECT s.device_id, s.seq FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u(device_id, seq, record)
       JOIN sessions s USING (device_id, seq) WHERE s.record <> u.record`,
    [unsure.map((p) => p.record.deviceId), unsure.map((p) => p.record.seq), unsure.map((p) => p.recordBytes)],
  );
  if (rows.length === 0) return outcome;
  const conflicts = [...outcome.conflicts, ...rows.map((r): [number, number] => [r.device_id, r.seq])];
  const updated = await db.query<{ outcome: StoreOutcome }>(
    `UPDATE idempotency_keys SET outcome = jsonb_set(outcome, '{conflicts}', $3::jsonb) WHERE account_id = $1 AND key = $2 RETURNING outcome`,
    [args.accountId, args.key, JSON.stringify(conflicts)],
  );
  return updated.rows[0]?.outcome ?? { ...outcome, conflicts };
}
