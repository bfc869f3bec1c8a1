import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRunReport } from '../test/reports/fixtures.ts';
import { renderSummaryJson, writeSummaryJson } from './summary-json.ts';
import { REPORT_SCHEMA_VERSION } from './types.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetbed-summary-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every field path in a JSON value, arrays as `[]`: `scenarios[].invariants[].witnesses[].seq`. */
function paths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => paths(v, `${prefix}[]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const p = prefix ? `${prefix}.${k}` : k;
      // Keys of blastRadius (policy names), headers and bodies are data, not fields.
      return /\.ota\.blastRadius$|\.(headers|body)$/.test(p) ? [p] : [p, ...paths(v, p)];
    });
  }
  return [];
}

describe('summary.json', () => {
  it('is the report, pretty-printed, versioned, ending in a newline', async () => {
    const report = makeRunReport({ failing: true });
    const path = await writeSummaryJson(dir, report);
    expect(path).toBe(join(dir, 'summary.json'));
    const text = await readFile(path, 'utf8');
    expect(text).toBe(renderSummaryJson(report));
    expect(text.startsWith('{\n  "schemaVersion": 1,\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(text);
    expect(parsed).toEqual(report);
    expect(parsed.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    for (const key of ['seed', 'commit', 'ledgerDigest', 'verdict', 'scenarios']) expect(parsed).toHaveProperty(key);
    expect(parsed.scenarios[2].metrics.ota.blastRadius).toEqual({ 'health-gate': 312, 'transfer-success': 19874 });
    expect(parsed.attacks[1]).toMatchObject({ id: 'bola-list-other-sessions', class: 'API1:2023', verdict: 'got-through', stateUnchanged: true });
  });

  it('replaces an existing file whole and leaves no temporary file behind', async () => {
    await writeFile(join(dir, 'summary.json'), 'old and partial {');
    await writeSummaryJson(dir, makeRunReport());
    expect(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')).verdict).toBe('pass');
    expect(await readdir(dir)).toEqual(['summary.json']);
  });

  it('fails with a coded error naming the file when the directory is missing', async () => {
    const missing = join(dir, 'nope');
    await expect(writeSummaryJson(missing, makeRunReport())).rejects.toMatchObject({ code: 'FLEETBED_REPORT_WRITE_FAILED', message: expect.stringContaining(join(missing, 'summary.json')) });
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes a value that could not be measured as null', () => {
    const report = makeRunReport();
    report.scenarios[0]!.thresholds[0]!.actual = NaN;
    expect(JSON.parse(renderSummaryJson(report)).scenarios[0].thresholds[0].actual).toBeNull();
  });

  it('SUMMARY.md documents every field a full report has', async () => {
    const doc = await readFile(new URL('./SUMMARY.md', import.meta.url), 'utf8');
    const report = makeRunReport({ failing: true });
    // The fixture's extra metrics are examples of additive keys, not schema.
    const extra = new Set(['scenarios[].metrics.responsesDropped', 'scenarios[].metrics.ota.haltedAfterSeconds', 'scenarios[].metrics.ota.canaryCohort']);
    const undocumented = [...new Set(paths(report))].filter((p) => !extra.has(p) && !doc.includes(`| \`${p}\` |`));
    expect(undocumented).toEqual([]);
    expect(doc).toContain(`schema version ${REPORT_SCHEMA_VERSION}`);
  });
});
