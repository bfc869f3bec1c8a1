import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvironment, type StartedEnvironment } from '../../harness/core/env/index.ts';
import { loadScenarioFile } from '../../harness/core/scenario/load-scenarios.ts';
import { runScenario } from '../../harness/products/run/run-scenario.ts';
import type { ScenarioResult } from '../../reports/types.ts';
import { TIME_RULE_WEAKNESSES, type TimeRuleWeaknessName } from '../fixtures/time-rule-weaknesses.ts';

/**
 * The time rules bite at their edges: scenarios/ci/time-rule-edges.ts aims records at
 * each edge of the rules the platform declares (GET /testbed/clock `timeRules`). The
 * clean reference API passes it; a platform that enforces a late window a day longer
 * than it declares, or no future-skew limit at all, turns ING-4 red with a witness
 * naming the record, its distance past the limit and the rule — and a replay line.
 */
const CASES: Array<TimeRuleWeaknessName | 'clean'> = ['clean', 'late-window-off-by-a-day', 'future-rule-removed'];
const results = new Map<string, ScenarioResult>();
const envs: StartedEnvironment[] = [];

// One platform at a time: this file runs beside fixtures.e2e.test.ts, whose environments start all at once.
beforeAll(async () => {
  const scenario = await loadScenarioFile('scenarios/ci/time-rule-edges.ts');
  for (const name of CASES) {
    const env = await resolveEnvironment({
      env: 'embedded',
      ...(name === 'clean' ? {} : { apiEntry: `test/fixtures/${name}.ts` }),
      apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' },
      startupTimeoutMs: 60_000,
    }).start();
    envs.push(env);
    const { result } = await runScenario(scenario, { environment: env, progress: { enabled: false } });
    results.set(name, result);
    await env.stop();
    envs.pop();
  }
}, 240_000);

afterAll(async () => {
  await Promise.all(envs.map((e) => e.stop().catch(() => {})));
});

const summary = (r: ScenarioResult) => r.invariants.map((i) => `${i.id}:${i.verdict}${i.verdict === 'fail' ? ` ${JSON.stringify(i.witnesses[0])}` : ''}`).join('\n');

describe('the clean reference API on the time-rule edges', () => {
  it('passes every invariant: each edge record got exactly the verdict its rule demands', () => {
    const r = results.get('clean')!;
    expect(r.error).toBeUndefined();
    expect(summary(r)).not.toMatch(/:fail/);
    expect(r.verdict).toBe('pass');
    // 30 records at each edge: outside the late window +1 s and +1 d; past the skew +1 s, +1 min, +1 d.
    const codes = r.metrics.rejectionsByCode as Record<string, number>;
    expect(codes['too-far-in-future']).toBe(90);
    expect(codes['too-late']).toBeGreaterThanOrEqual(60);
  });
});

/** What a record witness of each fixture must say: the record stored past the limit, by how much, and the rule. */
const WITNESS: Record<TimeRuleWeaknessName, RegExp> = {
  'late-window-off-by-a-day': /^stored-despite-time-rule: stored, but the time rules make it too-late: startedAt \d+ is \d+ s before the platform clock \d+ ms: (1|86400) s past the late window \(2592000 s\)$/,
  'future-rule-removed': /^stored-despite-time-rule: stored, but the time rules make it too-far-in-future: startedAt \d+ is \d+ s after the platform clock \d+ ms: (1|60|86400) s past the future-skew limit \(86400 s\)$/,
};
const EDGE: Record<TimeRuleWeaknessName, RegExp> = {
  'late-window-off-by-a-day': /^edge late-window\+1s: 30 stored$/,
  'future-rule-removed': /^edge future-skew\+1d: 30 stored$/,
};

describe.each(Object.values(TIME_RULE_WEAKNESSES).map((w) => [w.name, w.invariant] as const))('the %s fixture', (name, invariant) => {
  it(`turns ${invariant} red with a witness and a replay line`, () => {
    const r = results.get(name)!;
    expect(r.error, r.error).toBeUndefined();
    const inv = r.invariants.find((i) => i.id === invariant)!;
    expect(inv.verdict, summary(r)).toBe('fail');
    expect(inv.violations).toBeGreaterThan(0);
    const witness = inv.witnesses.find((w) => WITNESS[name].test(w.found) && w.device !== undefined && w.seq !== undefined);
    expect(witness, JSON.stringify(inv.witnesses, null, 1)).toBeDefined();
    expect(inv.witnesses.find((w) => EDGE[name].test(w.found)), JSON.stringify(inv.witnesses, null, 1)).toBeDefined();
    expect(r.verdict).toBe('fail');
    expect(r.replay).toMatch(/fleetbed run .*time-rule-edges\.ts.*--seed 1801/);
    console.log(`[time-rule fixtures] ${name} → ${invariant} fail (${inv.violations} violations)\n  edge: ${JSON.stringify(inv.witnesses[0])}\n  record: ${JSON.stringify(witness)}\n  replay: ${r.replay}\n  other invariants red: ${r.invariants.filter((i) => i.verdict === 'fail' && i.id !== invariant).map((i) => i.id).join(', ') || 'none'}`);
  });
});
