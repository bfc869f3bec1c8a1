import type pg from 'pg';
import { OTA_REPORT_STATES } from '../../../contract/ota-report.ts';
import type { HaltReason, RolloutAction, RolloutGate, RolloutPolicy, RolloutState } from '../../../contract/ota-rollout.ts';
import { ApiError } from '../errors.ts';
import { inTransaction } from '../db/pool.ts';
import type { DecisionResult, Evaluation } from './decide.ts';
import type { ResolvedStage, RolloutSpec } from './rollout-spec.ts';

/** A rollout row with its release's version. */
export interface RolloutRow {
  rollout_id: string;
  release_id: string;
  product_line: string;
  policy: RolloutPolicy;
  stages: ResolvedStage[];
  gate: RolloutGate;
  state: RolloutState;
  stage_index: number;
  stage_log: Array<{ startedAt: number; passedAt: number | null }>;
  member_count: number;
  halt: Halt | null;
  last_evaluation: Evaluation | null;
  baseline_share: number | null;
  created_at: Date;
  version: string;
  version_packed: number;
}

export interface Halt {
  reason: HaltReason;
  by: 'monitor' | 'operator';
  at: string;
  detail: string;
  evaluation: Evaluation | null;
}

const ts = (p: string) => `to_timestamp(${p}::double precision / 1000)`;

const SELECT_ROLLOUT = `SELECT r.*, rel.version, rel.version_packed FROM ota_rollouts r JOIN ota_releases rel USING (release_id)`;

export async function loadRollout(db: pg.Pool | pg.ClientBase, rolloutId: string, lock = false): Promise<RolloutRow> {
  const { rows } = await db.query<RolloutRow>(`${SELECT_ROLLOUT} WHERE r.rollout_id = $1${lock ? ' FOR UPDATE OF r' : ''}`, [rolloutId]);
  const row = rows[0];
  if (!row) throw new ApiError('not-found', `No rollout ${rolloutId}.`, { field: 'rolloutId' });
  return row;
}

/** Append one fact about a rollout to the events log. */
export async function rolloutEvent(c: pg.ClientBase, kind: string, nowMs: number, data: Record<string, unknown>): Promise<void> {
  await c.query(`INSERT INTO events (kind, occurred_at, data) VALUES ($1, ${ts('$2')}, $3)`, [kind, nowMs, JSON.stringify(data)]);
}

/** Create a rollout of `releaseId`, active in its first stage from `nowMs`. */
export async function createRollout(db: pg.Pool, releaseId: string, spec: RolloutSpec, nowMs: number, rolloutId?: string): Promise<RolloutRow> {
  return inTransaction(db, async (c) => {
    const rel = await c.query<{ product_line: string }>('SELECT product_line FROM ota_releases WHERE release_id = $1', [releaseId]);
    const line = rel.rows[0]?.product_line;
    if (!line) throw new ApiError('not-found', `No firmware release ${releaseId}.`, { field: 'releaseId' });
    let id: string;
    try {
      const { rows } = await c.query<{ rollout_id: string }>(
        `INSERT INTO ota_rollouts (rollout_id, release_id, product_line, policy, stages, gate, state, stage_index, stage_log, created_at, updated_at)
         VALUES (coalesce($8::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, 'active', 0, $6, ${ts('$7')}, ${ts('$7')}) RETURNING rollout_id`,
        [releaseId, line, spec.policy, JSON.stringify(spec.stages), JSON.stringify(spec.gate), JSON.stringify([{ startedAt: nowMs, passedAt: null }]), nowMs, rolloutId ?? null],
      );
      id = rows[0]!.rollout_id;
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'ota_rollouts_pkey') {
        throw new ApiError('rollout-exists', `A rollout ${rolloutId} already exists; choose another id, or leave rolloutId out.`, { field: 'rolloutId' });
      }
      if (e.code === '23505') {
        throw new ApiError('rollout-active', `Product line ${line} already has an active or halted rollout; complete or cancel it first.`, { field: 'releaseId' });
      }
      throw err;
    }
    await rolloutEvent(c, 'ota.rollout.created', nowMs, { rolloutId: id, releaseId, productLine: line, policy: spec.policy, stages: spec.stages, gate: spec.gate });
    return loadRollout(c, id);
  });
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
type StateCounts = Record<'offered' | (typeof OTA_REPORT_STATES)[number], number>;
const zeroCounts = (): StateCounts => ({ offered: 0, downloaded: 0, verified: 0, installed: 0, booted: 0, confirmed: 0, 'rolled-back': 0, failed: 0 });

