import { buildFixture, FixtureCache, formatBytes, keyOf, parseSize, type FixtureInfo } from '../../core/fixtures/index.ts';
import { loadScenarios } from '../../core/scenario/load-scenarios.ts';
import { applyOverrides, parseDevicesOption } from '../../core/scenario/overrides.ts';
import { ScenarioError } from '../../core/scenario/errors.ts';
import { toFleetOptions } from '../../core/scenario/to-fleet-options.ts';
import type { FleetOptions } from '../../../simulators/fleet-options.ts';
import { EXIT, intFlag, parseCommandArgs, shardFlag, UsageError } from '../usage.ts';
import type { ShardFlag } from '../../core/flags.ts';

/** The API settings a fixture is built with: those `fleetbed run` and `npm run bench:fleet` start the API with. */
const BUILD_API_ENV = Object.freeze({ FLEETBED_PASSWORD_HASH_COST: '16' });

export const FIXTURES_HELP = `Usage: fleetbed fixtures <list | build | prune> [options]

Fleet fixtures: provisioned, bonded fleets kept in a cache folder, so that a run
starts from the bonded fleet in seconds instead of signing up, provisioning and
bonding it through the API (docs/fixtures.md). A fixture is keyed by the seed,
the device count, the fleet options, the platform's migrations, the code that
builds it and the PostgreSQL version: any change makes another key.

The cache folder: $FLEETBED_CACHE_DIR/fixtures, else ~/.cache/fleetbed/fixtures.
Its size cap: --max-size, else $FLEETBED_FIXTURE_MAX_SIZE, else 20GB.

  fleetbed fixtures list               every fixture: key, devices, seed, size, age
  fleetbed fixtures build [SCENARIO]   build the fixture(s) for a scenario file or
                                       directory (what fleetbed run uses), or, without
                                       one, for --devices/--seed (what npm run bench:fleet
                                       uses); an existing valid fixture is kept
  fleetbed fixtures prune              remove the oldest (least recently used) until the
                                       cache fits its cap; --all removes every one

Options:
  --devices N        build: fleet size (500, 10k, 1m); overrides a scenario's
  --seed S           build: root seed (default 1); overrides a scenario's
  --shard I/N        build: the fixture of the I-th of N slices of the fleet's
                     households, what fleetbed run --shard I/N and
                     npm run bench:fleet -- --shard I/N reuse (docs/sharding.md)
  --max-size SIZE    the cache's cap, e.g. 20GB, 500MB (list shows it; prune and
                     build keep to it)
  --all              prune: remove every fixture not in use
  --quiet            build: no progress display
  -h, --help         this text

Exit codes: 0 done; 1 a build failed; 2 bad usage.
`;

