/**
 * npm run soak -- [--seeds N] [--first-seed S] [--devices N] [--chaos K] [--scenario NAME] [--quiet]
 *
 * The soak: every fleet scenario of scenarios/ci that has a fault timeline, under each of
 * `--seeds` seeds, plus `--chaos` seeded chaos timelines per seed (late and duplicate
 * uploads with three faults drawn from every kind, crashes included). Each run gets a fresh
 * embedded platform. Counts what matters across all of them: records acknowledged and
 * stored, records lost (acknowledged, not stored) and duplicated (stored more than once, or
 * stored beyond what was acknowledged), invariant violations, and the replay line of every
 * failing run. The last line printed is one JSON object
 * `{ runs, seeds, records, lost, duplicated, violations, failures }`; exit 0 when lost,
 * duplicated and violations are all 0, else 1.
 */
import { createHash } from 'node:crypto';
import { loadScenarios } from '../harness/core/scenario/load-scenarios.ts';
import { applyOverrides } from '../harness/core/scenario/overrides.ts';
import { resolveScenario } from '../harness/core/scenario/resolve-scenario.ts';
import type { FaultInput, ResolvedScenario } from '../harness/core/scenario/types.ts';
import type { FleetRunResult } from '../harness/core/fleet/run-fleet.ts';
import { runSuite } from '../harness/products/run/run-suite.ts';
import { benchCli, flag } from './_internals/bench-cli.ts';

const values = benchCli({
  name: 'soak',
  script: 'soak',
  purpose: 'the CI suite\'s fault scenarios and seeded chaos timelines over many seeds: lost, duplicated, violations',
  about: `Each run starts a fresh embedded platform. The last line is one JSON object
{ runs, seeds, records, lost, duplicated, violations, failures } (failures: replay lines).
Exit 0 when lost, duplicated and violations are 0; 1 otherwise; 2 on bad usage.`,
  flags: {
    seeds: flag.int('seeds to run every scenario under', { default: 20, min: 1, max: 10_000 }),
    'first-seed': flag.seed('the first seed; the others follow it', { default: '1' }),
    devices: flag.devices('override every scenario\'s fleet size (default: each scenario\'s own)'),
    chaos: flag.int('seeded chaos timelines per seed', { default: 1, min: 0, max: 100, placeholder: 'K' }),
    scenario: flag.repeatable('run only the scenario of this name (a chaos timeline is soak-chaos-K)', { placeholder: 'NAME', parse: (v) => [...v] }),
    quiet: flag.switch('print only the final JSON line'),
  },
});

const say = (line: string) => {
  if (!values.quiet) process.stdout.write(`${line}\n`);
};

const CHAOS_POINTS: FaultInput['fault'][] = ['kill-api', 'kill-postgres', 'restart-api', 'restart-postgres'];
const CHAOS_WINDOWS: FaultInput['fault'][] = ['db-reply-lost', 'db-connection-reset', 'drop-response-after-commit', 'connection-reset', 'http-5xx'];

/** A uniform draw in [0, 1) from the seed and the parts (the soak's own timelines; no Math.random). */
function draw(...parts: Array<string | number>): number {
  const d = createHash('sha256').update(parts.join('\0')).digest();
  return d.readUInt32BE(0) / 2 ** 32;
}

/** A two-day late-and-duplicate fleet with three faults drawn from every kind, crashes included. */
function chaosScenario(seed: string, k: number): ResolvedScenario {
  const faults: FaultInput[] = [];
  const hours = new Set<number>();
  for (let i = 0; i < 3; i++) {
    let hour = 1 + Math.floor(draw(seed, k, i, 'hour') * 46);
    while (hours.has(hour)) hour = (hour % 46) + 1;
    hours.add(hour);
    if (draw(seed, k, i, 'point') < 0.5) {
      const fault = CHAOS_POINTS[Math.floor(draw(seed, k, i, 'kind') * CHAOS_POINTS.length)]!;
      faults.push(fault === 'kill-postgres' ? { at: `${hour}h`, fault, params: { mode: draw(seed, k, i, 'mode') < 0.5 ? 'immediate' : 'sigkill' } } : ({ at: `${hour}h`, fault } as FaultInput));
    } else {
      const fault = CHAOS_WINDOWS[Math.floor(draw(seed, k, i, 'kind') * CHAOS_WINDOWS.length)]!;
      faults.push({ at: `${hour}h`, fault, duration: '2h', probability: 0.1 + Math.round(draw(seed, k, i, 'p') * 20) / 100 } as FaultInput);
    }
  }
  // Windows of one kind must not overlap: keep the first of each kind that would.
  const kept = faults.filter((f, i) => !faults.slice(0, i).some((g) => g.fault === f.fault && 'duration' in g && Math.abs(parseInt(String(g.at)) - parseInt(String(f.at))) < 2));
  return resolveScenario(
    {
      name: `soak-chaos-${k + 1}`,
      description: 'Late and duplicate uploads under a seeded chaos timeline (bench/soak.ts).',
      seed,
      fleet: { devices: 120 },
      duration: '2d',
      behaviour: { latePhones: 0.3, lateSyncPerDay: 0.2, twoPhones: 0.6, retryAfterCommit: 0.05, reorder: true },
      faults: kept,
      invariants: ['ING-1', 'ING-2', 'ING-3', 'ING-5', 'AUTH-1'],
    },
    'bench/soak.ts',
  );
}

