import { packFirmwareVersion } from '../../../contract/firmware-version.ts';
import { cohortBucket, percentToBuckets } from '../../../contract/ota-rollout.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import type { MonitorEvaluation, OfferAnswer, RecordCounts } from './platform-calls.ts';
import type { UpdateRun } from './simulation-step.ts';
import type { OtaAttempt, OtaHourPoint, OtaOffer, OtaRolloutTrack, OtaRunRecord, RolloutStatus } from './types.ts';
import type { OtaWorld } from './world.ts';

const HOUR = 3600;

/**
 * Writes down what an OTA run saw, into the {@link OtaRunRecord} the OTA
 * checkers and the report read: rollouts created (with their cohorts,
 * recomputed from the contract's hash) and their status as the platform
 * reports it (halt and completion times), uploads and offer checks, every offer
 * and every update with its reports, monitor runs, and a point per simulated
 * hour. It reads the world but never changes it, and calls nothing.
 */
export class OtaRecorder {
  /** The record being written; complete once the engine returns it. */
  readonly record: OtaRunRecord;
  readonly #world: OtaWorld;
  readonly #log: (line: string) => void;
  readonly #byRolloutId = new Map<string, number>();
  /** Devices offered each rollout (O(1) "first offer?" at 100k devices). */
  readonly #offeredBefore: Array<Set<number>>;
  #hour: OtaHourPoint | undefined;

  constructor(scenario: ResolvedScenario, world: OtaWorld, options: { startMs: number; policyOverride: 'health-gate' | 'transfer-success' | null; log: (line: string) => void }) {
    const ota = scenario.ota!;
    this.#world = world;
    this.#log = options.log;
    this.#offeredBefore = ota.rollouts.map(() => new Set<number>());
    this.record = {
      scenario,
      ota,
      policyOverride: options.policyOverride,
      startMs: options.startMs,
      simulatedSeconds: Math.max(1, Math.ceil(scenario.durationSeconds / HOUR)) * HOUR,
      stepSeconds: HOUR,
      fleet: world.fleet,
      catalog: world.catalog,
      rolloutImages: world.rolloutImages,
      boot: world.boot,
      eligible: world.eligible,
      headTypes: world.headTypes,
      offers: [],
      attempts: [],
      downgradeAsks: [],
      monitor: [],
      rollouts: [],
      hours: [],
      took: ota.rollouts.map(() => new Map()),
      totals: { uploads: 0, sessions: 0, stored: 0, rejected: 0, checks: 0, reportsRelayed: 0, reportsRejected: 0, baselineSessions: 0 },
      wallSeconds: 0,
      phases: {},
    };
  }

  /** Rollout `i` was created at simulated time `t`: track it, with the cohort of each stage (nested; caps cumulative). */
  rolloutCreated(i: number, ids: { rolloutId: string; releaseId: string; policy: string }, t: number): OtaRolloutTrack {
    const { eligible, fleet, rolloutImages } = this.#world;
    const r = this.record.ota.rollouts[i]!;
    this.#byRolloutId.set(ids.rolloutId, i);
    const buckets = eligible.map((d) => cohortBucket(ids.rolloutId, fleet.deviceId(d)));
    const cohortSizes = r.stages.map((s) => {
      const within = buckets.filter((b) => b < percentToBuckets(s.percent ?? 100)).length;
      return s.maxDevices !== undefined ? Math.min(within, s.maxDevices) : within;
    });
    const track: OtaRolloutTrack = {
      index: i,
      rolloutId: ids.rolloutId,
      releaseId: ids.releaseId,
      image: rolloutImages[i]!,
      createdAt: t,
      policy: ids.policy,
      status: null,
      haltAt: null,
      haltStage: null,
      haltReason: null,
      haltDetail: null,
      completedAt: null,
      cohortSizes,
      stageStartedAt: [],
      stagePassedAt: [],
    };
    this.record.rollouts[i] = track;
    return track;
  }

  /** The index of the rollout the run created as `rolloutId`, if it did. */
  rolloutIndex(rolloutId: string): number | undefined {
    return this.#byRolloutId.get(rolloutId);
  }

