import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvironment, type StartedEnvironment } from '../../harness/core/env/index.ts';
import { runScenario } from '../../harness/products/run/run-scenario.ts';
import { resolveScenario } from '../../harness/core/scenario/index.ts';
import type { InvariantResult, ScenarioResult } from '../../reports/types.ts';
import cleanCutover from '../../scenarios/legacy/clean-cutover.ts';
import downgradeAfterCutover from '../../scenarios/legacy/downgrade-after-cutover.ts';
import driftResetsGate from '../../scenarios/legacy/drift-resets-gate.ts';
import { LEGACY_WEAKNESSES, type LegacyWeaknessName } from '../fixtures/legacy-weaknesses.ts';

/**
 * The LEG checkers catch real bugs: each deliberately broken legacy platform of
 * test/fixtures/legacy-*.ts (the reference API wrapped, reference-api/
 * untouched) runs one scenario of scenarios/legacy, as it is, in its own
 * embedded environment, and must turn its invariant red with a witness that
 * names what is broken — while the clean reference API passes the very same
 * scenarios. All of them run side by side.
 */
const SCENARIOS = {
  'clean-cutover': resolveScenario(cleanCutover, 'scenarios/legacy/clean-cutover.ts'),
  'downgrade-after-cutover': resolveScenario(downgradeAfterCutover, 'scenarios/legacy/downgrade-after-cutover.ts'),
  'drift-resets-gate': resolveScenario(driftResetsGate, 'scenarios/legacy/drift-resets-gate.ts'),
} as const;
type ScenarioKey = keyof typeof SCENARIOS;

const line = (w: InvariantResult['witnesses'][number]) => `${w.expected} → ${w.found}${w.detail ? ` (${w.detail})` : ''}`;