const base = (await loadScenarios('scenarios/ci', { attackSuites: [] })).filter((s) => s.faults.length > 0 && !s.ota && !('legacy' in s));
const seeds = Array.from({ length: values.seeds }, (_, i) => (BigInt(values['first-seed']) + BigInt(i)).toString());
say(`soak: ${base.length} fault scenarios (${base.map((s) => s.name).join(', ')}) + ${values.chaos} chaos timeline(s), × ${seeds.length} seeds`);

const totals = { runs: 0, seeds: seeds.length, records: 0, lost: 0, duplicated: 0, violations: 0, failures: [] as string[] };
const started = performance.now();
for (const seed of seeds) {
  const scenarios = [
    ...base.map((s) => applyOverrides(s, { seed, ...(values.devices !== undefined ? { devices: values.devices } : {}) })),
    ...Array.from({ length: values.chaos }, (_, k) => {
      const s = chaosScenario(seed, k);
      return values.devices !== undefined ? applyOverrides(s, { devices: values.devices }) : s;
    }),
  ];
  for (const scenario of scenarios) {
    if (values.scenario.length > 0 && !values.scenario.includes(scenario.name)) continue;
    let fleet: FleetRunResult | undefined;
    const report = await runSuite({ scenarios: [scenario], environment: {}, command: 'soak', fixture: 'none', progress: { enabled: false }, onFleet: (_s, f) => (fleet = f) });
    const r = report.scenarios[0]!;
    totals.runs += 1;
    let lost = 0;
    let duplicated = 0;
    if (fleet) {
      const rec = fleet.reconciliation;
      lost = Math.max(0, rec.storedInLedger - rec.storedOnPlatform);
      duplicated = Math.max(0, rec.storedOnPlatform - rec.storedInLedger) + fleet.violations.filter((v) => v.check === 'stored-twice').length;
      totals.records += rec.storedOnPlatform;
    }
    const violations = r.invariants.reduce((n, i) => n + (i.verdict === 'fail' ? Math.max(1, i.violations) : 0), 0) + (r.error ? 1 : 0);
    totals.lost += lost;
    totals.duplicated += duplicated;
    totals.violations += violations;
    const replay = scenario.file === 'bench/soak.ts' ? `npm run soak -- --seeds 1 --first-seed ${seed} --chaos ${scenario.name.split('-').at(-1)} --scenario ${scenario.name}${values.devices !== undefined ? ` --devices ${values.devices}` : ''}` : r.replay;
    if (r.verdict !== 'pass' || lost > 0 || duplicated > 0) totals.failures.push(replay);
    const faults = (r.metrics.faults as Array<{ label: string }> | undefined)?.length ?? 0;
    say(`${r.verdict === 'pass' && lost === 0 && duplicated === 0 ? 'ok  ' : 'FAIL'} seed ${seed} ${scenario.name}: ${fleet?.reconciliation.storedOnPlatform ?? 0} stored, ${lost} lost, ${duplicated} duplicated, ${violations} violations, ${faults} faults${r.error ? ` — ${r.error}` : ''} (${r.wallSeconds.toFixed(1)} s)`);
  }
  say(`soak: seed ${seed} done; ${totals.runs} runs in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
process.stdout.write(`${JSON.stringify(totals)}\n`);
process.exitCode = totals.lost === 0 && totals.duplicated === 0 && totals.violations === 0 ? 0 : 1;
