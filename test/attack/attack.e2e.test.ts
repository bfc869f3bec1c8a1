import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli/main.ts';
import { ATTACK_CASES } from '../../harness/products/attack/cases/index.ts';
import type { RunReport } from '../../reports/types.ts';

/**
 * Proof that `fleetbed attack` bites: the clean reference API refuses every
 * case (exit 0); each deliberately broken platform (test/fixtures/attack-*.ts,
 * one weakened check each) lets at least the named cases through (exit 1), and
 * the terminal shows the exact request. Plus capture → replay end to end.
 * Every platform runs at once (embedded environments), so the file stays well under 2 minutes.
 */
interface Outcome {
  code: number;
  out: string;
  report: RunReport;
}

async function cli(args: string[], reportDir = mkdtempSync(join(tmpdir(), 'fleetbed-attack-'))): Promise<Outcome> {
  const lines: string[] = [];
  const code = await main([...args, ...(args.length > 1 && !args.includes('--help') ? ['--env', 'embedded'] : []), '--report-dir', reportDir], (l) => lines.push(l));
  let report = {} as RunReport;
  try {
    report = JSON.parse(readFileSync(join(reportDir, 'summary.json'), 'utf8')) as RunReport;
  } catch {
    /* usage errors write no report */
  }
  return { code, out: lines.join('\n'), report };
}

const FIXTURES = {
  'skip-upload-signature': ['tamper-flags', 'tamper-signature-bit', 'identity-unregistered-key', 'ota-forged-heartbeats'],
  'skip-ownership-check': ['bola-read-device', 'bola-read-sessions', 'bola-unbond-other-device'],
  'accept-stale-challenge': ['bond-used-challenge-new-press', 'bond-expired-challenge'],
  'accept-unsigned-image': ['ota-image-non-release-key', 'ota-image-other-line'],
  // The legacy v1 path stores unsigned records for v2 devices (LEG-4), before and after a cutover.
  'legacy-skip-signing-check': ['legacy-unsigned-for-v2-device', 'legacy-forged-after-conversion', 'legacy-cutover-unsigned-for-v2-device'],
} as const;

/**
 * Cases these fixtures no longer let through: their weakness is a lying crypto.verify, and the
 * platform's strict checks (reference-api/src/ed25519-strict.ts: S ≥ L, small-order or
 * non-canonical R) refuse these signatures before crypto.verify is asked (issue #18).
 */
const REFUSED_BEFORE_VERIFY = {
  'skip-upload-signature': ['identity-malleable-s', 'identity-small-order-signature', 'identity-weak-key-r-identity', 'identity-weak-key-r-non-canonical'],
  'accept-unsigned-image': ['ota-image-unsigned'], // 64 zero bytes: R = 0 is a point of order 4
} as const;

const results = new Map<string, Outcome>();
const capture = join(mkdtempSync(join(tmpdir(), 'fleetbed-capture-')), 'capture.ndjson');

beforeAll(async () => {
  const captureThenReplay = async () => {
    const run = await cli(['run', 'scenarios/ci/late-and-duplicate-uploads.ts', '--devices', '12', '--capture', capture]);
    results.set('capture', run);
    results.set('replay', await cli(['attack', 'scenarios/security', '--replay', capture, '--only', 'replay-new-key']));
  };
  await Promise.all([
    cli(['attack', 'scenarios/security']).then((r) => results.set('clean', r)),
    ...Object.keys(FIXTURES).map((name) => cli(['attack', 'scenarios/security', '--api-entry', `test/fixtures/attack-${name}.ts`]).then((r) => results.set(name, r))),
    captureThenReplay(),
  ]);
}, 170_000);

