import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `fleetbed run --shard i/n` and `fleetbed merge`, as a CI job with n parallel jobs runs
 * them: child processes against the embedded platform (one fresh PostgreSQL and API per
 * shard), then the merge. The merged report must equal the single-process run of the same
 * seed and size in everything that adds up exactly: the ledger digest, the totals, each
 * invariant's verdict and the run's verdict.
 */
function fleetbed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['harness/cli/bin.mjs', ...args], { timeout: 240_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Summary {
  verdict: string;
  ledgerDigest: string;
  shard?: { index?: number; count: number };
  scenarios: Array<{ name: string; verdict: string; ledgerDigest: string; replay: string; invariants: Array<{ id: string; verdict: string; witnesses: unknown[] }>; metrics: Record<string, unknown> }>;
}
const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
const TOTALS = ['recordsProduced', 'recordsStored', 'duplicates', 'late', 'rejected', 'lostAtDevice', 'rejectionsByCode', 'replays'] as const;

const tmp = mkdtempSync(join(tmpdir(), 'fleetbed-shard-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function runShards(scenario: string, count: number, flags: string[], name: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 1; i <= count; i++) {
    const dir = join(tmp, `${name}-${i}of${count}`);
    const r = await fleetbed(['run', scenario, ...flags, '--shard', `${i}/${count}`, '--report-dir', dir]);
    expect([0, 1], r.stderr).toContain(r.code);
    expect(existsSync(join(dir, 'ledger'))).toBe(true);
    dirs.push(dir);
  }
  return dirs;
}

describe('a sharded run merges into the single-process run', () => {
  const scenario = 'scenarios/ci/late-and-duplicate-uploads.ts';
  const flags = ['--devices', '240', '--duration', '2d', '--quiet', '--no-fixture'];
  let whole: Summary;

  it('runs whole first (the reference)', { timeout: 240_000 }, async () => {
    const r = await fleetbed(['run', scenario, ...flags, '--report-dir', join(tmp, 'whole')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    whole = summary(join(tmp, 'whole'));
    expect(whole.scenarios[0]!.metrics.recordsStored as number).toBeGreaterThan(500);
  });

  it.each([1, 2, 3])('%i shard(s): same digest, totals and verdicts', { timeout: 480_000 }, async (count) => {
    const dirs = await runShards(scenario, count, flags, 'ci');
    // A shard alone is not the whole fleet.
    if (count > 1) expect(summary(dirs[0]!).scenarios[0]!.ledgerDigest).not.toBe(whole.scenarios[0]!.ledgerDigest);
    const out = join(tmp, `merged-${count}`);
    const m = await fleetbed(['merge', ...dirs.reverse(), '--report-dir', out, '--quiet']);
    expect(m.code, m.stdout + m.stderr).toBe(0);
    const merged = summary(out);
    expect(merged.shard).toEqual({ count });
    expect(merged.verdict).toBe(whole.verdict);
    expect(merged.ledgerDigest).toBe(whole.ledgerDigest);
    const [a, b] = [whole.scenarios[0]!, merged.scenarios[0]!];
    expect(b.ledgerDigest).toBe(a.ledgerDigest);
    for (const k of TOTALS) expect(b.metrics[k], k).toEqual(a.metrics[k]);
    expect(b.invariants.map((i) => [i.id, i.verdict])).toEqual(a.invariants.map((i) => [i.id, i.verdict]));
    expect(b.replay).toBe(a.replay);
    expect(existsSync(join(out, 'junit.xml')) && existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('refuses an incomplete set of shards, naming the missing one, and writes nothing', { timeout: 60_000 }, async () => {
    const out = join(tmp, 'refused');
    const r = await fleetbed(['merge', join(tmp, 'ci-1of3'), join(tmp, 'ci-3of3'), '--report-dir', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FLEETBED_MERGE_INPUT_INVALID/);
    expect(r.stderr).toMatch(/shard 2\/3 missing/);
    expect(existsSync(out)).toBe(false);
    const mixed = await fleetbed(['merge', join(tmp, 'ci-1of2'), join(tmp, 'ci-2of3')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/is shard 2\/3, .* is of 2 shards/);
    // OTA scenarios judge the whole fleet: they run whole on shard 1 only.
    const ota = await fleetbed(['run', 'scenarios/ci/ota-downgrade-refused.ts', '--shard', '2/2']);
    expect(ota.code).toBe(2);
    expect(ota.stderr).toMatch(/OTA scenario, and those run whole on shard 1\/2 only/);
    expect((await fleetbed(['run', scenario, '--shard', '3/2'])).stderr).toMatch(/--shard must be i\/n with 1 ≤ i ≤ n/);
  });

  it('a broken platform turns the merged run red, with a replay line for the whole fleet', { timeout: 480_000 }, async () => {
    const broken = [...flags, '--api-entry', 'test/fixtures/overwrite-stored-record.ts'];
    const dirs = await runShards(scenario, 2, broken, 'broken');
    const m = await fleetbed(['merge', ...dirs, '--report-dir', join(tmp, 'merged-broken')]);
    expect(m.code, m.stdout + m.stderr).toBe(1);
    const merged = summary(join(tmp, 'merged-broken'));
    const ing1 = merged.scenarios[0]!.invariants.find((i) => i.id === 'ING-1')!;
    expect(ing1.verdict).toBe('fail');
    expect(ing1.witnesses.length).toBeGreaterThan(0);
    const line = m.stdout.split('\n').find((l) => l.startsWith('FAIL late-and-duplicate-uploads ING-1: replay with: '));
    expect(line, m.stdout).toBeDefined();
    expect(line).toContain('--api-entry test/fixtures/overwrite-stored-record.ts');
    expect(line).not.toContain('--shard');
  });
});
