import { createHash, type KeyObject } from 'node:crypto';
import { packFirmwareVersion } from '../../../contract/firmware-version.ts';
import { inferHeadType } from '../../../contract/head-id.ts';
import { encodeOtaReport, otaReportSigningBytes, packSignedOtaReport } from '../../../contract/ota-report.ts';
import { cohortBucket, percentToBuckets } from '../../../contract/ota-rollout.ts';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../../contract/record.ts';
import { batteryPct } from '../../../simulators/device.ts';
import { deviceKeySeed, privateKeyFromSeed, signWith } from '../../../simulators/device-keys.ts';
import { createFleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { headIdOf } from '../../../simulators/heads.ts';
import { Identities } from '../../../simulators/identities.ts';
import { LINE_CODES } from '../../../simulators/lines.ts';
import type { Ledger } from '../../../simulators/ledger.ts';
import {
  BootloaderState,
  buildImage,
  chunkArrivesCorrupt,
  EVENT,
  ImageCatalog,
  PHASE,
  reportDetail,
  reportState,
  stepBootloader,
  stepRunning,
  toOtaReport,
  type FirmwareBehaviour,
  type FirmwareImage,
  type StepContext,
} from '../../../simulators/ota/index.ts';
import { Draw } from '../../../simulators/seed.ts';
import type { StartedEnvironment } from '../env/types.ts';
import { ensureAccess, signUpHouseholds } from '../fleet/accounts.ts';
import { AppState } from '../fleet/app-state.ts';
import type { DriverStats, FleetContext } from '../fleet/context.ts';
import { readClock, setClock } from '../fleet/drive.ts';
import { expectStatus, FleetHttp, runWorkers } from '../fleet/http.ts';
import { Progress, type ProgressOptions } from '../fleet/progress.ts';
import { provisionAndBond } from '../fleet/setup.ts';
import { toFleetOptions } from '../scenario/to-fleet-options.ts';
import type { ResolvedOtaRollout, ResolvedScenario } from '../scenario/types.ts';
import type { OtaAttempt, OtaOffer, OtaRolloutTrack, OtaRunRecord, RolloutStatus } from './types.ts';

/**
 * The OTA scenario engine. Against a started platform (test mode):
 *
 * 1. build the fleet (simulators/fleet.ts columns), sign up its households, provision
 *    (bulk NDJSON) and bond (the real button-press flow) every device — harness/core/fleet;
 * 2. build each rollout's image (simulators/ota/image.ts: real bytes, signed with the TEST
 *    release key), register it as a release, create the rollout with a seeded rolloutId at
 *    its `at` time;
 * 3. step virtual time an hour at a time. In each hour: every device's running image is
 *    stepped (a quiet-death image latches its onset); devices brush at their fixed hours
 *    (`sessionsPerDay`, evenly spaced) — healthy ones record a signed session, bricked ones
 *    record nothing; each household's phone uploads its devices' sessions through
 *    /v2/uploads, then asks /v2/devices/:id/ota/check for every device of the target line
 *    that brushed; an offer runs the device's dual-bank bootloader (download chunk by chunk,
 *    verify, install, boot with the counter, confirm or roll back) and the phone relays the
 *    device-signed reports to /v2/ota/reports. Every `monitorEvery` the harness runs
 *    POST /testbed/jobs/ota-health-monitor and reads GET /v2/ota/rollouts/:id.
 *
 * Everything is recorded (offers with their time, updates with their reports, monitor
 * runs, rollout status, an hourly history) for the OTA checkers. `policyOverride` runs every
 * rollout under another policy (the counterfactual).
 */
export interface OtaEngineOptions {
  environment: Pick<StartedEnvironment, 'apiUrl' | 'factorySecret'>;
  policyOverride?: 'health-gate' | 'transfer-success';
  workers?: number;
  progress?: ProgressOptions;
  log?: (line: string) => void;
}

const TOPIC_SESSION_HOUR = 0x710;
const TOPIC_SESSION_SECOND = 0x711;
const HOUR = 3600;

/** A stable rolloutId for (seed, rollout index): the counterfactual reuses it, so both runs share the cohorts. */
export function seededRolloutId(seed: string, index: number): string {
  const h = createHash('sha256').update(`fleetbed/ota-rollout/${seed}/${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The simulator's behaviour for a scenario's image behaviour (the scenario says corrupt-transfer). */
export function toBehaviour(b: ResolvedOtaRollout['image']['behaviour']): FirmwareBehaviour {
  const { kind, ...rest } = b as { kind: string } & Record<string, unknown>;
  if (kind === 'corrupt-transfer') return { kind: 'corrupt-in-transfer', ...rest } as FirmwareBehaviour;
  return { kind, ...rest } as FirmwareBehaviour;
}

/** Whether a behaviour makes the image "bad" (it must not spread past the canary). */
export function isBad(b: { kind: string }): boolean {
  return b.kind !== 'good';
}

export async function runOtaEngine(scenario: ResolvedScenario, options: OtaEngineOptions): Promise<OtaRunRecord> {
  const ota = scenario.ota;
  if (!ota) throw new Error(`scenario ${scenario.name} has no ota section`);
  const started = performance.now();
  const log = options.log ?? (() => {});
  const phases: Record<string, number> = {};
  const workers = options.workers ?? scenario.env.harnessWorkers ?? 16;
  const http = new FleetHttp(options.environment.apiUrl, workers);
  const progress = new Progress(options.progress);
  try {
    const startMs = await readClock({ http } as FleetContext);
    const startS = Math.ceil(startMs / 1000);
    const fleet = createFleet(resolveFleetOptions(toFleetOptions(scenario)), startS);
    const stats: DriverStats = { accounts: 0, signIns: 0, refreshes: 0, bonds: 0, uploads: 0, uploadRetries: 0, replays: 0, reinstalls: 0, recordsSent: 0 };
    const ctx: FleetContext = {
      http,
      fleet,
      ledger: {} as Ledger, // setup never books anything: the OTA engine keeps its own records
      app: new AppState(fleet),
      identities: new Identities(fleet.seed),
      progress,
      factorySecret: options.environment.factorySecret,
      workers,
      nowMs: startMs,
      stats,
    };
    let t0 = performance.now();
    await signUpHouseholds(ctx);
    await provisionAndBond(ctx, 25_000);
    phases.setup = secondsSince(t0);

    // ------------------------------------------------------------ images, devices
    const lineCode = LINE_CODES.indexOf(ota.productLine);
    const factory = LINE_CODES.map((line, i) =>
      buildImage({ productLine: line, version: fleet.options.device.factoryFirmware[line], antiRollbackCounter: 1, contentSeed: 1000 + i, sizeBytes: 4096 }),
    );
    const updates: FirmwareImage[] = ota.rollouts.map((r, i) =>
      buildImage({ productLine: ota.productLine, version: r.image.version, antiRollbackCounter: r.image.antiRollbackCounter, contentSeed: 2000 + i, sizeBytes: r.image.sizeBytes, behaviour: toBehaviour(r.image.behaviour) }),
    );
    const catalog = new ImageCatalog([...factory, ...updates]);
    const rolloutImages = updates.map((_, i) => factory.length + i);
    const n = fleet.deviceCount;
    const boot = new BootloaderState(n, ota.bootLimit);
    const eligible: number[] = [];
    const headTypes: Array<string | null> = new Array(n);
    for (let d = 0; d < n; d++) {
      const line = fleet.kind[d]! & 3;
      boot.initDevice(d, line, line, catalog);
      if (line === lineCode) eligible.push(d);
      const t = inferHeadType(headIdOf(fleet, d, 0));
      headTypes[d] = t === 'unknown' ? null : t;
    }
    const draw = new Draw(fleet.seed);
    const interval = 24 / ota.sessionsPerDay;
    const hourOffset = new Uint8Array(n);
    const secondOffset = new Uint16Array(n);
    for (let d = 0; d < n; d++) {
      hourOffset[d] = draw.u32(TOPIC_SESSION_HOUR, d, 0) % interval;
      secondOffset[d] = draw.u32(TOPIC_SESSION_SECOND, d, 0) % 3000;
    }
    const sessionSeq = new Uint32Array(n);
    const firstChargeAt = new Uint32Array(n);
    const keys: Array<KeyObject | undefined> = new Array(n);
    const keyOf = (d: number) => (keys[d] ??= privateKeyFromSeed(deviceKeySeed(fleet.seed, d)));

    const record: OtaRunRecord = {
      scenario,
      ota,
      policyOverride: options.policyOverride ?? null,
      startMs,
      simulatedSeconds: Math.max(1, Math.ceil(scenario.durationSeconds / HOUR)) * HOUR,
      stepSeconds: HOUR,
      fleet,
      catalog,
      rolloutImages,
      boot,
      eligible,
      headTypes,
      offers: [],
      attempts: [],
      downgradeAsks: [],
      monitor: [],
      rollouts: [],
      hours: [],
      took: ota.rollouts.map(() => new Map()),
      totals: { uploads: 0, sessions: 0, stored: 0, rejected: 0, checks: 0, reportsRelayed: 0, reportsRejected: 0 },
      wallSeconds: 0,
      phases,
    };
    const byRolloutId = new Map<string, number>();
    const offeredBefore = ota.rollouts.map(() => new Set<number>()); // devices offered each rollout (O(1) "first offer?" at 100k devices)
    const operator = { 'x-factory-credential': options.environment.factorySecret };
    const operatorJson = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
      const r = await http.json<T>(method, path, body, operator);
      expectStatus(`${method} ${path}`, r, 200, 201);
      return r.body;
    };
    const msToT = (iso: string | null) => (iso === null ? null : Math.round((Date.parse(iso) - startMs) / 1000));

    const createRollout = async (i: number, t: number) => {
      const r = ota.rollouts[i]!;
      const img = catalog.image(rolloutImages[i]!);
      const rel = await operatorJson<{ releaseId: string }>('POST', '/v2/ota/releases', {
        productLine: ota.productLine,
        version: r.image.version,
        sizeBytes: img.manifest.sizeBytes,
        sha256: Buffer.from(img.manifest.sha256).toString('base64url'),
        antiRollbackCounter: r.image.antiRollbackCounter,
        signature: Buffer.from(img.signature).toString('base64url'),
      });
      const rolloutId = seededRolloutId(scenario.seed, i);
      const policy = options.policyOverride ?? r.policy;
      await operatorJson('POST', '/v2/ota/rollouts', {
        releaseId: rel.releaseId,
        rolloutId,
        policy,
        stages: r.stages.map((s) => ({ ...(s.percent !== undefined ? { percent: s.percent } : {}), ...(s.maxDevices !== undefined ? { maxDevices: s.maxDevices } : {}), soakSeconds: s.soakSeconds })),
        gate: r.gate,
      });
      byRolloutId.set(rolloutId, i);
      // The cohorts, recomputed from the contract's hash (nested; caps cumulative).
      const buckets = eligible.map((d) => cohortBucket(rolloutId, fleet.deviceId(d)));
      const cohortSizes = r.stages.map((s) => {
        const within = buckets.filter((b) => b < percentToBuckets(s.percent ?? 100)).length;
        return s.maxDevices !== undefined ? Math.min(within, s.maxDevices) : within;
      });
      const track: OtaRolloutTrack = {
        index: i,
        rolloutId,
        releaseId: rel.releaseId,
        image: rolloutImages[i]!,
        createdAt: t,
        policy,
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
      record.rollouts[i] = track;
      log(`ota: rollout ${i} (${r.image.version}, ${r.image.behaviour.kind}, policy ${policy}) created at ${t / HOUR} h; cohorts ${cohortSizes.join(' / ')} of ${eligible.length}`);
    };

    const refreshStatus = async (t: number) => {
      for (const track of record.rollouts) {
        if (!track) continue;
        const s = await operatorJson<RolloutStatus>('GET', `/v2/ota/rollouts/${track.rolloutId}`);
        track.status = s;
        track.stageStartedAt = s.stages.map((x) => msToT(x.startedAt));
        track.stagePassedAt = s.stages.map((x) => msToT(x.passedAt));
        if (s.state === 'halted' && track.haltAt === null) {
          track.haltAt = s.halt ? msToT(s.halt.at) ?? t : t;
          track.haltStage = s.stageIndex;
          track.haltReason = s.halt?.reason ?? null;
          track.haltDetail = s.halt?.detail ?? null;
          log(`ota: rollout ${track.index} halted at ${(track.haltAt / HOUR).toFixed(1)} h in stage ${s.stageIndex} (${track.haltReason}): ${track.haltDetail}`);
        }
        if (s.state === 'completed' && track.completedAt === null) {
          track.completedAt = t;
          log(`ota: rollout ${track.index} completed at ${(t / HOUR).toFixed(1)} h`);
        }
      }
    };

    // One device's update after an offer, event by event (what driveUpdate does), reporting after each step.
    const runUpdate = (d: number, rollout: number, image: number, nowS: number, t: number): { attempt: OtaAttempt; reports: string[] } => {
      const deviceId = fleet.deviceId(d);
      const rolloutId = record.rollouts[rollout]!.rolloutId;
      const stepCtx: StepContext = { catalog, draw, nowS, headType: (headTypes[d] ?? null) as StepContext['headType'] };
      const attempt: OtaAttempt = { t, d, rollout, image, corrupt: false, reports: [], accepted: 0, rejected: 0 };
      const reports: string[] = [];
      const step = (event: number, arg = 0) => {
        const code = stepBootloader(boot, d, event, arg, stepCtx);
        if (code) {
          const rep = toOtaReport(boot, d, code, { deviceId, rolloutId, nowS, catalog });
          attempt.reports.push({ state: reportState(code), detail: reportDetail(code), bootCount: rep.bootCount });
          if (reportState(code) === 'installed' && !record.took[rollout]!.has(d)) record.took[rollout]!.set(d, t);
          const bytes = encodeOtaReport(rep);
          reports.push(Buffer.from(packSignedOtaReport(bytes, signWith(keyOf(d), otaReportSigningBytes(bytes)))).toString('base64url'));
        }
        return code;
      };
      step(EVENT.offer, image);
      if (boot.phase[d] === PHASE.downloading) {
        const img = catalog.image(image);
        for (let chunk = 0; chunk < img.chunkCount; chunk++) {
          const bad = chunkArrivesCorrupt(img.behaviour, draw, d, boot.attempts[d]!, chunk, img.chunkCount);
          if (bad) attempt.corrupt = true;
          step(EVENT.chunk, bad ? 1 : 0);
        }
        step(EVENT.verify);
        if (step(EVENT.install) !== 0) {
          const phase = (): number => boot.phase[d]!; // read afresh: every step changes it
          while (phase() === PHASE.trial && !boot.booted[d]) step(EVENT.boot);
          step(EVENT.confirm);
        }
      }
      return { attempt, reports };
    };

    // ------------------------------------------------------------ virtual time
    const hours = record.simulatedSeconds / HOUR;
    const monitorEvery = ota.monitorEverySeconds / HOUR;
    t0 = performance.now();
    progress.start('ota hours', hours, () => `${record.offers.length} offers · ${record.hours.at(-1)?.bricked ?? 0} bricked`);
    for (let k = 0; k < hours; k++) {
      const tEnd = (k + 1) * HOUR;
      await setClock(ctx, startMs + tEnd * 1000);
      for (let i = 0; i < ota.rollouts.length; i++) if (!record.rollouts[i] && ota.rollouts[i]!.at <= k * HOUR) await createRollout(i, tEnd);

      // Running images step: quiet-death onsets latch here (hour resolution).
      const hourS = startS + k * HOUR;
      for (const d of eligible) {
        if (boot.confirmedAt[d] === 0 || boot.quietAt[d]) continue;
        if (firstChargeAt[d] === 0 && hourS > boot.confirmedAt[d]! && batteryPct(fleet, d, hourS) > batteryPct(fleet, d, hourS - HOUR) + 5) firstChargeAt[d] = hourS;
        stepRunning(boot, d, catalog, draw, { nowS: hourS, firstChargeAtS: firstChargeAt[d]!, batteryPct: batteryPct(fleet, d, hourS), headType: (headTypes[d] ?? null) as StepContext['headType'] });
      }

      const hour = { t: tEnd, onNewImage: 0, bricked: 0, offers: 0, uploads: 0, sessions: 0, rollouts: [] as Array<{ state: string; stage: number } | null> };
      let h = 0;
      await runWorkers(workers, () => {
        if (h >= fleet.householdCount) return undefined;
        const household = h++;
        return async () => {
          const d0 = fleet.hhFirstDevice[household]!;
          const d1 = fleet.hhFirstDevice[household + 1]!;
          const brushed: Array<{ d: number; at: number }> = [];
          const records: string[] = [];
          for (let d = d0; d < d1; d++) {
            if ((k + hourOffset[d]!) % interval !== 0) continue;
            if (boot.quietAt[d]) continue; // a bricked device records and reports nothing
            const at = hourS + secondOffset[d]!;
            const s: SessionRecord = {
              formatVersion: 1,
              clockReset: false,
              headChanged: false,
              deviceId: fleet.deviceId(d),
              seq: ++sessionSeq[d]!,
              startedAt: at,
              durationS: 120,
              zones: 0xff,
              pressureAlerts: 0,
              headId: headIdOf(fleet, d, 0),
              firmwareVersion: catalog.version[boot.running(d)]!,
              batteryPct: batteryPct(fleet, d, at),
            };
            const bytes = encodeSessionRecord(s);
            records.push(Buffer.from(packSignedRecord(bytes, signWith(keyOf(d), sessionRecordSigningBytes(bytes)))).toString('base64url'));
            brushed.push({ d, at });
          }
          if (brushed.length === 0) return;
          const p = fleet.hhFirstPhone[household]!;
          await ensureAccess(ctx, p);
          const auth = () => ({ authorization: `Bearer ${ctx.app.accessToken(p)}` });
          const up = await http.sendIdempotent('POST', '/v2/uploads', { 'content-type': 'application/json', ...auth(), 'idempotency-key': `ota-${scenario.seed}-${household}-${k}` }, JSON.stringify({ records }));
          expectStatus(`upload of household ${household} at hour ${k}`, up, 200, 422);
          const counts = (JSON.parse(up.text) as { counts: { stored: number; duplicate: number; rejected: number } }).counts;
          record.totals.uploads++;
          record.totals.sessions += records.length;
          record.totals.stored += counts.stored;
          record.totals.rejected += counts.rejected;
          hour.uploads++;
          hour.sessions += records.length;

          for (const { d, at } of brushed) {
            if ((fleet.kind[d]! & 3) !== lineCode) continue;
            const deviceId = fleet.deviceId(d);
            const r = await http.json<{ offer: null | { rolloutId: string; version: string; antiRollbackCounter: number; manifest: string; signature: string; stageIndex: number }; reason: string | null }>(
              'POST',
              `/v2/devices/${deviceId}/ota/check`,
              undefined,
              auth(),
            );
            expectStatus(`OTA check of device ${deviceId}`, r, 200);
            record.totals.checks++;
            // The downgrade candidates of every created rollout: a device whose counter is above the release's.
            for (const track of record.rollouts) {
              if (!track) continue;
              const releaseCounter = catalog.counter[track.image]!;
              if (boot.antiRollback[d]! > releaseCounter && track === latestRollout()) {
                record.downgradeAsks.push({ t: tEnd, d, rollout: track.index, deviceCounter: boot.antiRollback[d]!, releaseCounter, offered: r.body.offer !== null, reason: r.body.reason });
              }
            }
            const offer = r.body.offer;
            if (!offer) continue;
            const rollout = byRolloutId.get(offer.rolloutId);
            if (rollout === undefined) throw new Error(`device ${deviceId} was offered rollout ${offer.rolloutId}, which this run never created`);
            const image = rolloutImages[rollout]!;
            const img = catalog.image(image);
            const first = !offeredBefore[rollout]!.has(d);
            offeredBefore[rollout]!.add(d);
            const o: OtaOffer = {
              t: tEnd,
              d,
              deviceId,
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
            record.offers.push(o);
            hour.offers++;
            if (boot.phase[d] !== PHASE.idle) continue;
            const { attempt, reports } = runUpdate(d, rollout, image, at + 60, tEnd);
            if (reports.length > 0) {
              const rel = await http.json<{ counts: { stored: number; duplicate: number; rejected: number } }>('POST', '/v2/ota/reports', { reports }, auth());
              expectStatus(`OTA reports of device ${deviceId}`, rel, 200, 422);
              attempt.accepted = rel.body.counts.stored + rel.body.counts.duplicate;
              attempt.rejected = rel.body.counts.rejected;
              record.totals.reportsRelayed += reports.length;
              record.totals.reportsRejected += rel.body.counts.rejected;
            }
            record.attempts.push(attempt);
          }
        };
      });

      if ((k + 1) % monitorEvery === 0) {
        const r = await http.json<{ result: { rollouts: Array<{ rolloutId: string; before: { state: string; stageIndex: number }; after: { state: string; stageIndex: number }; evaluation: { decision: string; reason: string; evaluationMs: number } }> } }>(
          'POST',
          '/testbed/jobs/ota-health-monitor',
        );
        expectStatus('POST /testbed/jobs/ota-health-monitor', r, 200);
        record.monitor.push({
          t: tEnd,
          rollouts: r.body.result.rollouts.map((x) => ({ rolloutId: x.rolloutId, before: x.before, after: x.after, decision: x.evaluation.decision, reason: x.evaluation.reason, evaluationMs: x.evaluation.evaluationMs })),
        });
        await refreshStatus(tEnd);
      }
      for (const d of eligible) {
        const running = boot.running(d);
        if (rolloutImages.includes(running) && boot.confirmedAt[d] !== 0) hour.onNewImage++;
        if (boot.quietAt[d]) hour.bricked++;
      }
      hour.rollouts = ota.rollouts.map((_, i) => (record.rollouts[i]?.status ? { state: record.rollouts[i]!.status!.state, stage: record.rollouts[i]!.status!.stageIndex } : null));
      record.hours.push(hour);
      progress.add();
    }
    await refreshStatus(record.simulatedSeconds);
    phases.simulate = secondsSince(t0);
    progress.end(`${record.offers.length} offers, ${record.attempts.length} updates, ${record.hours.at(-1)?.bricked ?? 0} bricked`);
    record.wallSeconds = secondsSince(started);
    return record;

    function latestRollout(): OtaRolloutTrack | undefined {
      for (let i = record.rollouts.length - 1; i >= 0; i--) if (record.rollouts[i]) return record.rollouts[i];
      return undefined;
    }
  } finally {
    await http.close();
  }
}

function secondsSince(t: number): number {
  return Math.round((performance.now() - t) / 10) / 100;
}
