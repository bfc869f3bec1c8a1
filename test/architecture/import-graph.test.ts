import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../support/source-files.ts';

/**
 * The one-way roads of docs/design.md ("The house"), checked over the real
 * import graph of every source file. A new folder or file is covered without
 * touching this test: a new product under harness/products/ is its own zone.
 *
 * Zones: contract, reference-api, simulators, reports, harness/core (the
 * shared machinery), harness/products/<name> (what users run: run, attack, …),
 * harness/cli, harness/public (the `fleetbed` package API), bench, scenarios,
 * test. Each zone lists the zones it may import; everything else is a road it
 * must not take.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOP = ['contract', 'reference-api', 'simulators', 'harness', 'bench', 'scenarios', 'reports', 'test'] as const;

/** The zone of a repository path, or undefined outside the source tree. */
export function zoneOf(relPath: string): string | undefined {
  const parts = relPath.split(sep).join('/').split('/');
  const [top, second, third] = parts;
  if (!(TOP as readonly string[]).includes(top ?? '')) return undefined;
  if (top !== 'harness') return top;
  if (second === 'products') return third && parts.length > 3 ? `harness/products/${third}` : 'harness/products';
  if (second === 'core' || second === 'cli') return `harness/${second}`;
  if (second === 'public.ts') return 'harness/public';
  return 'harness';
}

const MACHINERY = ['contract', 'simulators', 'reports', 'harness/core'];

/** What each zone may import (besides itself). `products/*` means any product. */
const ALLOWED: Record<string, string[]> = {
  contract: [],
  'reference-api': ['contract'],
  simulators: ['contract'],
  reports: ['contract'],
  'harness/core': ['contract', 'simulators', 'reports'],
  'harness/products/*': MACHINERY,
  'harness/cli': [...MACHINERY, 'harness/products/*'],
  'harness/public': ['harness/core', 'harness/products/*'],
  // Loose files directly under harness/ have no place: give them a zone.
  harness: [],
  bench: [...MACHINERY, 'harness/products/*'],
  scenarios: [],
  test: ['*'],
};

function allowedFor(zone: string): string[] {
  return ALLOWED[zone] ?? (zone.startsWith('harness/products/') ? ALLOWED['harness/products/*']! : []);
}

function mayImport(from: string, to: string): boolean {
  if (from === to) return true;
  return allowedFor(from).some((z) => z === '*' || z === to || (z === 'harness/products/*' && to.startsWith('harness/products/')));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

interface Violation {
  file: string;
  imports: string;
  rule: string;
}

function violations(root = ROOT): Violation[] {
  const found: Violation[] = [];
  for (const top of TOP) {
    let files: string[];
    try {
      files = sourceFiles(join(root, top));
    } catch {
      continue;
    }
    for (const file of files) {
      const rel = relative(root, file);
      const zone = zoneOf(rel)!;
      const isTest = file.endsWith('.test.ts');
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = zoneOf(relative(root, resolve(dirname(file), spec)));
          if (target === undefined || mayImport(zone, target)) continue;
          // Tests beside the code may use the shared test support and the public API; shipped code may not.
          if (isTest && (target === 'test' || target === 'harness/public')) continue;
          // Unit tests of the machinery may start a product's entry (e.g. a bench's own test).
          found.push({ file: rel, imports: spec, rule: `${zone}/ must not import ${target}/` });
        } else if (zone === 'contract' && !isTest && !/(^|\/)scripts?\//.test(rel)) {
          // contract/ is portable (k6, browsers, firmware tooling): no Node built-ins, no packages.
          found.push({ file: rel, imports: spec, rule: 'contract/ imports nothing outside contract/' });
        } else if (zone === 'scenarios' && !isTest && spec !== 'fleetbed') {
          // Scenario files are data: they import the public API only, as a platform team's would.
          found.push({ file: rel, imports: spec, rule: "scenarios/ import only 'fleetbed'" });
        }
      }
    }
  }
  return found;
}

describe('architecture: the one-way import roads of docs/design.md', () => {
  it('no source file breaks a rule', () => {
    expect(violations()).toEqual([]);
  });

  it('every folder has a zone', () => {
    expect(zoneOf('harness/core/env/embedded.ts')).toBe('harness/core');
    expect(zoneOf('harness/products/attack/cases/bola.ts')).toBe('harness/products/attack');
    expect(zoneOf('harness/products/load/plan.ts')).toBe('harness/products/load');
    expect(zoneOf('harness/public.ts')).toBe('harness/public');
    expect(zoneOf('bench/fleet.ts')).toBe('bench');
    expect(zoneOf('node_modules/x/index.js')).toBeUndefined();
  });

  it('the checker fails on a tree that breaks the rules', () => {
    // Guard against a checker that cannot fail: a scratch tree with known violations.
    const root = mkdtempSync(join(tmpdir(), 'fleetbed-arch-'));
    try {
      const write = (p: string, text: string) => {
        mkdirSync(dirname(join(root, p)), { recursive: true });
        writeFileSync(join(root, p), text);
      };
      write('harness/core/a.ts', "import { buildApp } from '../../reference-api/src/app.ts';\n");
      write('harness/core/b.ts', "import { runSuite } from '../products/run/run-suite.ts';\n");
      write('harness/products/run/run-suite.ts', "export const runSuite = 1;\n");
      write('harness/products/attack/x.ts', "import { runSuite } from '../run/run-suite.ts';\n");
      write('harness/products/attack/y.ts', "import { main } from '../../cli/main.ts';\n");
      write('harness/cli/main.ts', "import { runSuite } from '../products/run/run-suite.ts';\nexport const main = 1;\n");
      write('simulators/b.ts', "export { x } from '../harness/core/a.ts';\n");
      write('contract/c.ts', "import { createHash } from 'node:crypto';\n");
      write('reference-api/src/d.ts', "const m = await import('../../simulators/b.ts');\n");
      write('reports/r.ts', "import { x } from '../harness/core/a.ts';\n");
      write('harness/core/ok.ts', "import type { X } from '../../contract/c.ts';\nimport pg from 'pg';\n");
      write('scenarios/ci/s.ts', "import { defineScenario } from '../../harness/core/scenario/define-scenario.ts';\n");
      write('scenarios/ci/pkg.ts', "import pg from 'pg';\n");
      write('scenarios/ci/ok.ts', "import { defineScenario } from 'fleetbed';\n");
      write('bench/b.ts', "import { runSuite } from '../harness/products/run/run-suite.ts';\n");
      write('harness/core/c.ts', "import { b } from '../../bench/b.ts';\n");
      expect(violations(root).map((v) => v.rule).sort()).toEqual([
        'contract/ imports nothing outside contract/',
        'harness/core/ must not import bench/',
        'harness/core/ must not import harness/products/run/',
        'harness/core/ must not import reference-api/',
        'harness/products/attack/ must not import harness/cli/',
        'harness/products/attack/ must not import harness/products/run/',
        'reference-api/ must not import simulators/',
        'reports/ must not import harness/core/',
        "scenarios/ import only 'fleetbed'",
        'scenarios/ must not import harness/core/',
        'simulators/ must not import harness/core/',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
