import type pg from 'pg';

/**
 * The OTA health gate's heartbeat (ota_devices.first_session_at /
 * last_session_at: device time of each device's first and latest stored
 * session, capped at its receipt; first_seq / last_seq: the lowest and highest
 * session seq stored, so last_seq − first_seq sessions over that span are the
 * device's rhythm) is written in two steps.
 *
 * 1. The upload statement appends one row per device it stored sessions of to
 *    `ota_heartbeat_queue`: an insert into a table with no index, so storing a
 *    session never updates (and locks) a hot per-device row. Updating
 *    ota_devices in the upload statement cost ~25 µs of PostgreSQL CPU per
 *    record under load (bench:ingest, 16-record uploads from 16 devices).
 * 2. `foldHeartbeats` moves the queue into ota_devices: one aggregated upsert
 *    per device, in device order (the order every writer of ota_devices locks
 *    in), reading the device's lowest and highest stored seq by primary key
 *    (two index probes per folded device). Every reader of the heartbeat folds first: the health monitor before
 *    it evaluates, the testbed digest before it hashes. The API also folds in
 *    the background once enough has queued, so the queue stays small.
 *
 * Folding is idempotent and commutes with itself: two folds at once each take
 * the rows they deleted, and min/max do not care in which fold a row lands.
 */
export async function foldHeartbeats(db: pg.Pool | pg.ClientBase): Promise<number> {
  const { rowCount } = await db.query({
    name: 'fleetbed-fold-heartbeats',
    text: `WITH q AS (DELETE FROM ota_heartbeat_queue RETURNING device_id, first_at, last_at),
       n AS (SELECT device_id, min(first_at) AS first_at, max(last_at) AS last_at FROM q GROUP BY device_id)
     INSERT INTO ota_devices AS o (device_id, product_line, running_version, first_session_at, last_session_at, first_seq, last_seq)
     SELECT n.device_id, d.product_line, ota_pack_version(d.firmware_version), n.first_at, n.last_at,
            (SELECT s.seq FROM sessions s WHERE s.device_id = n.device_id ORDER BY s.seq LIMIT 1),
            (SELECT s.seq FROM sessions s WHERE s.device_id = n.device_id ORDER BY s.seq DESC LIMIT 1)
       FROM n JOIN devices d USING (device_id)
      ORDER BY n.device_id
     ON CONFLICT (device_id) DO UPDATE
        SET first_session_at = least(o.first_session_at, EXCLUDED.first_session_at),
            last_session_at = greatest(o.last_session_at, EXCLUDED.last_session_at),
            first_seq = least(o.first_seq, EXCLUDED.first_seq),
            last_seq = greatest(o.last_seq, EXCLUDED.last_seq)
      WHERE o.first_session_at IS NULL OR o.last_session_at IS NULL OR o.first_seq IS NULL OR o.last_seq IS NULL
         OR EXCLUDED.first_session_at < o.first_session_at OR EXCLUDED.last_session_at > o.last_session_at
         OR EXCLUDED.first_seq < o.first_seq OR EXCLUDED.last_seq > o.last_seq`,
  });
  return rowCount ?? 0;
}

/**
 * Folds in the background once `threshold` heartbeat rows may have queued
 * (counted by the caller), one fold at a time per process. A failed fold is
 * reported to `onError` and retried with the next trigger; nothing is lost,
 * the rows stay queued.
 */
export class BackgroundFold {
  #queued = 0;
  #running = false;
  constructor(
    private readonly db: pg.Pool,
    private readonly threshold: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  noteQueued(n: number): void {
    this.#queued += n;
    if (this.#queued < this.threshold || this.#running) return;
    this.#queued = 0;
    this.#running = true;
    foldHeartbeats(this.db)
      .catch(this.onError)
      .finally(() => {
        this.#running = false;
      });
  }
}
