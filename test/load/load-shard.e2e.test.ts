import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `fleetbed load --shard i/n` and `fleetbed merge` of the load shards, as a planner runs
 * them: child processes against the embedded platform (one fresh PostgreSQL and API each),
 * a small ramping plan (test/fixtures/load-shard-plan.json), played whole and as 2 shards
 * side by side. Which syncs happen, and each household's order, are a pure function of the
 * plan and seed, so the merged ledger must equal the whole run's bit for bit; the rates add.
 * The fleet is set up through the API (--no-fixture): the shared fixture cache is not used.
 */
function fleetbed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['harness/cli/bin.mjs', ...args], { timeout: 120_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Summary {
  verdict: string;
  ledgerDigest: string;
  shard?: { index?: number; count: number };
  scenarios: Array<{ verdict: string; ledgerDigest: string; replay: string; invariants: Array<{ id: string; verdict: string }>; metrics: Record<string, any> }>;
}
const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

const PLAN = 'test/fixtures/load-shard-plan.json';
const FLAGS = ['--no-fixture', '--quiet'];
/** What the ledger settles exactly, whatever the timing. */
const TOTALS = ['recordsProduced', 'recordsStored', 'duplicates', 'late', 'rejected', 'lostAtDevice', 'rejectionsByCode', 'replays'] as const;

const tmp = mkdtempSync(join(tmpdir(), 'fleetbed-load-shard-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a sharded load run merges into the single-process run', () => {
  it('whole vs 2 shards: same ledger digest and totals, the rates add, the verdict follows', { timeout: 150_000 }, async () => {
    // The whole run, and a run shard beside it (for the mixed-input refusal below).
    const [w, run] = await Promise.all([
      fleetbed(['load', PLAN, ...FLAGS, '--report-dir', join(tmp, 'whole')]),
      fleetbed(['run', 'scenarios/ci/late-and-duplicate-uploads.ts', '--devices', '40', '--duration', '1d', '--shard', '1/2', ...FLAGS, '--report-dir', join(tmp, 'run-1of2')]),
    ]);
    expect(w.code, w.stdout + w.stderr).toBe(0);
    expect([0, 1], run.stderr).toContain(run.code);
    const shards = await Promise.all([1, 2].map((i) => fleetbed(['load', PLAN, ...FLAGS, '--shard', `${i}/2`, '--report-dir', join(tmp, `load-${i}of2`)])));
    for (const r of shards) expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(shards[0]!.stdout).toMatch(/^ {2}shard 1\/2: \d+ households, \d+ devices, \d+ phones; \d+ of the plan's 155 arrivals$/m);
    for (const i of [1, 2]) expect(existsSync(join(tmp, `load-${i}of2`, 'ledger', 'shard-split.part'))).toBe(true);

    const whole = summary(join(tmp, 'whole'));
    const parts = [1, 2].map((i) => summary(join(tmp, `load-${i}of2`)));
    // A shard alone is not the whole fleet.
    expect(parts[0]!.ledgerDigest).not.toBe(whole.ledgerDigest);
    expect(parts[0]!.shard).toEqual({ index: 1, count: 2 });

    const out = join(tmp, 'merged');
    const m = await fleetbed(['merge', join(tmp, 'load-2of2'), join(tmp, 'load-1of2'), '--report-dir', out, '--quiet']);
    expect(m.code, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toMatch(/^PASS shard-split: 2 shards together/m);
    const merged = summary(out);
    expect(merged.shard).toEqual({ count: 2 });
    expect(merged.verdict).toBe(whole.verdict);
    expect(merged.ledgerDigest).toBe(whole.ledgerDigest);
    const [a, b] = [whole.scenarios[0]!, merged.scenarios[0]!];
    expect(a.metrics.recordsStored).toBeGreaterThan(100);
    expect(b.ledgerDigest).toBe(a.ledgerDigest);
    for (const k of TOTALS) expect(b.metrics[k], k).toEqual(a.metrics[k]);
    expect(b.invariants.map((i) => [i.id, i.verdict])).toEqual(a.invariants.map((i) => [i.id, i.verdict]));
    expect(b.replay).toBe(a.replay);

    const [wl, ml] = [a.metrics.load, b.metrics.load];
    const sl = parts.map((p) => p.scenarios[0]!.metrics.load);
    // The shards' arrivals partition the plan's: counts exact, the target is the plan's.
    expect(ml.target).toEqual(wl.target);
    expect(ml.target).toEqual({ arrivals: 155, syncsPerSecond: 31 });
    expect(sl[0].shard.arrivals + sl[1].shard.arrivals).toBe(155);
    expect(ml.achieved.completed).toBe(wl.achieved.completed);
    expect(ml.achieved.recordsStored).toBe(wl.achieved.recordsStored);
    expect(ml.ledger).toMatchObject({ digest: wl.ledger.digest, ok: true, storedOnPlatform: wl.ledger.storedOnPlatform, mismatches: 0, violations: 0 });
    // The achieved rate is the shards' added.
    expect(ml.achieved.syncsPerSecond).toBeCloseTo(sl[0].achieved.syncsPerSecond + sl[1].achieved.syncsPerSecond, 6);
    expect(ml.errors.requests).toBe(sl[0].errors.requests + sl[1].errors.requests);
    // Percentiles: the highest shard's, flagged as an upper bound.
    const upload = (l: any) => l.routes.find((r: { route: string }) => r.route === 'POST /v2/uploads');
    expect(upload(ml).p99).toBe(Math.max(upload(sl[0]).p99, upload(sl[1]).p99));
    expect(upload(ml).count).toBe(upload(sl[0]).count + upload(sl[1]).count);
    expect(b.metrics.latencyMerge).toMatch(/upper bound/);
    expect(ml.merged.notes.latency).toMatch(/upper bound/);
    expect(ml.merged.shards.map((s: { shard: number }) => s.shard)).toEqual([1, 2]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="load-data"');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('ING-1');

    // Refused, exit 2, nothing written: run and load shards mixed; shards of another seed.
    const refusals = await Promise.all([
      fleetbed(['merge', join(tmp, 'load-1of2'), join(tmp, 'run-1of2'), '--report-dir', join(tmp, 'refused-mixed')]),
      (() => {
        const other = join(tmp, 'load-2of2-other-seed');
        cpSync(join(tmp, 'load-2of2'), other, { recursive: true });
        const s = summary(other);
        s.scenarios[0]!.metrics.load.plan.seed = '7';
        writeFileSync(join(other, 'summary.json'), JSON.stringify(s));
        return fleetbed(['merge', join(tmp, 'load-1of2'), other, '--report-dir', join(tmp, 'refused-seed')]);
      })(),
    ]);
    for (const r of refusals) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/FLEETBED_MERGE_INPUT_INVALID/);
    }
    expect(refusals[0]!.stderr).toMatch(/is a load shard's report \(fleetbed load --shard\) and .* a run shard's/);
    expect(refusals[1]!.stderr).toMatch(/seed 7/);
    expect(existsSync(join(tmp, 'refused-mixed')) || existsSync(join(tmp, 'refused-seed'))).toBe(false);
  });

  it('refuses what does not split, exit 2, before anything starts', { timeout: 60_000 }, async () => {
    const [closed, findMax] = await Promise.all([fleetbed(['load', 'scenarios/load/closed.ts', '--shard', '1/2', ...FLAGS]), fleetbed(['load', PLAN, '--find-max', '--shard', '2/2', ...FLAGS])]);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toMatch(/\[FLEETBED_LOAD_SHARD_UNSUPPORTED\] --shard 1\/2: load plan closed-16 .* is a closed model/);
    expect(closed.stderr).toMatch(/Shard an open-model plan/);
    expect(findMax.code).toBe(2);
    expect(findMax.stderr).toMatch(/\[FLEETBED_LOAD_SHARD_UNSUPPORTED\] --shard 2\/2 with --find-max/);
    expect((await fleetbed(['load', '--help'])).stdout).toMatch(/^ {2}--shard I\/N /m);
  });
});
