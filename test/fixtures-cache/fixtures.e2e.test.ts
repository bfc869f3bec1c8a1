import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../harness/cli/main.ts';
import { EmbeddedEnvironment } from '../../harness/core/env/index.ts';
import { FIXTURE_SOURCES, FixtureCache, fixtureKey, keyOf, startFleetEnvironment, type FixtureManifest } from '../../harness/core/fixtures/index.ts';
import { runFleet, type FleetRunResult } from '../../harness/core/fleet/index.ts';
import type { FleetOptions } from '../../simulators/fleet-options.ts';

/**
 * Fleet fixtures end to end, against real PostgreSQL and the reference API over real HTTP:
 * the key changes with what shapes the fleet; a run from a fixture gives the same ledger
 * digest and verdicts as the full path; a corrupt fixture is rebuilt, never used; expired
 * tokens are renewed; pruning keeps to the cap; the CLI's usage errors exit 2.
 */
const FLEET: FleetOptions = { seed: 2020, devices: 200, phones: { timeoutAfterCommit: 0.2, reinstallPerSync: 0.05 } };
const ENV = { apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' }, startupTimeoutMs: 60_000 };
const RUN = { fleet: FLEET, days: 2, workers: 16, progress: { enabled: false } } as const;

let root: string;
let cache: FixtureCache;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fleetbed-fixtures-test-'));
  cache = new FixtureCache({ dir: join(root, 'fixtures') });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the fixture key', () => {
  const base = fixtureKey({ fleet: FLEET });

  it('changes with the seed, the device count and any fleet option', () => {
    expect(fixtureKey({ fleet: FLEET }).id).toBe(base.id);
    expect(fixtureKey({ fleet: { ...FLEET, seed: 2021 } }).id).not.toBe(base.id);
    expect(fixtureKey({ fleet: { ...FLEET, devices: 201 } }).id).not.toBe(base.id);
    expect(fixtureKey({ fleet: { ...FLEET, household: { secondPhoneProbability: 0.5 } } }).id).not.toBe(base.id);
  });

  it('changes with an API variable that shapes stored state, not with pool or log settings', () => {
    expect(fixtureKey({ fleet: FLEET, apiEnv: { FLEETBED_LOG_LEVEL: 'error', FLEETBED_DB_POOL_SIZE: '4' } }).id).toBe(base.id);
    expect(fixtureKey({ fleet: FLEET, apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' } }).id).not.toBe(base.id);
  });

  it("changes with a migration's text", () => {
    const migrations = join(root, 'migrations');
    cpSync(join(FIXTURE_SOURCES.repoRoot, FIXTURE_SOURCES.migrations), migrations, { recursive: true });
    const before = fixtureKey({ fleet: FLEET }, { ...FIXTURE_SOURCES, migrations });
    expect(fixtureKey({ fleet: FLEET }, { ...FIXTURE_SOURCES, migrations }).id).toBe(before.id);
    // The same migrations with one line more, in another folder (a process hashes a folder once).
    const changed = join(root, 'migrations-changed');
    cpSync(migrations, changed, { recursive: true });
    const first = join(changed, readdirSync(changed).sort()[0]!);
    writeFileSync(first, `${readFileSync(first, 'utf8')}\n-- one more line\n`);
    const renamedSame = join(root, 'migrations-same');
    cpSync(migrations, renamedSame, { recursive: true });
    expect(fixtureKey({ fleet: FLEET }, { ...FIXTURE_SOURCES, migrations: renamedSame }).parts.migrations).toBe(before.parts.migrations);
    const after = fixtureKey({ fleet: FLEET }, { ...FIXTURE_SOURCES, migrations: changed });
    expect(after.id).not.toBe(before.id);
    expect(after.parts.migrations).not.toBe(before.parts.migrations);
    expect(after.parts.code).toBe(before.parts.code);
  });
});

describe('a fleet from a fixture', () => {
  let full: FleetRunResult;
  let built: FleetRunResult;
  let reused: FleetRunResult;
  const uses: string[] = [];

  beforeAll(async () => {
    {
      await using env = await new EmbeddedEnvironment(ENV).start();
      full = await runFleet({ ...RUN, environment: env });
    }
    for (const target of ['built', 'reused'] as const) {
      await using fe = await startFleetEnvironment({ fleet: FLEET, environment: ENV, policy: 'build', cache, workers: 16 });
      uses.push(fe.fixture);
      const r = await runFleet({ ...RUN, environment: fe.environment, ...(fe.setup ? { setup: fe.setup } : {}) });
      if (target === 'built') built = r;
      else reused = r;
    }
  }, 240_000);

  it('is built once, then reused', () => {
    expect(uses).toEqual(['built', 'reused']);
    expect(reused.phases.accounts).toBeUndefined();
    expect(reused.stats.bonds).toBe(0);
    expect(full.stats.bonds).toBe(200);
  });

  it('gives the same ledger digest and verdicts as the full path (sign-up, provisioning, bonding through the API)', () => {
    for (const r of [full, built, reused]) {
      expect(r.ok, r.reconciliation.examples.join('\n')).toBe(true);
      expect(r.violations).toEqual([]);
    }
    expect(built.ledgerDigest).toBe(full.ledgerDigest);
    expect(reused.ledgerDigest).toBe(full.ledgerDigest);
    // Verdict counts are the seed's; reorderedStores depends on which of two concurrent uploads the platform stored first.
    const verdicts = ({ reorderedStores: _timing, ...t }: FleetRunResult['totals']) => t;
    expect(verdicts(reused.totals)).toEqual(verdicts(full.totals));
    expect(reused.reconciliation.storedOnPlatform).toBe(full.reconciliation.storedOnPlatform);
  });

  it('renews tokens that expired on the platform clock instead of trusting them', async () => {
    await using fe = await startFleetEnvironment({ fleet: FLEET, environment: ENV, policy: 'reuse', cache });
    expect(fe.fixture).toBe('reused');
    // 31 days later on the platform's clock: access (15 min) and refresh (30 days) tokens have expired.
    const later = fe.setup!.startMs + 31 * 86_400_000;
    const res = await fetch(`${fe.environment.apiUrl}/testbed/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ epochMs: later }) });
    expect(res.status).toBe(200);
    const r = await runFleet({ ...RUN, days: 1, environment: fe.environment, setup: fe.setup! });
    expect(r.ok, r.reconciliation.examples.join('\n')).toBe(true);
    expect(r.stats.signIns).toBeGreaterThanOrEqual(r.households);
  }, 120_000);

  it('is rebuilt, with a message, when a file of its cluster is missing, and never used', async () => {
    const key = keyOf({ fleet: FLEET, environment: ENV });
    const dir = join(cache.dir, key.id);
    unlinkSync(join(dir, 'pgdata', 'PG_VERSION'));
    expect((await cache.lookup(key)).status).toBe('invalid');
    const notes: string[] = [];
    await using fe = await startFleetEnvironment({ fleet: FLEET, environment: ENV, policy: 'build', cache, workers: 16, log: (l) => notes.push(l) });
    expect(fe.fixture).toBe('built');
    expect(notes.join('\n')).toMatch(/cannot be used \(pgdata\/PG_VERSION is missing\): removed, rebuilding it/);
    expect((await cache.lookup(key)).status).toBe('ready');
  }, 120_000);

  it('is not used when its app state was changed, and a reuse-only run then sets the fleet up through the API', async () => {
    const key = keyOf({ fleet: FLEET, environment: ENV });
    expect(readdirSync(join(cache.dir, key.id)).sort(), `the fixture folder ${join(cache.dir, key.id)}`).toEqual(expect.arrayContaining(['app-state.bin', 'manifest.json', 'pgdata']));
    truncateSync(join(cache.dir, key.id, 'app-state.bin'), 100);
    const notes: string[] = [];
    await using fe = await startFleetEnvironment({ fleet: FLEET, environment: ENV, policy: 'reuse', cache, log: (l) => notes.push(l) });
    expect(fe.fixture).toBe('none');
    expect(fe.setup).toBeUndefined();
    expect(notes.join('\n')).toMatch(/app-state\.bin is 100 bytes, the manifest says \d+/);
    expect((await cache.lookup(key)).status).toBe('missing');
  }, 120_000);
});

describe('pruning', () => {
  it('removes the least recently used fixtures until the cache fits its cap', async () => {
    const pruneCache = new FixtureCache({ dir: join(root, 'prune') });
    const key = keyOf({ fleet: { seed: 7, devices: 20 }, environment: ENV });
    // Build one real fixture, then give it three siblings of other ages (real folders, checked like any).
    await (await startFleetEnvironment({ fleet: { seed: 7, devices: 20 }, environment: ENV, policy: 'build', cache: pruneCache, workers: 8 })).stop();
    const source = join(pruneCache.dir, key.id);
    const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as FixtureManifest;
    const ids = ['aaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbb', 'cccccccccccccccccccccccc'];
    ids.forEach((id, i) => {
      cpSync(source, join(pruneCache.dir, id), { recursive: true });
      const usedAt = new Date(Date.parse(manifest.lastUsedAt) - (i + 1) * 3_600_000).toISOString(); // aaa 1 h older, ccc 3 h older
      writeFileSync(join(pruneCache.dir, id, 'manifest.json'), JSON.stringify({ ...manifest, id, lastUsedAt: usedAt }));
    });
    expect((await pruneCache.list()).map((f) => f.id)).toEqual([key.id, ...ids]);
    const r = await pruneCache.prune({ maxSizeBytes: manifest.bytes * 2 });
    expect(r.removed.map((f) => f.id)).toEqual(['cccccccccccccccccccccccc', 'bbbbbbbbbbbbbbbbbbbbbbbb']);
    expect(r.kept.map((f) => f.id)).toEqual([key.id, 'aaaaaaaaaaaaaaaaaaaaaaaa']);
    expect(r.bytes).toBeLessThanOrEqual(manifest.bytes * 2);
    expect((await pruneCache.prune({ all: true })).kept).toEqual([]);
  }, 120_000);
});

describe('fleetbed fixtures', () => {
  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const lines: string[] = [];
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    const before = process.env.FLEETBED_CACHE_DIR;
    process.env.FLEETBED_CACHE_DIR = join(root, 'cli');
    try {
      const code = await main(argv, (l) => lines.push(l));
      return { code, stdout: lines.join('\n'), stderr };
    } finally {
      spy.mockRestore();
      if (before === undefined) delete process.env.FLEETBED_CACHE_DIR;
      else process.env.FLEETBED_CACHE_DIR = before;
    }
  }

  it('prints its help for every action (exit 0)', async () => {
    for (const action of ['list', 'build', 'prune']) {
      const r = await cli(['fixtures', action, '--help']);
      expect(r.code, action).toBe(0);
      expect(r.stdout).toContain('Usage: fleetbed fixtures <list | build | prune>');
    }
  });

  it('exits 2 on a bad flag, a bad size, a missing action or a flag of another action', async () => {
    for (const argv of [['fixtures', 'list', '--bogus'], ['fixtures', 'prune', '--max-size', 'lots'], ['fixtures'], ['fixtures', 'build'], ['fixtures', 'list', '--all'], ['fixtures', 'compact']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^fleetbed: /);
    }
  });

  it('lists and prunes an empty cache, naming its folder and cap', async () => {
    const list = await cli(['fixtures', 'list', '--max-size', '5GB']);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(`0 fixtures, 0 B of 5.0 GB in ${join(root, 'cli', 'fixtures')}`);
    const prune = await cli(['fixtures', 'prune']);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain('0 removed; 0 kept');
  });

  it("builds a shard's fixture, which fleetbed run --shard then reuses", async () => {
    const argv = ['scenarios/ci/late-and-duplicate-uploads.ts', '--devices', '60', '--shard', '2/3'];
    const built = await cli(['fixtures', 'build', ...argv, '--quiet']);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/^late-and-duplicate-uploads, shard 2\/3: fixture \S+ built in /m);
    const again = await cli(['fixtures', 'build', ...argv, '--quiet']);
    expect(again.stdout).toMatch(/^late-and-duplicate-uploads, shard 2\/3: fixture \S+ is up to date/m);
    // Another slice is another fixture.
    const other = await cli(['fixtures', 'build', 'scenarios/ci/late-and-duplicate-uploads.ts', '--devices', '60', '--shard', '1/3', '--quiet']);
    expect(other.stdout).toMatch(/shard 1\/3: fixture \S+ built in /);
    const dir = join(root, 'shard-run');
    const run = await cli(['run', ...argv, '--duration', '1d', '--quiet', '--report-dir', dir]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.scenarios[0].shard).toEqual({ index: 2, count: 3 });
    expect(summary.scenarios[0].fixture).toBe('reused');
  }, 240_000);

  it('fleetbed run refuses --no-fixture with --build-fixture (exit 2)', async () => {
    const r = await cli(['run', 'scenarios/ci', '--no-fixture', '--build-fixture']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--no-fixture and --build-fixture contradict each other');
  });
});
