import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPORT_SCHEMA_VERSION, type RunReport, type ScenarioResult } from '../../../reports/types.ts';
import { resolveEnvironment } from '../../core/env/index.ts';
import type { EmbeddedOptions, EnvironmentOptions, StartedEnvironment } from '../../core/env/types.ts';
import { startFleetEnvironment, type FixturePolicy, type FixtureUse } from '../../core/fixtures/index.ts';
import type { FleetRunResult, FleetSetupState } from '../../core/fleet/run-fleet.ts';
import { toFleetOptions } from '../../core/scenario/to-fleet-options.ts';
import type { ProgressOptions } from '../../core/fleet/progress.ts';
import type { ResolvedScenario } from '../../core/scenario/types.ts';
import { runDigest, runScenario } from './run-scenario.ts';
import { gitCommit } from '../../core/git-commit.ts';
import { FleetbedError } from '../../../contract/fleetbed-error.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export interface RunSuiteOptions {
  scenarios: ResolvedScenario[];
  /** Environment options (`env`, `targetUrl`, `databaseUrl`, …). Embedded: a fresh environment per scenario. */
  environment: EnvironmentOptions;
  command: string;
  /** The seed shown at the top of the report (the --seed override, or the first scenario's). */
  seed?: string;
  replayFlags?: string[];
  progress?: ProgressOptions;
  log?: (line: string) => void;
  /**
   * Fleet fixtures (docs/fixtures.md), embedded environment only: `reuse` (default) starts a
   * fleet scenario from a matching fixture when the cache has one, `build` also builds and
   * saves one when none matches, `none` sets every fleet up through the API. Ignored (`none`)
   * for OTA scenarios, for `apiEntry`, and for url and containers environments.
   */
  fixture?: FixturePolicy;
  /**
   * Scenarios run side by side (default 1: one after another), each on its own embedded
   * platform; the report keeps file order. Only the embedded environment: url and containers
   * serve every scenario from one platform (FLEETBED_USAGE; the CLI refuses it before anything starts).
   */
  jobs?: number;
  /** Called after each scenario, in the order they finish (live table, progress). */
  onScenario?: (result: ScenarioResult, index: number, total: number) => void;
  /** Called with each fleet scenario's completed fleet run (a sharded run keeps its ledger part). */
  onFleet?: (scenario: ResolvedScenario, fleet: FleetRunResult) => void;
}

/**
 * Run scenarios (one after another, or `jobs` side by side) and assemble the run report. With the
 * embedded environment each scenario gets its own fresh PostgreSQL and API (so
 * restarts and faults of one never leak into the next); with a url or
 * containers environment one platform serves them all (fleets of different
 * seeds use disjoint device ids).
 */
