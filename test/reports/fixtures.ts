import type { AttackResult, InvariantResult, RunReport, ScenarioResult, TimelinePoint } from '../../reports/types.ts';

/**
 * Realistic run reports for the report writers' tests: three CI scenarios with a
 * 30-point timeline each, OTA blast radius under two policies, and a handful of
 * attack cases. `failing: true` turns ING-1 red in `retry-after-commit` (three
 * witnesses, the shape the duplicate-on-retry fixture produces) and lets one
 * attack through, with hostile strings in what the attacker controls.
 */
export interface FixtureOptions {
  failing?: boolean;
  /** Timeline points per scenario (default 30). */
  points?: number;
}

const COMMIT = '3c956710590d698c76b39da5a1d7dfa952d13250';
const SEED = '20261127';

/** A deterministic hex string, so fixtures look like digests without hashing anything. */
function hex(n: number, len = 64): string {
  let x = n >>> 0 || 1;
  let out = '';
  while (out.length < len) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += (x >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, len);
}

/** A diurnal curve: people brush mornings and evenings, phones sync when apps open. */
function timeline(points: number, stepSeconds: number, devices: number, opts: { spikeAt?: number; dupRate: number; lateRate: number }): TimelinePoint[] {
  return Array.from({ length: points }, (_, i) => {
    const t = (i + 1) * stepSeconds;
    const day = (2 * Math.PI * t) / 86_400;
    const uploads = Math.round((devices / 8) * (1 + 0.6 * Math.sin(day) + 0.25 * Math.sin(2 * day + 1)));
    const spike = opts.spikeAt !== undefined && Math.abs(i - opts.spikeAt) <= 1 ? 3 : 1;
    return {
      t,
      uploads,
      recordsStored: uploads * 3,
      duplicates: Math.round(uploads * opts.dupRate * spike),
      late: Math.round(uploads * opts.lateRate * (1 + 0.5 * Math.cos(day))),
      rejected: i % 7 === 3 ? 2 : 0,
      p99Ms: Math.round((38 + 22 * Math.sin(day + 0.5) ** 2 + (spike > 1 ? 140 : 0)) * 10) / 10,
    };
  });
}

function sum(tl: TimelinePoint[], k: keyof TimelinePoint): number {
  return tl.reduce((a, p) => a + p[k], 0);
}

function metrics(tl: TimelinePoint[], extra: Record<string, unknown> = {}) {
  return {
    uploads: sum(tl, 'uploads'),
    recordsProduced: sum(tl, 'recordsStored') + 41,
    recordsStored: sum(tl, 'recordsStored'),
    duplicates: sum(tl, 'duplicates'),
    late: sum(tl, 'late'),
    rejected: sum(tl, 'rejected'),
    lostAtDevice: 41,
    latencyMs: { p50: 11.4, p90: 27.9, p99: Math.max(...tl.map((p) => p.p99Ms)), max: 412.7, count: sum(tl, 'uploads') },
    ...extra,
  };
}

const ING_TITLES: Record<string, string> = {
  'ING-1': 'exactly once: every relayed record stored once, nothing stored that no device produced',
  'ING-2': 'append-only: stored events are never updated or deleted',
  'ING-3': 'idempotent retries: same key and body give the same response, nothing new written',
  'ING-4': 'late data inside the window accepted and ordered by device time',
  'ING-5': 'per-record verdicts: one bad record does not lose the good ones',
  'AUTH-1': 'every stored record verifies under its device key',
  'PRIV-1': 'telemetry tables hold no direct identifiers',
  'PRIV-2': 'every identity-telemetry join writes an audit row',
};

function pass(id: string, checked: number): InvariantResult {
  return { id, title: ING_TITLES[id] ?? id, verdict: 'pass', checked, violations: 0, witnesses: [] };
}

function replay(file: string, devices: number): string {
  return `npx fleetbed run ${file} --seed ${SEED} --devices ${devices}`;
}