/** Each fixture: the scenario it runs, and what a witness of its invariant must say (a predicate over the witness). */
const FIXTURES: Record<LegacyWeaknessName, { scenario: ScenarioKey; witness: (w: InvariantResult['witnesses'][number]) => boolean }> = {
  // Sampling: on a night the platform claims to have compared a fraction of the rows the ledger holds.
  'legacy-sample-reconciliation': {
    scenario: 'drift-resets-gate',
    witness: (w) => {
      const want = /^every row of kids-club compared \((\d+) in the ledger\)$/.exec(w.expected);
      const got = /^rowsCompared (\d+)$/.exec(w.found);
      return want !== null && got !== null && Number(got[1]) < Number(want[1]);
    },
  },
  // The drift field is gone from the v2 copy (mapped: the extra; not yet mapped: the unmapped raw field).
  'legacy-drop-unmapped-field': {
    scenario: 'drift-resets-gate',
    witness: (w) => /^v2 store: (extras\.pressureAlerts null \(expected \d+\)|unmapped field pa dropped)/.test(w.found),
  },
  // A 5-night gate opened after 4.
  'legacy-gate-one-night-short': {
    scenario: 'clean-cutover',
    witness: (w) => w.expected === 'kids-club cuts over only after 5 consecutive clean nights' && w.found === 'cut over after 4',
  },
  // A household id of kids-club in an operator table.
  'legacy-id-in-telemetry': {
    scenario: 'clean-cutover',
    witness: (w) => /^legacy_lines\.last_mapped holds legacy user id HH\d{7}$/.test(w.found),
  },
  // An unsigned v1 record for a v2 device stored, after the line cut over.
  'legacy-write-for-v2-device': {
    scenario: 'downgrade-after-cutover',
    witness: (w) => w.expected === 'every record refused device-signs-v2' && /^HTTP 200 \(stored/.test(w.found) && /^unsigned-for-v2-device on dental-pro \(reads-cut-over\)/.test(w.detail ?? ''),
  },
};

/** One environment per case: the clean platform once per scenario, each fixture on its scenario. */
const CASES: Array<{ key: string; fixture: LegacyWeaknessName | null; scenario: ScenarioKey }> = [
  ...(Object.keys(SCENARIOS) as ScenarioKey[]).map((scenario) => ({ key: `clean ${scenario}`, fixture: null, scenario })),
  ...(Object.keys(FIXTURES) as LegacyWeaknessName[]).map((fixture) => ({ key: fixture, fixture, scenario: FIXTURES[fixture].scenario })),
];
const results = new Map<string, ScenarioResult>();
const envs: StartedEnvironment[] = [];
let wallSeconds = 0;

beforeAll(async () => {
  const t0 = performance.now();
  await Promise.all(
    CASES.map(async ({ key, fixture, scenario }) => {
      const apiEntry = fixture ? `test/fixtures/${fixture}.ts` : undefined;
      const env = await resolveEnvironment({
        env: 'embedded',
        ...(apiEntry ? { apiEntry } : {}),
        apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' },
        startupTimeoutMs: 60_000,
      }).start();
      envs.push(env);
      // The replay line names the broken platform, as `fleetbed run --api-entry` would.
      const { result } = await runScenario(SCENARIOS[scenario], { environment: env, progress: { enabled: false }, ...(apiEntry ? { replayFlags: ['--api-entry', apiEntry] } : {}) });
      results.set(key, result);
    }),
  );
  wallSeconds = (performance.now() - t0) / 1000;
  console.log(`[legacy fixtures] ${CASES.length} environments side by side in ${wallSeconds.toFixed(1)} s`);
}, 240_000);

afterAll(async () => {
  await Promise.all(envs.map((e) => e.stop()));
});

const summary = (r: ScenarioResult) =>
  [...r.invariants.map((i) => `${i.id}:${i.verdict}${i.verdict === 'fail' ? ` ${line(i.witnesses[0]!)}` : ''}`), ...r.thresholds.filter((t) => t.verdict === 'fail').map((t) => `threshold ${t.expression}: fail`), ...(r.error ? [`error: ${r.error}`] : [])].join('\n');

describe.each(Object.keys(SCENARIOS) as ScenarioKey[])('the clean reference API on scenarios/legacy/%s', (scenario) => {
  it('passes every invariant and threshold, and checks what the fixtures break', () => {
    const r = results.get(`clean ${scenario}`)!;
    expect(r.error, r.error).toBeUndefined();
    expect(summary(r)).not.toMatch(/:fail|: fail/);
    expect(r.verdict, summary(r)).toBe('pass');
    for (const name of (Object.keys(FIXTURES) as LegacyWeaknessName[]).filter((n) => FIXTURES[n].scenario === scenario)) {
      const inv = r.invariants.find((i) => i.id === LEGACY_WEAKNESSES[name].invariant)!;
      expect(inv.verdict, `${inv.id} on the clean platform (${name}'s invariant)`).toBe('pass');
      expect(inv.checked).toBeGreaterThan(0);
    }
  });
});

describe.each(Object.values(LEGACY_WEAKNESSES).map((w) => [w.name, w.invariant] as const))('the %s fixture', (name, invariant) => {
  it(`turns ${invariant} red with a witness naming it, and the scenario fails with a replay line`, () => {
    const r = results.get(name)!;
    const scenario = SCENARIOS[FIXTURES[name].scenario];
    expect(r.error, r.error).toBeUndefined();
    const inv = r.invariants.find((i) => i.id === invariant)!;
    expect(inv.verdict, summary(r)).toBe('fail');
    expect(inv.violations).toBeGreaterThan(0);
    expect(inv.witnesses.length).toBeGreaterThan(0);
    const witness = inv.witnesses.find(FIXTURES[name].witness);
    expect(witness, JSON.stringify(inv.witnesses.slice(0, 10), null, 1)).toBeDefined();
    expect(r.verdict).toBe('fail');
    expect(r.replay).toBe(`npx fleetbed run ${scenario.file} --seed ${scenario.seed} --devices ${scenario.fleet.devices} --duration ${scenario.duration} --api-entry test/fixtures/${name}.ts`);
    console.log(
      `[legacy fixtures] ${name} on ${scenario.file} → ${invariant} fail (${inv.violations} violations of ${inv.checked}); witness: ${line(witness!)}\n  replay: ${r.replay}\n  other invariants red: ${r.invariants.filter((i) => i.verdict === 'fail' && i.id !== invariant).map((i) => i.id).join(', ') || 'none'}`,
    );
  });
});
