import type pg from 'pg';
import { inferHeadType } from '../../../contract/head-id.ts';
import { unpackFirmwareVersion } from '../../../contract/firmware-version.ts';
import type { PreparedRecord } from './prepare.ts';
import type { RecordVerdict } from './verdicts.ts';
import { groupedStatement, type Coalescer } from '../db/coalesce.ts';
import { byteaArray, numberArray, textArray } from '../db/array-literal.ts';
import { BackgroundFold } from '../ota/heartbeat.ts';

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

export interface StoreArgs {
  accountId: string;
  key: string;
  requestHash: Buffer;
  /** The platform clock of the request (read with its token), in ms. */
  now: number;
  candidates: PreparedRecord[];
  judged: Record<string, RecordVerdict>;
}

/**
 * Stores uploads. One statement — one round trip, one atomic transaction —
 * stores a group of concurrent uploads (see Coalescer; a lone upload is a group
 * of one). For each upload whose Idempotency-Key is not taken it writes:
 * consumables (unknown heads kept unresolved), sessions of devices bonded to
 * the upload's account (ON CONFLICT on (device, seq): stored exactly once, even
 * when two copies race on two connections), the OTA heartbeat of each device
 * that stored a session (queued, see ota/heartbeat.ts), one `upload.stored`
 * event, and last the Idempotency-Key row with the outcome.
 *
 * - An upload whose key is already committed writes nothing: `{ fresh: false }`.
 * - A key being taken by a concurrent statement makes this statement wait for
 *   it, then fail on the key's unique index. Everything rolls back, and each
 *   upload of the group is stored again on its own, so that only the one that
 *   lost the race answers `{ fresh: false }`. Any other failure of a group is
 *   also retried per upload, so one upload's failure is never another's.
 * - Two uploads of one account never share a statement. A record is stored
 *   only for the account its device is bonded to, so the account of each
 *   stored row names its upload.
 */
export class UploadStore {
  readonly #db: pg.Pool;
  readonly #group: Coalescer<StoreArgs, StoreResult>;
  readonly #fold: BackgroundFold | undefined;

  constructor(db: pg.Pool, opts: { maxInFlight: number; maxRecords: number; foldHeartbeatsEvery?: number; onFoldError?: (err: unknown) => void }) {
    this.#db = db;
    if (opts.foldHeartbeatsEvery) this.#fold = new BackgroundFold(db, opts.foldHeartbeatsEvery, opts.onFoldError ?? (() => {}));
    // A lone upload (also each upload of a failed group, retried alone) answers a key taken by a
    // concurrent request as { fresh: false }; see groupedStatement for the fallback.
    this.#group = groupedStatement((uploads: StoreArgs[]) => (uploads.length === 1 ? this.#storeAlone(uploads[0]!).then((r) => [r]) : storeGroup(db, uploads)), {
      maxInFlight: opts.maxInFlight,
      maxItems: 256,
      weight: (u) => u.candidates.length,
      maxWeight: opts.maxRecords,
      compatible: (group, u) => group.every((g) => g.accountId !== u.accountId),
    });
  }

  /** Statements sent and uploads they carried. */
  get stats() {
    return this.#group.stats;
  }

  async store(args: StoreArgs): Promise<StoreResult> {
    const result = await this.#group.submit(args);
    if (result.fresh && this.#fold) this.#fold.noteQueued(result.outcome.stored.length);
    return result;
  }

  async #storeAlone(upload: StoreArgs): Promise<StoreResult> {
    try {
      return (await storeGroup(this.#db, [upload]))[0]!;
    } catch (err) {
      if (isKeyTaken(err)) return { fresh: false };
      throw err;
    }
  }
}

function isKeyTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'idempotency_keys_pkey';
}

