import type pg from 'pg';
import type { HealthCounts } from './decide.ts';

export interface HealthQuery {
  rolloutId: string;
  productLine: string;
  /** Packed version of the rollout's release. */
  versionPacked: number;
  nowMs: number;
  windowSeconds: number;
}

/**
 * The health gate's counts for one rollout, in ONE set-based query: a single
 * pass over the product line's rows of ota_devices (one row per device ever
 * seen, heartbeat included), every count a FILTER of the same scan — no join,
 * no per-device probe, no aggregation over sessions. Measured by
 * bench/ota-health.ts: see the numbers in its header.
 *
 * With T = now and W = the window (contract/ota-rollout.ts, RolloutGate):
 * - updated (U): latest report is this rollout's `confirmed`, running its
 *   version, confirmed at or before T − W, with a session before T − W;
 * - baseline (B): running an older version, a session before T − W and one
 *   after T − 2W;
 * - reporting: last session at or after T − W;
 * - reported / failures / transferred: latest report belongs to this rollout /
 *   is failed or rolled-back / is installed, booted or confirmed.
 */
export const HEALTH_SQL = `
  SELECT count(*) FILTER (WHERE u) AS updated,
         count(*) FILTER (WHERE u AND last_session_at >= lo) AS updated_reporting,
         count(*) FILTER (WHERE b) AS baseline,
         count(*) FILTER (WHERE b AND last_session_at >= lo) AS baseline_reporting,
         count(*) FILTER (WHERE mine) AS reported,
         count(*) FILTER (WHERE mine AND state IN ('failed', 'rolled-back')) AS failures,
         count(*) FILTER (WHERE mine AND state IN ('installed', 'booted', 'confirmed')) AS transferred
    FROM (
      SELECT o.last_session_at, o.state, w.lo,
             coalesce(o.rollout_id = $1, false) AS mine,
             coalesce(o.rollout_id = $1 AND o.state = 'confirmed' AND o.running_version = $3
                      AND o.confirmed_at <= w.lo AND o.first_session_at < w.lo, false) AS u,
             coalesce(o.running_version < $3 AND o.first_session_at < w.lo AND o.last_session_at >= w.lo2, false) AS b
        FROM ota_devices o,
             (SELECT to_timestamp(($4::double precision - $5::double precision * 1000) / 1000) AS lo,
                     to_timestamp(($4::double precision - $5::double precision * 2000) / 1000) AS lo2) w
       WHERE o.product_line = $2
    ) x`;

/** Run the health query; `ms` is its wall time. */
export async function healthCounts(db: pg.Pool | pg.ClientBase, q: HealthQuery): Promise<{ counts: HealthCounts; ms: number }> {
  const t = performance.now();
  const { rows } = await db.query<Record<string, number>>(HEALTH_SQL, [q.rolloutId, q.productLine, q.versionPacked, q.nowMs, q.windowSeconds]);
  const ms = performance.now() - t;
  const r = rows[0]!;
  return {
    counts: {
      updated: r.updated!,
      updatedReporting: r.updated_reporting!,
      baseline: r.baseline!,
      baselineReporting: r.baseline_reporting!,
      reported: r.reported!,
      failures: r.failures!,
      transferred: r.transferred!,
    },
    ms,
  };
}