describe('fleetbed attack against the clean reference API', () => {
  it('refuses every case with no side effect, exit 0', () => {
    const r = results.get('clean')!;
    expect(r.code, r.out).toBe(0);
    expect(r.report.attacks!.length).toBe(ATTACK_CASES.length);
    expect(ATTACK_CASES.length).toBeGreaterThanOrEqual(40);
    const bad = r.report.attacks!.filter((a) => a.verdict !== 'refused' || !a.stateUnchanged);
    expect(bad.map((a) => `${a.id}: expected ${a.expected}, got ${a.got}`)).toEqual([]);
    expect(r.report.scenarios).toEqual([]);
    expect(r.out).toMatch(/attacks: \d+ of \d+ refused with no side effect\n/);
  });

  it('redacts tokens in every recorded request', () => {
    const text = JSON.stringify(results.get('clean')!.report.attacks);
    expect(text).not.toMatch(/Bearer at_[A-Za-z0-9_-]{20,}/);
    expect(text).not.toMatch(/"refresh_token":"rt_/);
  });
});

describe.each(Object.entries(FIXTURES))('the %s fixture', (name, caught) => {
  it('makes the named cases get through, exit 1, with the request shown', () => {
    const r = results.get(name)!;
    expect(r.code, r.out).toBe(1);
    const through = new Set(r.report.attacks!.filter((a) => a.verdict === 'got-through' || !a.stateUnchanged).map((a) => a.id));
    for (const id of caught) expect(through, `${name} should let ${id} through`).toContain(id);
    const first = r.report.attacks!.find((a) => a.id === caught[0])!;
    expect(first.request).toBeDefined();
    expect(r.out).toContain(`✗ ${caught[0]}`);
    expect(r.out).toContain('--- request (secrets redacted) ---');
    expect(r.out).toContain(`${first.request!.method} ${first.request!.url} HTTP/1.1`);
  });
});

describe.each(Object.entries(REFUSED_BEFORE_VERIFY))('the %s fixture, whose crypto.verify lies', (name, refused) => {
  it('still refuses, with no side effect, the signatures the strict checks reject before crypto.verify', () => {
    const attacks = results.get(name)!.report.attacks!;
    for (const id of refused) {
      const a = attacks.find((x) => x.id === id);
      expect(a, id).toBeDefined();
      expect({ id, verdict: a!.verdict, stateUnchanged: a!.stateUnchanged }).toEqual({ id, verdict: 'refused', stateUnchanged: true });
    }
  });
});

describe('the weak-key cases (issue #18)', () => {
  it('are in the catalogue and the clean reference API refuses each with no side effect', () => {
    const ids = ATTACK_CASES.map((c) => c.id).filter((id) => id.startsWith('identity-weak-key-'));
    expect(ids.length).toBeGreaterThanOrEqual(10);
    const attacks = results.get('clean')!.report.attacks!;
    for (const id of ids) expect(attacks.find((a) => a.id === id), id).toMatchObject({ verdict: 'refused', stateUnchanged: true });
  });
});

describe('the legacy cases (old v1 lines)', () => {
  const ids = ATTACK_CASES.map((c) => c.id).filter((id) => id.startsWith('legacy-'));

  it('cover every attack of the old API and the clean reference API refuses each with no side effect', () => {
    expect(ids.length).toBeGreaterThanOrEqual(20);
    // Deprecated lines, unsigned records for signing devices (before and after a cutover), a retired line,
    // identity-map confusion, another user's device, legacy ids in v2 answers.
    for (const id of ['legacy-deprecated-wrong-secret', 'legacy-unsigned-for-v2-device', 'legacy-replay-after-conversion', 'legacy-cutover-unsigned-for-v2-device', 'legacy-retired-line-replay',
      'legacy-id-numeric-on-email-line', 'legacy-id-household-on-serial-line', 'legacy-id-other-line-user-this-secret', 'legacy-device-not-yours', 'legacy-device-not-yours-other-line', 'legacy-ids-in-v2-reads']) {
      expect(ids, id).toContain(id);
    }
    const attacks = results.get('clean')!.report.attacks!;
    for (const id of ids) expect(attacks.find((a) => a.id === id), id).toMatchObject({ verdict: 'refused', stateUnchanged: true });
    // A deprecated line's refusal carries Deprecation and Sunset, and the report shows them.
    expect(attacks.find((a) => a.id === 'legacy-deprecated-wrong-key')!.response!.headers).toMatchObject({ deprecation: expect.any(String), sunset: expect.any(String) });
  });

  it('redacts the legacy secrets: Basic credentials, API-key headers and query tokens', () => {
    const attacks = results.get('clean')!.report.attacks!.filter((a) => a.id.startsWith('legacy-'));
    const text = JSON.stringify(attacks.map((a) => a.request));
    expect(text).toContain('"x-smile-key":"[REDACTED]"');
    expect(text).toContain('token=[REDACTED]');
    expect(text).not.toMatch(/"x-(smile|api|device)-key":"(?!\[REDACTED\])/);
    expect(text).not.toMatch(/[?&](token|key)=(?!\[REDACTED\])/);
    expect(text).not.toMatch(/"authorization":"Basic (?!\[REDACTED)/);
  });
});

describe('capture and replay', () => {
  it('fleetbed run --capture records the phone requests, secrets redacted', () => {
    expect(results.get('capture')!.code, results.get('capture')!.out).toBe(0);
    const lines = readFileSync(capture, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.path === '/v2/uploads')).toBe(true);
    const text = readFileSync(capture, 'utf8');
    expect(text).not.toMatch(/Bearer at_[A-Za-z0-9_-]{20,}/);
    expect(text).not.toMatch(/"password\\":\\"fb-/);
  });

  it('fleetbed attack --replay mutates every captured upload and nothing mutated is stored', () => {
    const r = results.get('replay')!;
    expect(r.code, r.out).toBe(0);
    const ops = new Set(r.report.attacks!.filter((a) => a.id.startsWith('replay-1-')).map((a) => a.id.slice('replay-1-'.length)));
    expect([...ops].sort()).toEqual(['as-is-same-key', 'downgrade-firmware', 'drop-signature', 'flip-byte', 'new-key', 'swap-account', 'swap-device', 'verbatim']);
  });
});

describe('usage', () => {
  it('exits 2 on bad usage, 0 on --help', async () => {
    expect((await cli(['attack'])).code).toBe(2);
    expect((await cli(['attack', 'scenarios/security', '--only', 'no-such-case'])).code).toBe(2);
    expect((await cli(['attack', '--bogus'])).code).toBe(2);
    expect((await cli(['attack', '--help'])).code).toBe(0);
  });
});
