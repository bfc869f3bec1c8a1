import { encodeBody, type Dialect, type DialectRevision, type MigrationState, type RawRecord } from '../../../contract/legacy/dialect.ts';
import type { LegacyLineList, LegacyLineStatus, LegacyMappingResult, LegacyReconcileJobResult, LegacyReconciliation, LegacyRepairJobResult, LegacyUploadResult } from '../../../contract/legacy/wire.ts';
import { FleetRunError } from '../fleet/errors.ts';
import { expectStatus, type FleetHttp, type HttpResult } from '../fleet/http.ts';

/** What a v1 upload got back: the status, the per-record answer when there is one, the problem code otherwise, and the deprecation headers. */
export interface LegacyUploadAnswer {
  http: number;
  body: LegacyUploadResult | null;
  problem: string | null;
  deprecation: boolean;
  sunset: boolean;
}

/** An answer that may be a refusal: the status, the body, and the problem code when it is one. */
export interface Answer<T> {
  http: number;
  body: T | null;
  problem: string | null;
}

const USERS_PER_REQUEST = 10_000;

function problemOf(r: HttpResult): string | null {
  try {
    const p = JSON.parse(r.text) as { code?: unknown };
    return typeof p.code === 'string' ? p.code : null;
  } catch {
    return null;
  }
}

/**
 * Every HTTP call of a legacy run (contract/legacy/wire.ts lists the routes):
 * the old apps' v1 uploads (each line's encoding, auth and User-Agent), the
 * migration team's operator routes (factory credential, as the OTA operator
 * routes take), the testbed hooks (users, faults, deployed revisions, jobs,
 * the virtual clock) and the factory registration of devices that turn into
 * v2 devices. Each call checks the statuses it may get and fails naming what
 * it expected; a refusal the run must record (a closed gate, a refused
 * upload) is returned, not thrown.
 */
export class LegacyPlatform {
  readonly #http: FleetHttp;
  readonly #operator: Record<string, string>;
  #clockMs = 0;

  constructor(http: FleetHttp, factorySecret: string) {
    this.#http = http;
    this.#operator = { 'x-factory-credential': factorySecret };
  }

  /** GET /testbed/clock (epoch ms). */
  async clock(): Promise<number> {
    const r = await this.#http.sendIdempotent('GET', '/testbed/clock', {}, undefined);
    if (r.status === 404) throw new FleetRunError('FLEETBED_FLEET_NOT_TEST_MODE', `GET /testbed/clock answered 404: the platform at ${this.#http.apiUrl} is not in test mode, and a legacy run needs its virtual clock and testbed hooks.`);
    expectStatus('reading the platform clock', r, 200);
    this.#clockMs = (JSON.parse(r.text) as { epochMs: number }).epochMs;
    return this.#clockMs;
  }

  /** PUT /testbed/clock to `epochMs` (never backwards: an earlier time is skipped). */
  async setClock(epochMs: number): Promise<void> {
    if (epochMs <= this.#clockMs) return;
    const r = await this.#http.sendIdempotent('PUT', '/testbed/clock', { 'content-type': 'application/json' }, JSON.stringify({ epochMs }));
    expectStatus(`setting the platform clock to ${new Date(epochMs).toISOString()}`, r, 200);
    this.#clockMs = (JSON.parse(r.text) as { epochMs: number }).epochMs;
  }

  /** POST /testbed/legacy/users: the old system's existing users, with the secrets it issued. */
  async registerUsers(users: ReadonlyArray<{ line: string; userId: string; secret: string }>): Promise<void> {
    for (let i = 0; i < users.length; i += USERS_PER_REQUEST) {
      const r = await this.#http.json('POST', '/testbed/legacy/users', { users: users.slice(i, i + USERS_PER_REQUEST) });
      if (r.status === 404) throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `POST /testbed/legacy/users answered 404: the platform at ${this.#http.apiUrl} has no legacy testbed hooks (a legacy scenario needs a platform that serves the v1 lines, in test mode).`);
      expectStatus(`registering legacy users ${i}..${Math.min(users.length, i + USERS_PER_REQUEST) - 1}`, r, 200, 201, 204);
    }
  }

  /** PUT /testbed/legacy/faults. */
  async setFaults(v2WriteFailurePerMille: number): Promise<void> {
    const r = await this.#http.json('PUT', '/testbed/legacy/faults', { v2WriteFailurePerMille });
    expectStatus('PUT /testbed/legacy/faults', r, 200);
  }

  /** PUT /testbed/legacy/lines/{line}/revisions: deploy the next revision (an app release's customization) to the line's old API. */
  async deployRevision(line: string, revision: DialectRevision): Promise<void> {
    const r = await this.#http.json('PUT', `/testbed/legacy/lines/${line}/revisions`, revision);
    expectStatus(`deploying revision ${revision.revision} of ${line}`, r, 200);
  }

