import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The one-way roads of DESIGN.md, checked over the real import graph of every
 * source file. A new folder or file is covered without touching this test.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const AREAS = ['contract', 'reference-api', 'simulators', 'harness', 'scenarios', 'reports', 'test'] as const;
type Area = (typeof AREAS)[number];

const FORBIDDEN: Record<Area, Area[]> = {
  contract: ['reference-api', 'simulators', 'harness', 'scenarios', 'reports', 'test'],
  'reference-api': ['simulators', 'harness', 'scenarios', 'reports', 'test'],
  simulators: ['reference-api', 'harness', 'scenarios', 'reports', 'test'],
  harness: ['reference-api', 'test'],
  scenarios: ['reference-api', 'test'],
  reports: ['reference-api', 'simulators', 'test'],
  test: [],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'out' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function areaOf(absPath: string, root = ROOT): Area | undefined {
  const first = relative(root, absPath).split(sep)[0];
  return (AREAS as readonly string[]).includes(first ?? '') ? (first as Area) : undefined;
}

interface Violation {
  file: string;
  imports: string;
  rule: string;
}

function violations(root = ROOT): Violation[] {
  const found: Violation[] = [];
  for (const area of AREAS) {
    let files: string[];
    try {
      files = sourceFiles(join(root, area));
    } catch {
      continue;
    }
    for (const file of files) {
      for (const spec of importsOf(file)) {
        const rel = relative(root, file);
        if (spec.startsWith('.')) {
          const target = areaOf(resolve(dirname(file), spec), root);
          // Tests beside the code may use the shared test support; shipped code may not.
          const testToSupport = target === 'test' && file.endsWith('.test.ts');
          if (target && target !== area && FORBIDDEN[area].includes(target) && !testToSupport) {
            found.push({ file: rel, imports: spec, rule: `${area}/ must not import ${target}/` });
          }
        } else if (area === 'contract' && !file.endsWith('.test.ts') && !/(^|\/)scripts?\//.test(rel)) {
          // contract/ is portable (k6, browsers, firmware tooling): no Node built-ins, no packages.
          found.push({ file: rel, imports: spec, rule: 'contract/ imports nothing outside contract/' });
        }
      }
    }
  }
  return found;
}

describe('architecture: the one-way import roads of DESIGN.md', () => {
  it('no source file breaks a rule', () => {
    expect(violations()).toEqual([]);
  });

  it('the checker fails on a tree that breaks the rules', () => {
    // Guard against a checker that cannot fail: a scratch tree with known violations.
    const root = mkdtempSync(join(tmpdir(), 'fleetbed-arch-'));
    try {
      const write = (p: string, text: string) => {
        mkdirSync(dirname(join(root, p)), { recursive: true });
        writeFileSync(join(root, p), text);
      };
      write('harness/a.ts', "import { buildApp } from '../reference-api/src/app.ts';\n");
      write('simulators/b.ts', "export { x } from '../harness/a.ts';\n");
      write('contract/c.ts', "import { createHash } from 'node:crypto';\n");
      write('reference-api/src/d.ts', "const m = await import('../../simulators/b.ts');\n");
      write('harness/ok.ts', "import type { X } from '../contract/c.ts';\nimport pg from 'pg';\n");
      expect(violations(root).map((v) => v.rule).sort()).toEqual([
        'contract/ imports nothing outside contract/',
        'harness/ must not import reference-api/',
        'reference-api/ must not import simulators/',
        'simulators/ must not import harness/',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
