import type { FleetRunResult } from '../fleet/run-fleet.ts';
import type { RunHistory } from '../history.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { PlatformApi } from './_internals/platform-api.ts';

/** Defaults of a care probe, in one place. */
export const CARE_PROBE_DEFAULTS = Object.freeze({
  /** Households that consent and whose sessions the provider reads. */
  patients: 5,
  /** The period starts this long before the fleet's first day (the late window). */
  lookbackMs: 30 * 86_400_000,
});

export interface CareProbeOptions {
  /** Where the platform is (the API is all the probe uses). */
  env: { apiUrl: string };
  /** The platform's factory credential: registering a care provider is an operator action. */
  factorySecret: string;
  /** The fleet run whose households become patients. */
  fleet: Pick<FleetRunResult, 'fleet'>;
  /** The scenario (unused by the probe itself; kept for the runner's call shape and future knobs). */
  scenario?: ResolvedScenario;
  /** Each query made is appended to `history.careQueries`. */
  history: RunHistory;
  patients?: number;
  /** Period queried; default from 30 days before the fleet's first day to a day after the platform clock now. */
  fromMs?: number;
  toMs?: number;
}

export interface CareProbeResult {
  providerAccountId: string;
  queries: RunHistory['careQueries'];
}

/**
 * A scenario ACTION, not a checker (it writes domain state): what a dentist's
 * practice does. Registers a care provider (POST /v2/care-providers with the
 * factory credential), lets `patients` households spread over the
 * fleet grant it consent (PUT /v2/care/consents/{providerId}), and has the
 * provider read each patient's sessions over the period
 * (GET /v2/care/patients/{patient}/sessions?from&to). Every query is recorded
 * in `history.careQueries` with its status; PRIV-2 then expects one
 * identity_join_audit row per query answered 200. Then every other patient
 * revokes the consent and the provider reads each patient again: the revoked
 * must give nothing, the others stay readable (booked in `history.lifecycle`
 * for AUTH-5). Deterministic for a fleet.
 */
export async function runCareQueries(options: CareProbeOptions): Promise<CareProbeResult> {
  const { history } = options;
  const fleet = options.fleet.fleet;
  const patients = options.patients ?? CARE_PROBE_DEFAULTS.patients;
  if (!Number.isInteger(patients) || patients < 1) throw new RangeError(`runCareQueries: patients must be an integer ≥ 1, got ${JSON.stringify(patients)}`);
  const api = new PlatformApi(options.env.apiUrl, fleet.seed);
  const tag = `${fleet.seed.toString(36)}-${fleet.deviceIdBase.toString(36)}`;
  const provider = { email: `care.probe.${tag}@example.com`, password: `fb-care-${tag}`, displayName: 'Fleetbed Care Probe' };
  const registered = await api.request<{ accountId?: string; code?: string }>('POST', '/v2/care-providers', provider, { 'x-factory-credential': options.factorySecret });
  if (registered.status === 409) {
    throw new Error(`the care provider ${provider.email} already exists on this platform (a re-run of the same seed): run against a fresh database, or use another --seed`);
  }
  const providerAccountId = registered.body?.accountId;
  if (registered.status !== 201 || !providerAccountId) {
    throw new Error(`registering the care provider ${provider.email} (POST /v2/care-providers) answered ${registered.status}: ${registered.text.slice(0, 200)}`);
  }
  const providerToken = await api.token(provider.email, provider.password);

  const fromMs = options.fromMs ?? fleet.dayZeroS * 1000 - CARE_PROBE_DEFAULTS.lookbackMs;
  const toMs = options.toMs ?? (await platformNowMs(api, fromMs)) + 86_400_000;
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  const queries: RunHistory['careQueries'] = [];
  const patientsSeen: Array<{ h: number; token: string; patientAccountId: string }> = [];
  const step = Math.max(1, Math.floor((fleet.hhTo - fleet.hhFrom) / patients));
  for (let h = fleet.hhFrom, n = 0; h < fleet.hhTo && n < patients; h += step, n++) {
    const token = await api.householdToken(h);
    const consent = await api.request<{ patientAccountId?: string }>('PUT', `/v2/care/consents/${providerAccountId}`, undefined, { authorization: `Bearer ${token}` });
    if (consent.status !== 200 || !consent.body?.patientAccountId) throw new Error(`household ${h} granting consent to ${providerAccountId} answered ${consent.status}: ${consent.text.slice(0, 200)}`);
    const patientAccountId = consent.body.patientAccountId;
    const r = await api.get(`/v2/care/patients/${patientAccountId}/sessions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, providerToken);
    const q = { providerAccountId, patientAccountId, status: r.status };
    queries.push(q);
    history.careQueries.push(q);
    patientsSeen.push({ h, token, patientAccountId });
  }
  // The consent lifecycle by its effect (AUTH-5): every other patient revokes; the provider then
  // reads nothing of a revoked patient and still reads the others.
  for (const [i, p] of patientsSeen.entries()) {
    const revoke = i % 2 === 1;
    const book = (step: string, expected: number[], status: number) => history.lifecycle.push({ rule: 'consent', subject: `patient of household ${p.h}`, step, expected, status });
    if (revoke) {
      const d = await api.request('DELETE', `/v2/care/consents/${providerAccountId}`, undefined, { authorization: `Bearer ${p.token}` });
      book('the patient revokes the consent', [204], d.status);
    }
    const r = await api.get(`/v2/care/patients/${p.patientAccountId}/sessions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, providerToken);
    const q = { providerAccountId, patientAccountId: p.patientAccountId, status: r.status };
    queries.push(q);
    history.careQueries.push(q);
    if (revoke) book('after the revocation the provider reads nothing of the patient (403 consent-required)', [403], r.status);
    else book('a patient who did not revoke stays readable', [200], r.status);
  }
  return { providerAccountId, queries };
}

async function platformNowMs(api: PlatformApi, fallbackFromMs: number): Promise<number> {
  const r = await api.request<{ epochMs?: number }>('GET', '/testbed/clock');
  return r.status === 200 && typeof r.body?.epochMs === 'number' ? r.body.epochMs : fallbackFromMs + 90 * 86_400_000;
}
