import type pg from 'pg';
import { SILENCE_TEST } from '../../../contract/ota-rollout.ts';
import type { HealthCounts } from './decide.ts';

export interface HealthQuery {
  rolloutId: string;
  productLine: string;
  /** Packed version of the rollout's release. */
  versionPacked: number;
  nowMs: number;
  /** When the rollout started: the baseline devices are watched from then. */
  startedAtMs: number;
}

/**
 * The health gate's counts for one rollout, in ONE set-based query over the
 * product line's rows of ota_devices (one row per device ever seen, heartbeat
 * and rhythm included): a first pass for the line's mean interval between
 * sessions (the prior of every device's rhythm), then one pass where every
 * count is a FILTER of the same scan — no join, no per-device probe, no
 * aggregation over sessions. Measured by bench/ota-health.ts.
 *
 * Per device, with T = now (seconds), n = last_seq − first_seq sessions over
 * the span S between its first and latest session, and the line's mean
 * interval L (contract/ota-rollout.ts quietAfterSeconds):
 *   a = n + priorReports, b = S + priorReports × L,
 *   τ = b (e^(missedReports / a) − 1), watch = watchReports × b / a.
 * - updated (U): latest report is this rollout's `confirmed` on its version;
 *   watched: T − confirmed ≥ τ; quiet: watched and T − max(last, confirmed) ≥ τ;
 *   evaluable: T − confirmed ≥ τ + watch;
 * - baseline (B): running an older version, active when the rollout started
 *   (latest session ≥ start − τ, or first session after the start); watched:
 *   T − max(start, first) ≥ τ; quiet: watched and T − max(last, start) ≥ τ;
 * - reported / failures / transferred: latest report belongs to this rollout /
 *   is failed or rolled-back / is installed, booted or confirmed.
 */
export const HEALTH_SQL = `
  WITH line AS (
    SELECT sum(date_part('epoch', last_session_at - first_session_at)) / nullif(sum(last_seq - first_seq), 0) AS interval_s
      FROM ota_devices
     WHERE product_line = $2 AND last_seq > first_seq
  )
  SELECT count(*) FILTER (WHERE u) AS updated,
         count(*) FILTER (WHERE u AND age_u >= tau) AS watched,
         count(*) FILTER (WHERE u AND age_u >= tau AND silent_u >= tau) AS quiet,
         count(*) FILTER (WHERE u AND age_u >= tau + watch) AS evaluable,
         count(*) FILTER (WHERE u AND age_u >= tau + watch AND silent_u >= tau) AS evaluable_quiet,
         count(*) FILTER (WHERE b AND age_b >= tau) AS baseline,
         count(*) FILTER (WHERE b AND age_b >= tau AND silent_b >= tau) AS baseline_quiet,
         coalesce(avg(tau) FILTER (WHERE u), 0)::float8 AS tau_updated_s,
         coalesce(avg(tau) FILTER (WHERE b), 0)::float8 AS tau_baseline_s,
         coalesce(max(interval_s), 0)::float8 AS line_interval_s,
         count(*) FILTER (WHERE mine) AS reported,
         count(*) FILTER (WHERE mine AND state IN ('failed', 'rolled-back')) AS failures,
         count(*) FILTER (WHERE mine AND state IN ('installed', 'booted', 'confirmed')) AS transferred
    FROM (
      SELECT y.*,
             y.bb * (exp($6::float8 / y.aa) - 1) AS tau,
             $7::float8 * y.bb / y.aa AS watch,
             coalesce(y.mine AND y.state = 'confirmed' AND y.running_version = $3 AND y.conf_s IS NOT NULL, false) AS u,
             coalesce(y.running_version < $3 AND y.last_s IS NOT NULL
                      AND (y.last_s >= $5::float8 / 1000 - y.bb * (exp($6::float8 / y.aa) - 1) OR y.first_s >= $5::float8 / 1000), false) AS b,
             $4::float8 / 1000 - y.conf_s AS age_u,
             $4::float8 / 1000 - greatest(y.last_s, y.conf_s) AS silent_u,
             $4::float8 / 1000 - greatest(y.first_s, $5::float8 / 1000) AS age_b,
             $4::float8 / 1000 - greatest(y.last_s, $5::float8 / 1000) AS silent_b
        FROM (
          SELECT o.state, o.running_version, l.interval_s,
                 coalesce(o.rollout_id = $1, false) AS mine,
                 date_part('epoch', o.first_session_at) AS first_s,
                 date_part('epoch', o.last_session_at) AS last_s,
                 date_part('epoch', o.confirmed_at) AS conf_s,
                 coalesce(o.last_seq - o.first_seq, 0) + $8::float8 AS aa,
                 coalesce(date_part('epoch', o.last_session_at - o.first_session_at), 0) + $8::float8 * l.interval_s AS bb
            FROM ota_devices o, line l
           WHERE o.product_line = $2
        ) y
    ) x`;

/** Run the health query; `ms` is its wall time. */
export async function healthCounts(db: pg.Pool | pg.ClientBase, q: HealthQuery): Promise<{ counts: HealthCounts; ms: number }> {
  const t = performance.now();
  const { rows } = await db.query<Record<string, number | string>>(HEALTH_SQL, [
    q.rolloutId,
    q.productLine,
    q.versionPacked,
    q.nowMs,
    q.startedAtMs,
    SILENCE_TEST.missedReports,
    SILENCE_TEST.watchReports,
    SILENCE_TEST.priorReports,
  ]);
  const ms = performance.now() - t;
  const r = rows[0]!;
  const n = (k: string) => Number(r[k]!);
  return {
    counts: {
      updated: n('updated'),
      watched: n('watched'),
      quiet: n('quiet'),
      evaluable: n('evaluable'),
      evaluableQuiet: n('evaluable_quiet'),
      baseline: n('baseline'),
      baselineQuiet: n('baseline_quiet'),
      tauUpdatedS: Math.round(n('tau_updated_s')),
      tauBaselineS: Math.round(n('tau_baseline_s')),
      lineIntervalS: Math.round(n('line_interval_s')),
      reported: n('reported'),
      failures: n('failures'),
      transferred: n('transferred'),
    },
    ms,
  };
}