/** The Rollout response: stages with their cohorts' counts by latest report, overall counts, the halt and the last evaluation. */
export async function rolloutStatus(db: pg.Pool | pg.ClientBase, r: RolloutRow) {
  const { rows } = await db.query<{ stage_index: number; state: keyof StateCounts; n: number }>(
    `SELECT m.stage_index, coalesce(CASE WHEN o.rollout_id = m.rollout_id THEN o.state END, 'offered') AS state, count(*)::int AS n
       FROM ota_rollout_devices m LEFT JOIN ota_devices o ON o.device_id = m.device_id
      WHERE m.rollout_id = $1 GROUP BY 1, 2`,
    [r.rollout_id],
  );
  const perStage = r.stages.map(() => zeroCounts());
  const total = zeroCounts();
  const joined = r.stages.map(() => 0);
  for (const row of rows) {
    const i = Math.min(row.stage_index, r.stages.length - 1);
    perStage[i]![row.state] += row.n;
    total[row.state] += row.n;
    joined[i]! += row.n;
  }
  return {
    rolloutId: r.rollout_id,
    releaseId: r.release_id,
    productLine: r.product_line,
    version: r.version,
    policy: r.policy,
    state: r.state,
    stageIndex: r.stage_index,
    createdAt: r.created_at.toISOString(),
    gate: r.gate,
    stages: r.stages.map((s, i) => {
      const log = r.stage_log[i];
      const status = !log ? 'pending' : log.passedAt !== null ? 'passed' : 'current';
      return {
        index: i,
        percent: s.percent,
        maxDevices: s.maxDevices,
        soakSeconds: s.soakSeconds,
        status,
        startedAt: iso(log?.startedAt),
        passedAt: iso(log?.passedAt),
        devices: joined[i]!,
        counts: perStage[i]!,
      };
    }),
    devices: r.member_count,
    counts: total,
    halt: r.halt,
    lastEvaluation: r.last_evaluation,
  };
}

/** Stage log after the current stage passed at `nowMs` (and the next one, if any, started). */
function passStage(r: RolloutRow, nowMs: number): { log: RolloutRow['stage_log']; stageIndex: number; completed: boolean } {
  const log = r.stage_log.map((e) => ({ ...e }));
  log[r.stage_index] = { startedAt: log[r.stage_index]?.startedAt ?? nowMs, passedAt: nowMs };
  const completed = r.stage_index >= r.stages.length - 1;
  if (!completed) log[r.stage_index + 1] = { startedAt: nowMs, passedAt: null };
  return { log, stageIndex: completed ? r.stage_index : r.stage_index + 1, completed };
}

const ALLOWED: Record<RolloutAction, RolloutState[]> = {
  advance: ['active'],
  halt: ['active'],
  resume: ['halted'],
  cancel: ['active', 'halted'],
};

/**
 * An operator's action, under the rollout's row lock:
 * advance (active: the next stage now, or complete after the last), halt
 * (active → halted, reason manual), resume (halted → active; the current
 * stage's soak starts again), cancel (active or halted → cancelled, final).
 */