export async function runSuite(options: RunSuiteOptions): Promise<RunReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const suiteLog = options.log ?? (() => {});
  const envKind = options.environment.env ?? (options.environment.targetUrl || options.environment.databaseUrl ? 'url' : 'embedded');
  for (const scenario of options.scenarios) {
    const custom = scenario.legacy?.customLines ?? [];
    if (custom.length > 0 && envKind !== 'url') {
      throw new FleetbedError(
        'FLEETBED_LEGACY_LINE_UNSERVED',
        `scenario ${scenario.name} (${scenario.file}) brings its own dialect for ${custom.join(', ')} (legacy.dialects), but the ${envKind} environment runs the reference API, which serves only the catalogue lines of contract/legacy/dialects.ts. Nothing was started. Run it with --env url --target-url <your platform in test mode>, or add the dialect to contract/legacy/dialects.ts to rehearse on the reference API.`,
      );
    }
  }
  const shared = envKind !== 'embedded';
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, options.scenarios.length));
  if (jobs > 1 && shared) {
    throw new FleetbedError('FLEETBED_USAGE', `--jobs ${jobs} runs scenarios side by side, each on a platform of its own, which only the embedded environment starts; the ${envKind} environment serves every scenario from one platform. Nothing was started. Drop --jobs, or run on the embedded environment.`);
  }
  let sharedEnv: StartedEnvironment | undefined;
  let apiUrl = '';
  let kind = '';
  const slots: Array<ScenarioResult | undefined> = [];
  // Side by side, each scenario logs under its name, and the live progress of one fleet (a
  // redrawn line) would garble the other's: the scenario lines and their verdicts remain.
  const progress = jobs > 1 ? { ...options.progress, enabled: false } : options.progress;
  const runOne = async (i: number, scenario: ResolvedScenario) => {
    const log = jobs > 1 ? (line: string) => suiteLog(`[${scenario.name}] ${line}`) : suiteLog;
    suiteLog(`scenario ${i + 1}/${options.scenarios.length}: ${scenario.name} (${scenario.fleet.devices} devices, ${scenario.duration}, seed ${scenario.seed}, ${relative(process.cwd(), scenario.file) || scenario.file})`);
    let env: StartedEnvironment;
    let fixture: FixtureUse = 'none';
    let setup: FleetSetupState | undefined;
    if (shared) env = sharedEnv ??= await resolveEnvironment(options.environment).start();
    else {
      const envOptions = {
        ...options.environment,
        ...(scenario.env.apiWorkers ? { workers: scenario.env.apiWorkers } : {}),
        apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16', ...options.environment.apiEnv, ...scenario.env.apiEnv },
      };
      const policy = scenario.ota || scenario.legacy || options.environment.apiEntry !== undefined ? 'none' : (options.fixture ?? 'reuse');
      if (policy === 'none') env = await resolveEnvironment(envOptions).start();
      else {
        const fleetEnv = await startFleetEnvironment({
          fleet: toFleetOptions(scenario),
          environment: envOptions as EmbeddedOptions,
          policy,
          ...(scenario.env.harnessWorkers ? { workers: scenario.env.harnessWorkers } : {}),
          ...(progress ? { progress } : {}),
          log,
        });
        env = fleetEnv.environment;
        fixture = fleetEnv.fixture;
        setup = fleetEnv.setup;
        if (fixture !== 'none') log(`fixture: ${fixture} (${fleetEnv.key!.id}): the fleet starts bonded`);
      }
    }
    apiUrl ||= env.apiUrl;
    kind ||= env.kind;
    try {
      const { result, fleet } = await runScenario(scenario, { environment: env, ...(options.replayFlags ? { replayFlags: options.replayFlags } : {}), ...(progress ? { progress } : {}), log, ...(setup ? { setup } : {}) });
      result.fixture = fixture;
      if (scenario.shard) result.shard = { ...scenario.shard };
      if (fleet) options.onFleet?.(scenario, fleet);
      slots[i] = result;
      options.onScenario?.(result, i, options.scenarios.length);
    } finally {
      if (!shared) await env.stop();
    }
  };
  try {
    // `jobs` lanes take the scenarios in file order; the report keeps file order whatever finishes first.
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      while (failure === undefined && next < options.scenarios.length) {
        const i = next++;
        try {
          await runOne(i, options.scenarios[i]!);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: jobs }, lane));
    if (failure) throw failure.error;
  } finally {
    await sharedEnv?.stop();
  }
  const results = slots.filter((r): r is ScenarioResult => r !== undefined);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'fleetbed', version: pkg.version },
    runId: runId(startedAt),
    command: options.command,
    seed: options.seed ?? (new Set(options.scenarios.map((s) => s.seed)).size === 1 ? options.scenarios[0]!.seed : 'per-scenario'),
    commit: gitCommit(),
    ledgerDigest: runDigest(results.map((r) => r.ledgerDigest)),
    verdict: results.length > 0 && results.every((r) => r.verdict === 'pass') ? 'pass' : 'fail',
    startedAt: startedAt.toISOString(),
    wallSeconds: Math.round((performance.now() - t0) / 10) / 100,
    environment: { kind, apiUrl },
    scenarios: results,
  };
}

/** `20261127-103015-ab12`: sortable, unique enough for a report directory. */
export function runId(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}
