import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRunReport } from '../test/reports/fixtures.ts';
import { DEFAULT_REPORTERS, REPORTERS, resolveReporters } from './registry.ts';
import { defaultReportDir, writeReports } from './write-reports.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetbed-reports-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('creates the directory and writes summary.json, junit.xml and report.html, returning their paths', async () => {
    const out = join(dir, 'reports', 'out', 'run-1');
    const report = makeRunReport({ failing: true });
    const paths = await writeReports(out, report);
    expect(paths).toEqual({ json: join(out, 'summary.json'), junit: join(out, 'junit.xml'), html: join(out, 'report.html') });
    expect((await readdir(out)).sort()).toEqual(['junit.xml', 'report.html', 'summary.json']);
    for (const name of DEFAULT_REPORTERS) expect(await readFile(paths[name]!, 'utf8')).toBe(REPORTERS[name].render(report));
  });

  it('writes only the reporters named, once each', async () => {
    expect(await writeReports(dir, makeRunReport(), ['junit', 'junit'])).toEqual({ junit: join(dir, 'junit.xml') });
    expect(await readdir(dir)).toEqual(['junit.xml']);
  });

  it('refuses an unknown reporter before creating or writing anything', async () => {
    const out = join(dir, 'new');
    await expect(writeReports(out, makeRunReport(), ['json', 'pdf'])).rejects.toMatchObject({
      code: 'FLEETBED_REPORTER_INVALID',
      message: 'unknown reporter "pdf": expected one of json, junit, html.',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('every reporter has a name, a file and a description', () => {
    expect(Object.keys(REPORTERS)).toEqual(['json', 'junit', 'html']);
    for (const [key, r] of Object.entries(REPORTERS)) {
      expect(r.name).toBe(key);
      expect(r.fileName).toMatch(/^[a-z]+\.(json|xml|html)$/);
      expect(r.description.length).toBeGreaterThan(10);
    }
    expect(resolveReporters(['html', 'json']).map((r) => r.name)).toEqual(['html', 'json']);
    expect(() => resolveReporters(['__proto__'])).toThrow(/unknown reporter/);
  });
});

describe('defaultReportDir', () => {
  it('is reports/out/<run-id>, relative to the root given', () => {
    expect(defaultReportDir('20261127T105301Z-7f3a')).toBe(join('reports', 'out', '20261127T105301Z-7f3a'));
    expect(defaultReportDir('r1', '/repo')).toBe('/repo/reports/out/r1');
  });

  it('refuses a run id that is not one safe path segment', () => {
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a..b', 'a\\b']) {
      expect(() => defaultReportDir(bad), bad).toThrow(expect.objectContaining({ code: 'FLEETBED_REPORT_RUN_ID_INVALID' }));
    }
  });
});
