import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../app.ts';
import { decide } from './decide.ts';
import { healthCounts } from './health.ts';
import { foldHeartbeats } from './heartbeat.ts';
import { applyDecision, loadRollout, type RolloutRow } from './rollouts.ts';

/** One rollout as the monitor left it. */
export interface MonitoredRollout {
  rolloutId: string;
  before: { state: string; stageIndex: number };
  after: { state: string; stageIndex: number };
  /** The evaluation as stored, plus the health query's wall time. */
  evaluation: NonNullable<RolloutRow['last_evaluation']> & { evaluationMs: number };
}

const MONITOR_LOCK = 748_202;

/**
 * The fleet-health monitor: for every active (and halted) rollout, one health
 * query and one decision (decide.ts), applied under the rollout's row lock.
 * Active rollouts halt, advance, complete or hold; halted ones only get a
 * fresh evaluation (resuming is the operator's call). Runs are serialised
 * across API processes by an advisory lock. Time is the platform clock —
 * virtual in test mode, where POST /testbed/jobs/ota-health-monitor runs it.
 */
export async function runOtaHealthMonitor({ db, clock }: Pick<Services, 'db' | 'clock'>): Promise<{ rollouts: MonitoredRollout[] }> {
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MONITOR_LOCK]);
    try {
      const nowMs = await clock.now(client);
      await foldHeartbeats(client); // the heartbeat the gate reads includes every upload committed so far
      const { rows } = await client.query<{ rollout_id: string }>(
        `SELECT rollout_id FROM ota_rollouts WHERE state IN ('active', 'halted') ORDER BY created_seq`,
      );
      const out: MonitoredRollout[] = [];
      for (const { rollout_id } of rows) {
        const r = await loadRollout(client, rollout_id);
        const { counts, ms } = await healthCounts(client, {
          rolloutId: r.rollout_id,
          productLine: r.product_line,
          versionPacked: r.version_packed,
          nowMs,
          startedAtMs: r.stage_log[0]?.startedAt ?? r.created_at.getTime(),
        });
        const stageStartedAtMs = r.stage_log[r.stage_index]?.startedAt ?? nowMs;
        const result = decide(counts, { policy: r.policy, gate: r.gate, stages: r.stages, stageIndex: r.stage_index, stageStartedAtMs, baselineShare: r.baseline_share, nowMs });
        const after = await applyDecision(db, r, result, nowMs);
        out.push({
          rolloutId: r.rollout_id,
          before: { state: r.state, stageIndex: r.stage_index },
          after: { state: after.state, stageIndex: after.stage_index },
          evaluation: { ...after.last_evaluation!, evaluationMs: Math.round(ms * 100) / 100 },
        });
      }
      return { rollouts: out };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MONITOR_LOCK]);
    }
  } finally {
    client.release();
  }
}

/**
 * Outside test mode the monitor runs every `intervalSeconds` of wall time
 * (0: never). Returns the function that stops it.
 */
export function scheduleOtaHealthMonitor(services: Pick<Services, 'db' | 'clock'>, intervalSeconds: number, log: FastifyBaseLogger): () => void {
  if (intervalSeconds <= 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runOtaHealthMonitor(services)
      .catch((err: unknown) => log.error({ err }, 'ota-health-monitor run failed'))
      .finally(() => {
        running = false;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