  /** POST <basePath>/sessions as `userId` with `secret`, app build `build`. Never throws for an HTTP answer. */
  async upload(d: Dialect, userId: string, secret: string, build: number, records: readonly RawRecord[]): Promise<LegacyUploadAnswer> {
    const { contentType, body } = encodeBody(d, records);
    const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': `${d.appName}/${build}` };
    const query = new URLSearchParams();
    switch (d.auth.kind) {
      case 'basic':
        headers.authorization = `Basic ${Buffer.from(`${userId}:${secret}`, 'utf8').toString('base64')}`;
        break;
      case 'api-key':
        headers[d.auth.header.toLowerCase()] = secret;
        query.set(d.auth.userParam, userId);
        break;
      case 'query-token':
        query.set(d.auth.userParam, userId);
        query.set(d.auth.tokenParam, secret);
        break;
    }
    const q = query.toString();
    const r = await this.#http.send('POST', `${d.basePath}/sessions${q ? `?${q}` : ''}`, headers, body);
    let parsed: LegacyUploadResult | null = null;
    if (r.status === 200) {
      try {
        parsed = JSON.parse(r.text) as LegacyUploadResult;
      } catch {
        throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `POST ${d.basePath}/sessions answered 200 with a body that is not JSON: ${r.text.slice(0, 200)}`);
      }
    }
    if (r.status >= 500) throw new FleetRunError('FLEETBED_FLEET_HTTP_FAILED', `POST ${d.basePath}/sessions: expected an answer (200, or a 4xx refusal), got ${r.status}: ${r.text.slice(0, 300)}`);
    return { http: r.status, body: parsed, problem: r.status === 200 ? null : problemOf(r), deprecation: r.headers.deprecation !== undefined, sunset: r.headers.sunset !== undefined };
  }

  /** PUT /v2/legacy/lines/{line}/state: the answer, a refusal (409) included. */
  async setState(line: string, state: MigrationState): Promise<Answer<LegacyLineStatus>> {
    const r = await this.#http.json<LegacyLineStatus>('PUT', `/v2/legacy/lines/${line}/state`, { state }, this.#operator);
    if (r.status !== 200 && r.status !== 409) expectStatus(`PUT /v2/legacy/lines/${line}/state ${state}`, r, 200, 409);
    return { http: r.status, body: r.status === 200 ? r.body : null, problem: r.status === 200 ? null : problemOf(r) };
  }

  /** PUT /v2/legacy/lines/{line}/gate. */
  async setGate(line: string, requiredCleanNights: number): Promise<LegacyLineStatus> {
    return this.#operatorJson<LegacyLineStatus>('PUT', `/v2/legacy/lines/${line}/gate`, { requiredCleanNights });
  }

  /** PUT /v2/legacy/lines/{line}/mapping: the answer, a refusal included. */
  async setMapping(line: string, revisions: readonly DialectRevision[]): Promise<Answer<LegacyMappingResult>> {
    const r = await this.#http.json<LegacyMappingResult>('PUT', `/v2/legacy/lines/${line}/mapping`, { revisions }, this.#operator);
    if (r.status !== 200 && r.status !== 409) expectStatus(`PUT /v2/legacy/lines/${line}/mapping`, r, 200, 409);
    return { http: r.status, body: r.status === 200 ? r.body : null, problem: r.status === 200 ? null : problemOf(r) };
  }

  /** GET /v2/legacy/lines. */
  async lines(): Promise<LegacyLineStatus[]> {
    return (await this.#operatorJson<LegacyLineList>('GET', '/v2/legacy/lines')).lines;
  }

  /** GET /v2/legacy/lines/{line}/reconciliations/{night}, with every divergent row. */
  reconciliation(line: string, night: string): Promise<LegacyReconciliation> {
    return this.#operatorJson<LegacyReconciliation>('GET', `/v2/legacy/lines/${line}/reconciliations/${night}`);
  }

  /** POST /testbed/jobs/legacy-repair. */
  async repair(): Promise<LegacyRepairJobResult> {
    return this.#job<LegacyRepairJobResult>('legacy-repair');
  }

  /** POST /testbed/jobs/legacy-reconcile. */
  async reconcile(): Promise<LegacyReconcileJobResult> {
    return this.#job<LegacyReconcileJobResult>('legacy-reconcile');
  }

  /** POST /v2/factory/devices: register devices (they become v2 devices, which sign their records). */
  async provision(devices: ReadonlyArray<{ deviceId: number; serial: string; productLine: string; publicKey: string; firmwareVersion: string }>): Promise<void> {
    const r = await this.#http.json('POST', '/v2/factory/devices', { devices }, this.#operator);
    expectStatus(`factory registration of ${devices.map((d) => d.serial).join(', ')}`, r, 201);
  }

  async #job<T>(name: string): Promise<T> {
    const r = await this.#http.json<{ result: T }>('POST', `/testbed/jobs/${name}`);
    expectStatus(`POST /testbed/jobs/${name}`, r, 200);
    return r.body.result;
  }

  async #operatorJson<T>(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> {
    const r = await this.#http.json<T>(method, path, body, this.#operator);
    expectStatus(`${method} ${path}`, r, 200);
    return r.body;
  }
}