export async function fixtures(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'fixtures',
    argv,
    {
      devices: { type: 'string' },
      seed: { type: 'string' },
      shard: { type: 'string' },
      'max-size': { type: 'string' },
      all: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(FIXTURES_HELP);
    return EXIT.ok;
  }
  const [action, ...rest] = positionals;
  if (action !== 'list' && action !== 'build' && action !== 'prune') {
    throw new UsageError(action === undefined ? 'fleetbed fixtures needs an action: list, build or prune.' : `unknown fixtures action ${JSON.stringify(action)}: list, build or prune.`, 'Run "fleetbed fixtures --help".');
  }
  const only = (allowed: string[]) => {
    for (const flag of ['devices', 'seed', 'shard', 'all', 'quiet'] as const) {
      if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`--${flag} does not apply to fleetbed fixtures ${action}.`, 'Run "fleetbed fixtures --help".');
    }
    if (action !== 'build' && rest.length > 0) throw new UsageError(`fleetbed fixtures ${action} takes no argument, got ${JSON.stringify(rest[0])}.`, 'Run "fleetbed fixtures --help".');
  };
  let cache: FixtureCache;
  try {
    cache = new FixtureCache(values['max-size'] !== undefined ? { maxSize: parseSize(values['max-size'], '--max-size') } : {});
  } catch (err) {
    throw new UsageError((err as Error).message, 'Run "fleetbed fixtures --help".');
  }

  if (action === 'list') {
    only([]);
    const infos = await cache.list();
    out(renderList(cache, infos));
    return EXIT.ok;
  }
  if (action === 'prune') {
    only(['all']);
    const r = await cache.prune({ all: Boolean(values.all) });
    for (const f of r.removed) out(`removed ${f.id} (${f.devices === undefined ? f.reason : `${f.devices.toLocaleString('en-US')} devices, seed ${f.seed}`}, ${formatBytes(f.bytes)})`);
    out(`${r.removed.length} removed; ${r.kept.length} kept, ${formatBytes(r.bytes)} of ${formatBytes(cache.maxSizeBytes)} in ${cache.dir}`);
    return EXIT.ok;
  }

  only(['devices', 'seed', 'shard', 'quiet']);
  if (rest.length > 1) throw new UsageError(`fleetbed fixtures build takes at most one scenario file or directory, got ${rest.length}.`, 'Run "fleetbed fixtures --help".');
  const fleets = await fleetsToBuild(rest[0], values.devices, values.seed, shardFlag(values.shard));
  const log = (line: string) => out(`fixtures: ${line}`);
  for (const { label, fleet, apiEnv } of fleets) {
    const options = { fleet, environment: { apiEnv: { ...BUILD_API_ENV, ...apiEnv }, startupTimeoutMs: 120_000 }, cache, progress: { enabled: !values.quiet }, log };
    const key = keyOf(options);
    const found = await cache.lookup(key);
    if (found.status === 'ready') {
      out(`${label}: fixture ${key.id} is up to date (${formatBytes(found.fixture.manifest.bytes)}); kept`);
      continue;
    }
    if (found.status === 'invalid') out(`${label}: fixture ${key.id} cannot be used (${found.reason}): rebuilding it`);
    const t = performance.now();
    const fixture = await buildFixture(options, key);
    out(`${label}: fixture ${key.id} built in ${((performance.now() - t) / 1000).toFixed(1)} s (${formatBytes(fixture.manifest.bytes)}) in ${fixture.dir}`);
  }
  return EXIT.ok;
}

async function fleetsToBuild(path: string | undefined, devicesText: string | undefined, seedText: string | undefined, shard: ShardFlag | undefined): Promise<Array<{ label: string; fleet: FleetOptions; apiEnv: Record<string, string> }>> {
  const slice = shard ? `, shard ${shard.index}/${shard.count}` : '';
  try {
    if (path === undefined) {
      if (devicesText === undefined) throw new UsageError('fleetbed fixtures build needs a scenario file or directory, or --devices N.', 'Example: npx fleetbed fixtures build --devices 100k');
      const devices = parseDevicesOption(devicesText);
      const seed = intFlag('seed', seedText, 0) ?? 1;
      return [{ label: `${devices.toLocaleString('en-US')} devices, seed ${seed}${slice}`, fleet: { seed, devices, ...(shard ? { shard } : {}) }, apiEnv: {} }];
    }
    const overrides = { ...(devicesText !== undefined ? { devices: parseDevicesOption(devicesText) } : {}), ...(seedText !== undefined ? { seed: seedText } : {}) };
    const scenarios = (await loadScenarios(path)).map((s) => applyOverrides(s, overrides)).filter((s) => !s.ota && !s.legacy);
    if (scenarios.length === 0) throw new UsageError(`no fleet scenario under ${path} (OTA and legacy scenarios build their own world and use no fixture).`);
    return scenarios.map((s) => ({ label: `${s.name}${slice}`, fleet: toFleetOptions(shard ? { ...s, shard } : s), apiEnv: s.env.apiEnv ?? {} }));
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message, 'Nothing was built. Run "fleetbed fixtures --help".');
    throw err;
  }
}

function renderList(cache: FixtureCache, infos: FixtureInfo[]): string {
  const total = infos.reduce((n, i) => n + i.bytes, 0);
  const head = `${infos.length} fixture${infos.length === 1 ? '' : 's'}, ${formatBytes(total)} of ${formatBytes(cache.maxSizeBytes)} in ${cache.dir}`;
  if (infos.length === 0) return head;
  const rows = [['KEY', 'DEVICES', 'SEED', 'SIZE', 'AGE', 'STATUS']];
  for (const i of infos) {
    rows.push([i.id, i.devices?.toLocaleString('en-US') ?? '-', i.seed === undefined ? '-' : String(i.seed), formatBytes(i.bytes), age(i.ageSeconds), i.status === 'ready' ? (i.inUseBy.length ? `in use (pid ${i.inUseBy.join(', ')})` : 'ready') : `invalid: ${i.reason}`]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [head, '', ...rows.map((r) => r.map((cell, c) => (c === rows[0]!.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '))].join('\n');
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
