import type { FirmwareImage } from '../../../simulators/ota/index.ts';
import { expectStatus, type FleetHttp } from '../fleet/http.ts';
import type { ResolvedOtaRollout } from '../scenario/types.ts';
import type { RolloutStatus } from './types.ts';

/** What the platform answered an upload (sessions or OTA reports), per record. */
export interface RecordCounts {
  stored: number;
  duplicate: number;
  rejected: number;
}

/** POST /v2/devices/:id/ota/check: an offer, or why there is none. */
export interface OfferAnswer {
  offer: null | { rolloutId: string; version: string; antiRollbackCounter: number; manifest: string; signature: string; stageIndex: number };
  reason: string | null;
}

/** One rollout the health monitor evaluated (POST /testbed/jobs/ota-health-monitor). */
export interface MonitorEvaluation {
  rolloutId: string;
  before: { state: string; stageIndex: number };
  after: { state: string; stageIndex: number };
  evaluation: { decision: string; reason: string; evaluationMs: number };
}

/**
 * Every HTTP call of an OTA run, over the driver's client: the operator's
 * (releases, rollouts, rollout status, with the factory credential), the test
 * hook that runs the health monitor now, and the phone's (session uploads,
 * offer checks, report relays, with the household's bearer token). Each
 * call checks the status it must get and fails with what it expected.
 */
export class OtaPlatform {
  readonly #http: FleetHttp;
  readonly #operator: Record<string, string>;

  constructor(http: FleetHttp, factorySecret: string) {
    this.#http = http;
    this.#operator = { 'x-factory-credential': factorySecret };
  }

  /** POST /v2/ota/releases: register `image` (its manifest's size and hash, its signature). Returns the releaseId. */
  async createRelease(productLine: string, version: string, antiRollbackCounter: number, image: FirmwareImage): Promise<string> {
    const rel = await this.#operatorJson<{ releaseId: string }>('POST', '/v2/ota/releases', {
      productLine,
      version,
      sizeBytes: image.manifest.sizeBytes,
      sha256: Buffer.from(image.manifest.sha256).toString('base64url'),
      antiRollbackCounter,
      signature: Buffer.from(image.signature).toString('base64url'),
    });
    return rel.releaseId;
  }

  /** POST /v2/ota/rollouts: roll release `releaseId` out under `policy` with the scenario rollout's stages and gate. */
  async createRollout(releaseId: string, rolloutId: string, policy: string, rollout: ResolvedOtaRollout): Promise<void> {
    await this.#operatorJson('POST', '/v2/ota/rollouts', {
      releaseId,
      rolloutId,
      policy,
      stages: rollout.stages.map((s) => ({ ...(s.percent !== undefined ? { percent: s.percent } : {}), ...(s.maxDevices !== undefined ? { maxDevices: s.maxDevices } : {}), soakSeconds: s.soakSeconds })),
      gate: rollout.gate,
    });
  }

  /** GET /v2/ota/rollouts/:id. */
  rolloutStatus(rolloutId: string): Promise<RolloutStatus> {
    return this.#operatorJson<RolloutStatus>('GET', `/v2/ota/rollouts/${rolloutId}`);
  }

  /** POST /testbed/jobs/ota-health-monitor: run the fleet-health monitor now; its evaluation of each rollout. */
  async runHealthMonitor(): Promise<MonitorEvaluation[]> {
    const r = await this.#http.json<{ result: { rollouts: MonitorEvaluation[] } }>('POST', '/testbed/jobs/ota-health-monitor');
    expectStatus('POST /testbed/jobs/ota-health-monitor', r, 200);
    return r.body.result.rollouts;
  }

  /** POST /v2/uploads: a phone's signed session records (`what` names it in an error). 422 (some refused) is an answer too. */
  async uploadSessions(token: string, idempotencyKey: string, records: string[], what: string): Promise<RecordCounts> {
    const up = await this.#http.sendIdempotent('POST', '/v2/uploads', { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': idempotencyKey }, JSON.stringify({ records }));
    expectStatus(what, up, 200, 422);
    return (JSON.parse(up.text) as { counts: RecordCounts }).counts;
  }

  /** POST /v2/devices/:id/ota/check, as the device's owner. */
  async checkOffer(deviceId: number, token: string): Promise<OfferAnswer> {
    const r = await this.#http.json<OfferAnswer>('POST', `/v2/devices/${deviceId}/ota/check`, undefined, { authorization: `Bearer ${token}` });
    expectStatus(`OTA check of device ${deviceId}`, r, 200);
    return r.body;
  }

  /** POST /v2/ota/reports: relay a device's signed reports. 422 (some refused) is an answer too. */
  async relayReports(deviceId: number, token: string, reports: string[]): Promise<RecordCounts> {
    const rel = await this.#http.json<{ counts: RecordCounts }>('POST', '/v2/ota/reports', { reports }, { authorization: `Bearer ${token}` });
    expectStatus(`OTA reports of device ${deviceId}`, rel, 200, 422);
    return rel.body.counts;
  }

  async #operatorJson<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const r = await this.#http.json<T>(method, path, body, this.#operator);
    expectStatus(`${method} ${path}`, r, 200, 201);
    return r.body;
  }
}
