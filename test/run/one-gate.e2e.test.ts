import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../harness/cli/commands/run.ts';

// One gate: a directory holding scenarios and a security suite is one `fleetbed run`, with
// one verdict, one junit.xml (the attacks as their own suite) and one exit code; a platform
// that lets an attack through fails the run with the line that replays that case.
describe('fleetbed run: scenarios and security suites in one gate', () => {
  const gate = async (extra: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetbed-gate-'));
    const lines: string[] = [];
    const code = await run(['test/run/gate-suite', '--report-dir', dir, '--quiet', '--no-fixture', ...extra], (l) => lines.push(l));
    return { code, lines, dir, junit: readFileSync(join(dir, 'junit.xml'), 'utf8'), summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) };
  };

  it('passes on the reference API: the scenario and every selected attack in one report', async () => {
    const r = await gate([]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.summary.verdict).toBe('pass');
    expect(r.summary.scenarios.map((s: { name: string }) => s.name)).toEqual(['gate-tiny']);
    expect(r.summary.attacks.length).toBeGreaterThan(3);
    expect(r.summary.attacks.every((a: { id: string }) => a.id.startsWith('bola-'))).toBe(true);
    expect(r.junit).toContain('name="gate-tiny"');
    expect(r.junit).toContain('name="attacks"');
  }, 120_000);

  it('fails when an attack gets through, and prints the line that replays that case', async () => {
    const r = await gate(['--api-entry', 'test/fixtures/bola-read-other-device.ts']);
    expect(r.code).toBe(1);
    expect(r.summary.verdict).toBe('fail');
    const through = r.summary.attacks.filter((a: { verdict: string }) => a.verdict === 'got-through');
    expect(through.length).toBeGreaterThan(0);
    const line = r.lines.find((l) => l.startsWith(`FAIL attack ${through[0].id} `));
    expect(line).toContain(`replay with: npx fleetbed attack test/run/gate-suite/attacks.ts --only ${through[0].id} --api-entry test/fixtures/bola-read-other-device.ts`);
    expect(r.junit).toMatch(/<failure/);
  }, 120_000);
});