export async function applyAction(db: pg.Pool, rolloutId: string, action: RolloutAction, reason: string | undefined, nowMs: number): Promise<RolloutRow> {
  return inTransaction(db, async (c) => {
    const r = await loadRollout(c, rolloutId, true);
    if (!ALLOWED[action].includes(r.state)) {
      const hint = action === 'advance' && r.state === 'halted' ? ' Resume it first.' : '';
      throw new ApiError('rollout-state-conflict', `Rollout ${rolloutId} is ${r.state}; ${action} needs it ${ALLOWED[action].join(' or ')}.${hint}`, { field: 'action' });
    }
    const data = { rolloutId, stageIndex: r.stage_index, by: 'operator', ...(reason ? { reason } : {}) };
    if (action === 'advance') {
      const next = passStage(r, nowMs);
      await c.query(
        `UPDATE ota_rollouts SET stage_index = $2, stage_log = $3, state = $4, updated_at = ${ts('$5')} WHERE rollout_id = $1`,
        [rolloutId, next.stageIndex, JSON.stringify(next.log), next.completed ? 'completed' : 'active', nowMs],
      );
      await rolloutEvent(c, next.completed ? 'ota.rollout.completed' : 'ota.rollout.advanced', nowMs, { ...data, toStage: next.stageIndex });
    } else if (action === 'halt') {
      const halt: Halt = { reason: 'manual', by: 'operator', at: new Date(nowMs).toISOString(), detail: reason ?? 'halted by the operator', evaluation: r.last_evaluation };
      await c.query(`UPDATE ota_rollouts SET state = 'halted', halt = $2, updated_at = ${ts('$3')} WHERE rollout_id = $1`, [rolloutId, JSON.stringify(halt), nowMs]);
      await rolloutEvent(c, 'ota.rollout.halted', nowMs, { ...data, reason: 'manual', detail: halt.detail });
    } else if (action === 'resume') {
      const log = r.stage_log.map((e) => ({ ...e }));
      log[r.stage_index] = { startedAt: nowMs, passedAt: null };
      await c.query(`UPDATE ota_rollouts SET state = 'active', halt = NULL, stage_log = $2, updated_at = ${ts('$3')} WHERE rollout_id = $1`, [rolloutId, JSON.stringify(log), nowMs]);
      await rolloutEvent(c, 'ota.rollout.resumed', nowMs, { ...data, haltedFor: r.halt?.reason ?? null });
    } else {
      await c.query(`UPDATE ota_rollouts SET state = 'cancelled', updated_at = ${ts('$2')} WHERE rollout_id = $1`, [rolloutId, nowMs]);
      await rolloutEvent(c, 'ota.rollout.cancelled', nowMs, data);
    }
    return loadRollout(c, rolloutId);
  });
}

/**
 * Apply the monitor's decision for a rollout it read at (state, stageIndex):
 * halt, advance, complete, or just record the evaluation. Under the row lock;
 * if an operator changed the rollout since it was read, only the evaluation is
 * recorded and the decision waits for the next run.
 */
export async function applyDecision(
  db: pg.Pool,
  seen: Pick<RolloutRow, 'rollout_id' | 'state' | 'stage_index'>,
  result: DecisionResult,
  nowMs: number,
): Promise<RolloutRow> {
  return inTransaction(db, async (c) => {
    const r = await loadRollout(c, seen.rollout_id, true);
    const evaluation = result.evaluation;
    const unchanged = r.state === seen.state && r.stage_index === seen.stage_index && r.state === 'active';
    const decision = unchanged ? evaluation.decision : 'hold';
    const data = { rolloutId: r.rollout_id, stageIndex: r.stage_index, by: 'monitor', reason: evaluation.reason };
    if (decision === 'halt') {
      const halt: Halt = { reason: result.haltReason!, by: 'monitor', at: new Date(nowMs).toISOString(), detail: evaluation.reason, evaluation };
      await c.query(
        `UPDATE ota_rollouts SET state = 'halted', halt = $2, last_evaluation = $3, baseline_share = $4, updated_at = ${ts('$5')} WHERE rollout_id = $1`,
        [r.rollout_id, JSON.stringify(halt), JSON.stringify(evaluation), result.baselineShare, nowMs],
      );
      await rolloutEvent(c, 'ota.rollout.halted', nowMs, { ...data, haltReason: halt.reason, evaluation });
    } else if (decision === 'advance' || decision === 'complete') {
      const next = passStage(r, nowMs);
      await c.query(
        `UPDATE ota_rollouts SET stage_index = $2, stage_log = $3, state = $4, last_evaluation = $5, baseline_share = $6, updated_at = ${ts('$7')} WHERE rollout_id = $1`,
        [r.rollout_id, next.stageIndex, JSON.stringify(next.log), next.completed ? 'completed' : 'active', JSON.stringify(evaluation), result.baselineShare, nowMs],
      );
      await rolloutEvent(c, next.completed ? 'ota.rollout.completed' : 'ota.rollout.advanced', nowMs, { ...data, toStage: next.stageIndex, evaluation });
    } else {
      const kept = unchanged ? evaluation : { ...evaluation, decision: 'hold' as const, reason: `${r.state}: ${evaluation.reason}` };
      await c.query(`UPDATE ota_rollouts SET last_evaluation = $2, baseline_share = $3 WHERE rollout_id = $1`, [r.rollout_id, JSON.stringify(kept), result.baselineShare]);
    }
    return loadRollout(c, r.rollout_id);
  });
}