  /** The platform's status of a tracked rollout, read at simulated time `t`: notes its stage times, and the first time it is seen halted or completed. */
  rolloutStatus(track: OtaRolloutTrack, s: RolloutStatus, t: number): void {
    track.status = s;
    track.stageStartedAt = s.stages.map((x) => this.#toT(x.startedAt));
    track.stagePassedAt = s.stages.map((x) => this.#toT(x.passedAt));
    if (s.state === 'halted' && track.haltAt === null) {
      track.haltAt = s.halt ? this.#toT(s.halt.at) ?? t : t;
      track.haltStage = s.stageIndex;
      track.haltReason = s.halt?.reason ?? null;
      track.haltDetail = s.halt?.detail ?? null;
      this.#log(`ota: rollout ${track.index} halted at ${(track.haltAt / HOUR).toFixed(1)} h in stage ${s.stageIndex} (${track.haltReason}): ${track.haltDetail}`);
    }
    if (s.state === 'completed' && track.completedAt === null) {
      track.completedAt = t;
      this.#log(`ota: rollout ${track.index} completed at ${(t / HOUR).toFixed(1)} h`);
    }
  }

  /** A new simulated hour, ending at simulated time `t`. */
  hourStarted(t: number): void {
    this.#hour = { t, onNewImage: 0, bricked: 0, offers: 0, uploads: 0, sessions: 0, rollouts: [] };
  }

  /** A phone uploaded `sessions` signed sessions (in the baseline too); the platform answered `counts`. */
  sessionsUploaded(sessions: number, counts: RecordCounts): void {
    const { totals } = this.record;
    totals.uploads++;
    totals.sessions += sessions;
    totals.stored += counts.stored;
    totals.rejected += counts.rejected;
    if (!this.#hour) return; // the baseline, before the rollouts' hours
    this.#hour.uploads++;
    this.#hour.sessions += sessions;
  }

  /**
   * Device `d` asked for an update at simulated time `t` and got `answer`. A
   * device whose counter is above the latest rollout's release is a downgrade
   * candidate, noted with what it was told.
   */
  offerChecked(t: number, d: number, answer: OfferAnswer): void {
    const { boot, catalog } = this.#world;
    this.record.totals.checks++;
    const latest = this.#latestRollout();
    for (const track of this.record.rollouts) {
      if (!track) continue;
      const releaseCounter = catalog.counter[track.image]!;
      if (boot.antiRollback[d]! > releaseCounter && track === latest) {
        this.record.downgradeAsks.push({ t, d, rollout: track.index, deviceCounter: boot.antiRollback[d]!, releaseCounter, offered: answer.offer !== null, reason: answer.reason });
      }
    }
  }

  /** Device `d` got `offer` of (tracked) rollout `rollout` at simulated time `t`, as the device saw it before acting on it. */
  offered(t: number, d: number, rollout: number, offer: NonNullable<OfferAnswer['offer']>): OtaOffer {
    const { boot, catalog, fleet, rolloutImages } = this.#world;
    const img = catalog.image(rolloutImages[rollout]!);
    const first = !this.#offeredBefore[rollout]!.has(d);
    this.#offeredBefore[rollout]!.add(d);
    const o: OtaOffer = {
      t,
      d,
      deviceId: fleet.deviceId(d),
      rollout,
      rolloutId: offer.rolloutId,
      stageIndex: offer.stageIndex,
      version: offer.version,
      antiRollbackCounter: offer.antiRollbackCounter,
      deviceCounter: boot.antiRollback[d]!,
      notNewer: catalog.version[boot.running(d)]! >= packFirmwareVersion(offer.version),
      manifestMatches: offer.manifest === Buffer.from(img.manifestBytes).toString('base64url') && offer.signature === Buffer.from(img.signature).toString('base64url'),
      first,
    };
    this.record.offers.push(o);
    this.#hour!.offers++;
    return o;
  }

  /**
   * Device `d` ran the update to rollout `rollout`'s image at simulated time
   * `t`: the first time it installed the image is noted (`took`). The attempt
   * is recorded by {@link updateEnded}, once its reports are relayed.
   */
  updateRan(t: number, d: number, rollout: number, image: number, update: UpdateRun): OtaAttempt {
    const took = this.record.took[rollout]!;
    if (update.reports.some((x) => x.state === 'installed') && !took.has(d)) took.set(d, t);
    return { t, d, rollout, image, corrupt: update.corrupt, reports: update.reports, accepted: 0, rejected: 0 };
  }

  /** The attempt is over; `relayed` is what the platform answered the phone's relay of its `sent` reports (absent: nothing to relay). */
  updateEnded(attempt: OtaAttempt, relayed?: { sent: number; counts: RecordCounts }): void {
    if (relayed) {
      attempt.accepted = relayed.counts.stored + relayed.counts.duplicate;
      attempt.rejected = relayed.counts.rejected;
      this.record.totals.reportsRelayed += relayed.sent;
      this.record.totals.reportsRejected += relayed.counts.rejected;
    }
    this.record.attempts.push(attempt);
  }

  /** The health monitor ran at simulated time `t`. */
  monitorRan(t: number, evaluations: MonitorEvaluation[]): void {
    this.record.monitor.push({
      t,
      rollouts: evaluations.map((x) => ({ rolloutId: x.rolloutId, before: x.before, after: x.after, decision: x.evaluation.decision, reason: x.evaluation.reason, evaluationMs: x.evaluation.evaluationMs })),
    });
  }

  /** The hour is over: count the devices on a rollout's image and the bricked ones, note each rollout's state and stage. */
  hourEnded(): void {
    const { boot, eligible, rolloutImages } = this.#world;
    const hour = this.#hour!;
    for (const d of eligible) {
      const running = boot.running(d);
      if (rolloutImages.includes(running) && boot.confirmedAt[d] !== 0) hour.onNewImage++;
      if (boot.quietAt[d]) hour.bricked++;
    }
    const rollouts = this.record.rollouts;
    hour.rollouts = this.record.ota.rollouts.map((_, i) => (rollouts[i]?.status ? { state: rollouts[i]!.status!.state, stage: rollouts[i]!.status!.stageIndex } : null));
    this.record.hours.push(hour);
    this.#hour = undefined;
  }

  #latestRollout(): OtaRolloutTrack | undefined {
    const rollouts = this.record.rollouts;
    for (let i = rollouts.length - 1; i >= 0; i--) if (rollouts[i]) return rollouts[i];
    return undefined;
  }

  /** Simulated seconds of a platform timestamp. */
  #toT(iso: string | null): number | null {
    return iso === null ? null : Math.round((Date.parse(iso) - this.record.startMs) / 1000);
  }
}
