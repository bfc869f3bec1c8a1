import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * simulators/ is pure: time comes from the virtual clock passed in, randomness
 * from the seeded generators. Any wall clock, timer or unseeded randomness in a
 * non-test file fails this test, which names file:line.
 */
const FORBIDDEN: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'Date.now()', pattern: /\bDate\s*\.\s*now\b/ },
  { name: 'new Date()', pattern: /\bnew\s+Date\b/ },
  { name: 'Date()', pattern: /(?<![.\w])Date\s*\(/ },
  { name: 'setTimeout', pattern: /\bsetTimeout\b/ },
  { name: 'setInterval', pattern: /\bsetInterval\b/ },
  { name: 'setImmediate', pattern: /\bsetImmediate\b/ },
  { name: 'performance.now()', pattern: /\bperformance\s*\.\s*now\b/ },
  { name: 'Math.random()', pattern: /\bMath\s*\.\s*random\b/ },
  { name: 'process.hrtime', pattern: /\bprocess\s*\.\s*hrtime\b/ },
  { name: 'crypto random (randomBytes, randomUUID, randomInt, getRandomValues)', pattern: /\b(randomBytes|randomUUID|randomInt|randomFillSync|getRandomValues)\b/ },
];

interface Finding {
  where: string;
  what: string;
  text: string;
}

/** Comments (line and block) blanked out, line breaks kept, so docs may discuss the rule and line numbers still match. */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  let quote: string | undefined;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i++;
    } else if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      i += 2;
      while (i < source.length && !(source[i] === '*' && source[i + 1] === '/')) out += source[i++] === '\n' ? '\n' : '';
      i += 2;
    } else {
      if (c === '"' || c === "'" || c === '`') quote = c;
      out += c;
      i++;
    }
  }
  return out;
}

/** Every forbidden use in `source`, as `name:line`. */
function scanSource(name: string, source: string): Finding[] {
  const findings: Finding[] = [];
  stripComments(source)
    .split('\n')
    .forEach((line, i) => {
      for (const f of FORBIDDEN) if (f.pattern.test(line)) findings.push({ where: `${name}:${i + 1}`, what: f.name, text: line.trim() });
    });
  return findings;
}

const ROOT = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(name) && !/\.test\.(ts|mts|js|mjs)$/.test(name) ? [p] : [];
  });
}

describe('determinism of simulators/', () => {
  it('no non-test file reads a wall clock, sets a timer or draws unseeded randomness', () => {
    const files = sourceFiles(ROOT);
    expect(files.length).toBeGreaterThan(5);
    const findings = files.flatMap((file) => scanSource(relative(join(ROOT, '..'), file), readFileSync(file, 'utf8')));
    expect(findings.map((f) => `${f.where}: ${f.what} — ${f.text}`)).toEqual([]);
  });

  it('the scanner catches each forbidden use and names file:line (self-test)', () => {
    const example = [
      'import { x } from "./x.ts";',
      'const t = Date.now();',
      '// a comment may say Math.random() freely',
      '/* and so may',
      '   a block: setTimeout(f, 1) */',
      'const r = Math.random();',
      'setTimeout(() => {}, 10);',
      'const d = new Date(0);',
      'const s = performance.now() + process.hrtime.bigint();',
      'const u = crypto.randomUUID();',
      'const ok = "a string with // no comment"; setImmediate(ok);',
    ].join('\n');
    const found = scanSource('simulators/example.ts', example).map((f) => `${f.where} ${f.what}`);
    expect(found).toEqual([
      'simulators/example.ts:2 Date.now()',
      'simulators/example.ts:6 Math.random()',
      'simulators/example.ts:7 setTimeout',
      'simulators/example.ts:8 new Date()',
      'simulators/example.ts:8 Date()',
      'simulators/example.ts:9 performance.now()',
      'simulators/example.ts:9 process.hrtime',
      'simulators/example.ts:10 crypto random (randomBytes, randomUUID, randomInt, getRandomValues)',
      'simulators/example.ts:11 setImmediate',
    ]);
  });
});