async function storeGroup(db: pg.Pool, uploads: StoreArgs[]): Promise<StoreResult[]> {
  const records = uploads.flatMap((u, i) => u.candidates.map((p) => ({ req: i + 1, p })));
  const col = <T>(f: (p: PreparedRecord) => T) => records.map((r) => f(r.p));
  const { rows } = await db.query<{ req: number; outcome: StoreOutcome }>({
    name: 'fleetbed-store-uploads',
    text: `WITH req AS (
       SELECT r.*, j.judged FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::double precision[]) WITH ORDINALITY AS r(account_id, key, request_hash, now_ms, req)
         JOIN jsonb_array_elements($5::jsonb) WITH ORDINALITY AS j(judged, req) USING (req)
     ),
     taken AS (
       -- Keys committed before this statement: those uploads write nothing. One primary-key probe
       -- per upload (LIMIT 1 keeps the subquery lateral): with stale statistics the planner chose
       -- a hash join over a sequential scan of the whole table, on every statement.
       SELECT r.req FROM req r CROSS JOIN LATERAL (
         SELECT 1 FROM idempotency_keys k WHERE k.account_id = r.account_id AND k.key = r.key LIMIT 1
       ) k
     ),
     input AS (
       SELECT * FROM unnest($6::int[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::int[], $12::smallint[], $13::smallint[],
                            $14::text[], $15::smallint[], $16::boolean[], $17::boolean[], $18::bytea[], $19::bytea[], $20::double precision[],
                            $21::smallint[], $22::smallint[])
         AS u(req, device_id, seq, head_id, head_type, duration_s, zones, pressure_alerts, firmware_version, battery_pct,
              clock_reset, head_changed, record, signature, started_s, format_version, brush_mode)
        WHERE u.req NOT IN (SELECT req FROM taken)
     ),
     owned AS (
       SELECT i.*, r.account_id, r.now_ms
         FROM input i JOIN req r USING (req) JOIN devices d ON d.device_id = i.device_id AND d.owner_account_id = r.account_id
     ),
     cons AS (
       INSERT INTO consumables (head_id, head_type, resolved, first_device_id, first_seen_at)
       SELECT DISTINCT ON (head_id) head_id, head_type, head_type IS NOT NULL, device_id, to_timestamp(now_ms / 1000)
         FROM owned ORDER BY head_id, device_id
       ON CONFLICT DO NOTHING
     ),
     ins AS (
       INSERT INTO sessions (device_id, seq, account_id, head_id, started_at, duration_s, zones, pressure_alerts, firmware_version,
                             battery_pct, clock_reset, head_changed, record, signature, received_at, format_version, brush_mode)
       SELECT device_id, seq, account_id, head_id, to_timestamp(started_s), duration_s, zones, pressure_alerts, firmware_version,
              battery_pct, clock_reset, head_changed, record, signature, to_timestamp(now_ms / 1000), format_version, brush_mode
         FROM owned
        ORDER BY device_id, seq -- one lock order for every statement: overlapping groups in any order cannot deadlock
       ON CONFLICT DO NOTHING
       RETURNING account_id, device_id, seq, least(started_at, received_at) AS heard_at
     ),
     heartbeat AS (
       -- The OTA health gate's heartbeat, queued: device time of each device's first and latest
       -- stored session (capped at its receipt). See reference-api/src/ota/heartbeat.ts.
       INSERT INTO ota_heartbeat_queue (device_id, first_at, last_at)
       SELECT device_id, min(heard_at), max(heard_at) FROM ins GROUP BY device_id
     ),
     stored AS (
       -- A group holds one upload per account, so a stored row's account names its upload.
       SELECT account_id, count(*) AS n, jsonb_agg(jsonb_build_array(device_id, seq) ORDER BY device_id, seq) AS j FROM ins GROUP BY account_id
     ),
     ev AS (
       -- One append-only fact per upload that stored anything: who relayed what, when.
       INSERT INTO events (kind, account_id, occurred_at, data)
       SELECT 'upload.stored', r.account_id, to_timestamp(r.now_ms / 1000), jsonb_build_object('idempotencyKey', r.key, 'stored', st.n)
         FROM req r JOIN stored st USING (account_id)
        ORDER BY r.req
     ),
     conflicts AS (
       -- The statement's snapshot: only copies committed before this statement. Rows this
       -- statement stored are not looked up again (a stored record cannot conflict).
       SELECT o.req, o.device_id, o.seq FROM (SELECT * FROM owned WHERE (device_id, seq) NOT IN (SELECT device_id, seq FROM ins) OFFSET 0) o
         JOIN sessions s USING (device_id, seq) WHERE s.record <> o.record
     ),
     outcome AS (
       SELECT r.req, r.account_id, r.key, r.request_hash, r.now_ms, jsonb_build_object(
         'stored', COALESCE(st.j, '[]'::jsonb), 'owned', COALESCE(ow.j, '[]'::jsonb), 'conflicts', COALESCE(cf.j, '[]'::jsonb), 'judged', r.judged) AS o
         FROM req r
         LEFT JOIN stored st USING (account_id)
         LEFT JOIN (SELECT req, jsonb_agg(DISTINCT device_id) AS j FROM owned GROUP BY req) ow USING (req)
         LEFT JOIN (SELECT req, jsonb_agg(jsonb_build_array(device_id, seq) ORDER BY device_id, seq) AS j FROM conflicts GROUP BY req) cf USING (req)
        WHERE r.req NOT IN (SELECT req FROM taken)
     ),
     keys AS (
       INSERT INTO idempotency_keys (account_id, key, request_hash, outcome, created_at)
       SELECT account_id, key, request_hash, o, to_timestamp(now_ms / 1000) FROM outcome ORDER BY account_id, key
       RETURNING account_id, key
     )
     SELECT o.req, o.o AS outcome FROM outcome o JOIN keys k USING (account_id, key)`,
    values: [
      uploads.map((u) => u.accountId),
      uploads.map((u) => u.key),
      uploads.map((u) => u.requestHash),
      numberArray(uploads.map((u) => u.now)),
      JSON.stringify(uploads.map((u) => u.judged)),
      numberArray(records.map((r) => r.req)),
      numberArray(col((p) => p.record.deviceId)),
      numberArray(col((p) => p.record.seq)),
      numberArray(col((p) => p.record.headId)),
      textArray(
        col((p) => {
          const t = inferHeadType(p.record.headId);
          return t === 'unknown' ? null : t;
        }),
      ),
      numberArray(col((p) => p.record.durationS)),
      numberArray(col((p) => p.record.zones)),
      numberArray(col((p) => p.record.pressureAlerts)),
      textArray(col((p) => unpackFirmwareVersion(p.record.firmwareVersion))),
      numberArray(col((p) => p.record.batteryPct)),
      numberArray(col((p) => p.record.clockReset)),
      numberArray(col((p) => p.record.headChanged)),
      byteaArray(col((p) => p.recordBytes)),
      byteaArray(col((p) => p.signature)),
      numberArray(col((p) => p.record.startedAt)),
      numberArray(col((p) => p.record.formatVersion)),
      numberArray(col((p) => (p.record.formatVersion === 2 ? p.record.brushMode! : null))),
    ],
  });
  const byReq = new Map(rows.map((r) => [Number(r.req), r.outcome]));
  return uploads.map((_, i): StoreResult => {
    const outcome = byReq.get(i + 1);
    return outcome ? { fresh: true, outcome } : { fresh: false };
  });
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
