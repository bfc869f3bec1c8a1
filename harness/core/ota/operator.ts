import { createHash } from 'node:crypto';
import type { ResolvedOta } from '../scenario/types.ts';
import type { OtaPlatform } from './platform-calls.ts';
import type { OtaRecorder } from './run-recorder.ts';
import type { OtaWorld } from './world.ts';

const HOUR = 3600;

/** A stable rolloutId for (seed, rollout index): the counterfactual reuses it, so both runs share the cohorts. */
export function seededRolloutId(seed: string, index: number): string {
  const h = createHash('sha256').update(`fleetbed/ota-rollout/${seed}/${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * The release operator and the platform's scheduler, as the harness plays
 * them: each rollout is registered and created at its `at` time (seeded
 * rolloutId, the scenario's policy or the counterfactual's override), the
 * health monitor job runs on its cadence, and every rollout's status is read
 * back after it. What they answer goes to the recorder.
 */
export class Operator {
  readonly #ota: ResolvedOta;
  readonly #world: OtaWorld;
  readonly #platform: OtaPlatform;
  readonly #recorder: OtaRecorder;
  readonly #options: { seed: string; policyOverride?: 'health-gate' | 'transfer-success' | undefined; log: (line: string) => void };

  constructor(ota: ResolvedOta, world: OtaWorld, platform: OtaPlatform, recorder: OtaRecorder, options: { seed: string; policyOverride?: 'health-gate' | 'transfer-success' | undefined; log: (line: string) => void }) {
    this.#ota = ota;
    this.#world = world;
    this.#platform = platform;
    this.#recorder = recorder;
    this.#options = options;
  }

  /** Create every rollout not yet created whose `at` is at or before hour `k`'s start; `t` is the simulated time they are recorded at. */
  async createDueRollouts(k: number, t: number): Promise<void> {
    for (let i = 0; i < this.#ota.rollouts.length; i++) if (!this.#recorder.record.rollouts[i] && this.#ota.rollouts[i]!.at <= k * HOUR) await this.#createRollout(i, t);
  }

  /** Run the health monitor at simulated time `t`, then read every rollout's status. */
  async runMonitor(t: number): Promise<void> {
    this.#recorder.monitorRan(t, await this.#platform.runHealthMonitor());
    await this.refreshStatus(t);
  }

  /** Read every created rollout's status (GET /v2/ota/rollouts/:id) at simulated time `t`. */
  async refreshStatus(t: number): Promise<void> {
    for (const track of this.#recorder.record.rollouts) {
      if (!track) continue;
      this.#recorder.rolloutStatus(track, await this.#platform.rolloutStatus(track.rolloutId), t);
    }
  }

  async #createRollout(i: number, t: number): Promise<void> {
    const r = this.#ota.rollouts[i]!;
    const { catalog, eligible, rolloutImages } = this.#world;
    const releaseId = await this.#platform.createRelease(this.#ota.productLine, r.image.version, r.image.antiRollbackCounter, catalog.image(rolloutImages[i]!));
    const rolloutId = seededRolloutId(this.#options.seed, i);
    const policy = this.#options.policyOverride ?? r.policy;
    await this.#platform.createRollout(releaseId, rolloutId, policy, r);
    const track = this.#recorder.rolloutCreated(i, { rolloutId, releaseId, policy }, t);
    this.#options.log(`ota: rollout ${i} (${r.image.version}, ${r.image.behaviour.kind}, policy ${policy}) created at ${t / HOUR} h; cohorts ${track.cohortSizes.join(' / ')} of ${eligible.length}`);
  }
}
