import type pg from 'pg';
import { inferHeadType } from '../../../contract/head-id.ts';
import { unpackFirmwareVersion } from '../../../contract/firmware-version.ts';
import type { PreparedRecord } from './prepare.ts';

export interface StoreResult {
  /** False when the Idempotency-Key row already existed: nothing was written. */
  fresh: boolean;
  /** `${deviceId}:${seq}` of every record this statement stored. */
  stored: Set<string>;
  /** Device ids (of the candidates) bonded to the account. */
  owned: Set<number>;
}

export const recordKey = (deviceId: number, seq: number) => `${deviceId}:${seq}`;

/**
 * One statement, so one round trip and one implicit transaction: claim the
 * Idempotency-Key, and only if it was free, store every candidate record of a
 * device bonded to the account — consumables first (unknown heads kept as
 * unresolved), then sessions (ON CONFLICT on (device, seq): a record is stored
 * exactly once, even when two copies race on two connections), then one
 * append-only `session.recorded` event per stored session.
 */
export async function storeRecords(
  db: pg.Pool,
  args: { accountId: string; key: string; requestHash: Buffer; now: number; candidates: PreparedRecord[] },
): Promise<StoreResult> {
  const c = args.candidates;
  const col = <T>(f: (p: PreparedRecord) => T) => c.map(f);
  const { rows } = await db.query<{ fresh: boolean; ins_dev: number[]; ins_seq: number[]; owned: number[] }>(
    `WITH idem AS (
       INSERT INTO idempotency_keys (account_id, key, request_hash, created_at)
       VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000))
       ON CONFLICT DO NOTHING RETURNING 1
     ),
     input AS (
       SELECT * FROM unnest($5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::int[], $10::smallint[], $11::smallint[],
                            $12::text[], $13::smallint[], $14::boolean[], $15::boolean[], $16::bytea[], $17::bytea[], $18::double precision[])
         AS u(device_id, seq, head_id, head_type, duration_s, zones, pressure_alerts, firmware_version, battery_pct,
              clock_reset, head_changed, record, signature, started_s)
     ),
     owned AS (
       SELECT i.* FROM input i JOIN devices d ON d.device_id = i.device_id AND d.owner_account_id = $1
        WHERE EXISTS (SELECT 1 FROM idem)
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
       ON CONFLICT DO NOTHING
       RETURNING device_id, seq
     ),
     ev AS (
       INSERT INTO events (kind, device_id, account_id, occurred_at, seq)
       SELECT 'session.recorded', device_id, $1, to_timestamp($4::double precision / 1000), seq FROM ins
     )
     SELECT EXISTS (SELECT 1 FROM idem) AS fresh,
            array(SELECT device_id FROM ins) AS ins_dev, array(SELECT seq FROM ins) AS ins_seq,
            array(SELECT DISTINCT device_id FROM owned) AS owned`,
    [
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
    ],
  );
  const r = rows[0]!;
  const stored = new Set<string>();
  for (let i = 0; i < r.ins_dev.length; i++) stored.add(recordKey(r.ins_dev[i]!, r.ins_seq[i]!));
  return { fresh: r.fresh, stored, owned: new Set(r.owned) };
}

/** For records that were owned but not stored: is the stored copy the same bytes (duplicate) or not (conflict)? */
export async function storedCopiesMatch(db: pg.Pool, records: PreparedRecord[]): Promise<Map<string, boolean>> {
  const { rows } = await db.query<{ device_id: number; seq: number; same: boolean }>(
    `SELECT s.device_id, s.seq, s.record = u.record AS same
       FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u(device_id, seq, record)
       JOIN sessions s USING (device_id, seq)`,
    [records.map((p) => p.record.deviceId), records.map((p) => p.record.seq), records.map((p) => p.recordBytes)],
  );
  return new Map(rows.map((r) => [recordKey(r.device_id, r.seq), r.same]));
}