export function makeRunReport(options: FixtureOptions = {}): RunReport {
  const failing = options.failing ?? false;
  const points = options.points ?? 30;

  const lateTl = timeline(points, 21_600, 2_000, { dupRate: 0.04, lateRate: 0.09 });
  const late: ScenarioResult = {
    name: 'late-and-duplicate-uploads',
    description: 'Phones relay records days late, twice, and out of order; every record must be stored exactly once.',
    file: 'scenarios/ci/late-and-duplicate.ts',
    verdict: 'pass',
    seed: SEED,
    devices: 2_000,
    simulatedSeconds: points * 21_600,
    wallSeconds: 14.62,
    ledgerDigest: hex(11),
    replay: replay('scenarios/ci/late-and-duplicate.ts', 2_000),
    invariants: [
      pass('ING-1', sum(lateTl, 'recordsStored')),
      pass('ING-2', 1_204),
      pass('ING-3', 3_318),
      pass('ING-4', sum(lateTl, 'late')),
      pass('ING-5', 417),
      pass('AUTH-1', sum(lateTl, 'recordsStored')),
      pass('PRIV-1', 9),
      { id: 'PRIV-2', title: ING_TITLES['PRIV-2']!, verdict: 'skip', checked: 0, violations: 0, witnesses: [], skipReason: 'no care-provider query in this scenario' },
    ],
    thresholds: [
      { metric: 'http_req_duration', expression: 'p(99)<250', verdict: 'pass', actual: 59.8 },
      { metric: 'upload_errors', expression: 'rate<0.01', verdict: 'pass', actual: 0.0012 },
    ],
    metrics: metrics(lateTl),
    timeline: lateTl,
  };

  const retryTl = timeline(points, 5_760, 500, { spikeAt: 14, dupRate: 0.11, lateRate: 0.02 });
  const ing1: InvariantResult = failing
    ? {
        ...pass('ING-1', sum(retryTl, 'recordsStored')),
        verdict: 'fail',
        violations: 3,
        witnesses: [
          { device: 17, seq: 4_211, expected: 'stored exactly once', found: 'stored 2 times (events 88121, 88122)', detail: 'Idempotency-Key 9b1f0c2e-upload-0017-0042, retried after the server committed' },
          { device: 233, seq: 96, expected: 'stored exactly once', found: 'stored 2 times (events 90417, 90433)', detail: 'retry after a dropped response at t=22h 24min' },
          { device: 481, seq: 1_302, expected: 'stored exactly once', found: 'stored 2 times (events 91002, 91019)', detail: 'phone note <img src=x onerror="window.__pwned=1"> & "quoted"' },
        ],
      }
    : pass('ING-1', sum(retryTl, 'recordsStored'));
  const retry: ScenarioResult = {
    name: 'retry-after-commit',
    description: 'The proxy drops responses after the server committed; phones retry with the same Idempotency-Key.',
    file: 'scenarios/ci/retry-after-commit.ts',
    verdict: failing ? 'fail' : 'pass',
    seed: SEED,
    devices: 500,
    simulatedSeconds: points * 5_760,
    wallSeconds: 6.08,
    ledgerDigest: hex(failing ? 23 : 22),
    replay: replay('scenarios/ci/retry-after-commit.ts', 500),
    invariants: [ing1, pass('ING-2', 511), pass('ING-3', 2_906), pass('ING-5', 128), pass('AUTH-1', sum(retryTl, 'recordsStored'))],
    thresholds: [{ metric: 'http_req_duration', expression: 'p(99)<250', verdict: 'pass', actual: 201.4 }],
    metrics: metrics(retryTl, { responsesDropped: 61 }),
    timeline: retryTl,
  };

  const otaTl = timeline(points, 8_640, 20_000, { dupRate: 0.01, lateRate: 0.05 });
  const ota: ScenarioResult = {
    name: 'ota-canary-quiet-brick',
    description: 'An image that boots fine and stops devices reporting hours after the first charge; the health gate must halt inside the canary.',
    file: 'scenarios/ci/ota-canary-quiet-brick.ts',
    verdict: 'pass',
    seed: SEED,
    devices: 20_000,
    simulatedSeconds: points * 8_640,
    wallSeconds: 21.37,
    ledgerDigest: hex(33),
    replay: replay('scenarios/ci/ota-canary-quiet-brick.ts', 20_000),
    invariants: [
      { id: 'OTA-3', title: 'a stage never exceeds its cohort before the previous gate passes', verdict: 'pass', checked: 4, violations: 0, witnesses: [] },
      { id: 'OTA-4', title: 'a halted rollout makes no new offers', verdict: 'pass', checked: 1_877, violations: 0, witnesses: [] },
      { id: 'OTA-5', title: 'blast radius within the canary cohort plus in-flight slack', verdict: 'pass', checked: 20_000, violations: 0, witnesses: [] },
      { id: 'OTA-7', title: 'a quietly-bricking image is halted within the gate window', verdict: 'pass', checked: 1, violations: 0, witnesses: [] },
    ],
    thresholds: [],
    metrics: metrics(otaTl, { ota: { blastRadius: { 'health-gate': 312, 'transfer-success': 19_874 }, haltedAfterSeconds: 15_840, canaryCohort: 400 } }),
    timeline: otaTl,
  };

  const attacks: AttackResult[] = [
    { id: 'bola-read-other-device', class: 'API1:2023', title: "Read another account's device by id", verdict: 'refused', expected: '404 FLEETBED_DEVICE_NOT_FOUND', got: '404 FLEETBED_DEVICE_NOT_FOUND', stateUnchanged: true },
    { id: 'bola-list-other-sessions', class: 'API1:2023', title: "List another account's sessions", verdict: 'refused', expected: '404 FLEETBED_DEVICE_NOT_FOUND', got: '404 FLEETBED_DEVICE_NOT_FOUND', stateUnchanged: true },
    { id: 'token-expired', class: 'API2:2023', title: 'An expired access token', verdict: 'refused', expected: '401 invalid_token', got: '401 invalid_token', stateUnchanged: true },
    { id: 'token-refresh-as-access', class: 'API2:2023', title: 'A refresh token used as an access token', verdict: 'refused', expected: '401 invalid_token', got: '401 invalid_token', stateUnchanged: true },
    { id: 'mass-assign-owner', class: 'API3:2023', title: 'Upload sets the server-owned owner field', verdict: 'refused', expected: '400 FLEETBED_UNKNOWN_FIELD', got: '400 FLEETBED_UNKNOWN_FIELD', stateUnchanged: true },
    { id: 'flood-idempotency-keys', class: 'API4:2023', title: 'A flood of fresh Idempotency-Keys from one token', verdict: 'refused', expected: '429 FLEETBED_RATE_LIMITED', got: '429 FLEETBED_RATE_LIMITED', stateUnchanged: true },
    { id: 'phone-token-on-rollouts', class: 'API5:2023', title: 'A phone token on the rollout admin route', verdict: 'refused', expected: '403 FLEETBED_FORBIDDEN', got: '403 FLEETBED_FORBIDDEN', stateUnchanged: true },
    { id: 'rebond-stale-challenge', class: 'AUTH-3', title: 'Re-bond with a replayed challenge and proof', verdict: 'refused', expected: '409 FLEETBED_BOND_CHALLENGE_STALE', got: '409 FLEETBED_BOND_CHALLENGE_STALE', stateUnchanged: true },
  ];
  if (failing) {
    attacks[1] = {
      ...attacks[1]!,
      verdict: 'got-through',
      got: '200 (3 sessions of account 7 returned)',
      stateUnchanged: true,
      request: {
        method: 'GET',
        url: '/v2/devices/dev-000481/sessions?limit=50',
        headers: { authorization: 'Bearer [redacted: token of account 12]', accept: 'application/json' },
      },
      response: {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: { items: [{ id: 'ses-9912', startedAt: '2026-11-20T07:02:11Z', note: '<img src="http://evil.example/pixel.png"><script>window.__pwned=1</script>' }], next: null },
      },
    };
    attacks[5] = { ...attacks[5]!, stateUnchanged: false, got: '429 FLEETBED_RATE_LIMITED (after 1,000 keys were stored)' };
  }

  const scenarios = [late, retry, ota];
  return {
    schemaVersion: 1,
    tool: { name: 'fleetbed', version: '0.1.0' },
    runId: failing ? '20261127T105301Z-7f3a' : '20261127T104512Z-2c91',
    command: 'npx fleetbed run scenarios/ci --seed 20261127',
    seed: SEED,
    commit: COMMIT,
    ledgerDigest: hex(failing ? 2 : 1),
    verdict: failing ? 'fail' : 'pass',
    startedAt: failing ? '2026-11-27T10:53:01.204Z' : '2026-11-27T10:45:12.880Z',
    wallSeconds: 44.91,
    environment: { kind: 'embedded', apiUrl: 'http://127.0.0.1:43723' },
    scenarios,
    attacks,
  };
}

/** Strings a hostile phone or device could put into a report. */
export const NASTY = `<>&"' ]]> \u0000\u0001\u0008\u000B\u000C\u001B[31m\u007F tab\there\r\nline2 \uD800 end`;
