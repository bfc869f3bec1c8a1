import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, EXIT_CLASSES, isErrorCode } from './error-codes.ts';
import { sourceFiles } from '../test/support/source-files.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where fleetbed's own errors are raised. (reference-api/ has its own problem catalogue; test/ asserts its codes.) */
const SCANNED = ['contract', 'simulators', 'reports', 'harness', 'bench'];
const CATALOGUE_FILE = join('contract', 'error-codes.ts');
const CODE_LIKE = /^FLEETBED_[A-Z0-9_]+$/;

/**
 * `FLEETBED_*` names that are environment variables, not error codes, and appear in the
 * scanned source as whole string literals (an env variable written as a property key or
 * `process.env.X` is an identifier, not a literal, and needs no entry here).
 */
const ENV_VARIABLES: readonly string[] = ['FLEETBED_FACTORY_SECRET'];

interface Literal {
  code: string;
  /** `file:line`, relative to the repository. */
  at: string;
  test: boolean;
  /** In a type (`type X = 'FLEETBED_…'`), not a value. */
  inType: boolean;
  /** Raised: an argument of `new X(…)`, `super(…)` or another call, or the value of a `code` property. */
  raised: boolean;
}

/** The node an expression's value flows to, through parentheses, `a ? b : c`, `a ?? b`, `a || b`. */
function consumer(node: ts.Node): ts.Node {
  let n = node;
  while (
    ts.isParenthesizedExpression(n.parent) ||
    (ts.isConditionalExpression(n.parent) && n !== n.parent.condition) ||
    (ts.isBinaryExpression(n.parent) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(n.parent.operatorToken.kind))
  ) {
    n = n.parent;
  }
  return n;
}

function isRaised(node: ts.Node): boolean {
  const n = consumer(node);
  const p = n.parent;
  if ((ts.isNewExpression(p) || ts.isCallExpression(p)) && p.arguments?.some((a) => a === n)) return true;
  if ((ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p)) && p.initializer === n && p.name.getText() === 'code') return true;
  return false;
}

/** The literal's statement is under `// @ts-expect-error`: the compiler proves it is not a code (tests of the check do this). */
function isExpectedTypeError(node: ts.Node, text: string): boolean {
  let n: ts.Node = node;
  while (!ts.isStatement(n) && n.parent) n = n.parent;
  return (ts.getLeadingCommentRanges(text, n.getFullStart()) ?? []).some((c) => text.slice(c.pos, c.end).includes('@ts-expect-error'));
}

function isInType(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isTypeNode(n)) return true;
    if (ts.isStatement(n) || ts.isExpression(n)) return false;
  }
  return false;
}

/** Every whole string literal `'FLEETBED_…'` in the scanned source, with where and how it is used. */
function scanLiterals(): Literal[] {
  const found: Literal[] = [];
  for (const top of SCANNED) {
    for (const file of sourceFiles(join(ROOT, top))) {
      const rel = relative(ROOT, file);
      if (rel === CATALOGUE_FILE) continue;
      const text = readFileSync(file, 'utf8');
      if (!text.includes('FLEETBED_')) continue;
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.ts') || file.endsWith('.mts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
      const visit = (node: ts.Node): void => {
        if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && CODE_LIKE.test(node.text) && !isExpectedTypeError(node, text)) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push({ code: node.text, at: `${rel.split(sep).join('/')}:${line}`, test: /\.test\.ts$/.test(file), inType: isInType(node), raised: isRaised(node) });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return found;
}

/** Classes of the scanned source that extend a built-in error instead of FleetbedError (contract/ excepted: its decode errors are the contract's own). */
function classesExtendingBuiltInErrors(): string[] {
  const builtIn = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AggregateError']);
  const found: string[] = [];
  for (const top of SCANNED.filter((t) => t !== 'contract')) {
    for (const file of sourceFiles(join(ROOT, top))) {
      if (/\.test\.ts$/.test(file)) continue;
      const text = readFileSync(file, 'utf8');
      if (!/\bextends\b/.test(text)) continue;
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isClassLike(node)) {
          const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression.getText(source);
          if (base && builtIn.has(base)) found.push(`${relative(ROOT, file).split(sep).join('/')}: class ${node.name?.getText(source) ?? '(anonymous)'} extends ${base}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return found;
}

describe('the error catalogue', () => {
  it('is frozen, entries too, keyed by FLEETBED_* codes', () => {
    expect(Object.isFrozen(ERROR_CATALOGUE)).toBe(true);
    for (const code of ERROR_CODES) {
      expect(code).toMatch(CODE_LIKE);
      expect(Object.isFrozen(ERROR_CATALOGUE[code]), code).toBe(true);
    }
    expect(ERROR_CODES).toEqual(Object.keys(ERROR_CATALOGUE));
    expect(isErrorCode('FLEETBED_USAGE')).toBe(true);
    expect(isErrorCode('FLEETBED_' + 'NO_SUCH_CODE')).toBe(false); // spelt in two, so that the scan below does not see it
    expect(isErrorCode('toString')).toBe(false);
  });

  it('gives every code a meaning, a known exit class and a fix', () => {
    const bad = ERROR_CODES.filter((code) => {
      const { meaning, exit, fix } = ERROR_CATALOGUE[code];
      return typeof meaning !== 'string' || meaning.trim().length < 10 || typeof fix !== 'string' || fix.trim().length < 10 || !EXIT_CLASSES.includes(exit);
    });
    expect(bad, 'entries with an empty meaning or fix, or an exit class other than ' + EXIT_CLASSES.join(', ')).toEqual([]);
  });
});

describe('the catalogue against the source', () => {
  const literals = scanLiterals();

  it('has every FLEETBED_* code literal of contract/, simulators/, reports/, harness/ and bench/ (tests included)', () => {
    const unknown = literals.filter((l) => !isErrorCode(l.code) && !ENV_VARIABLES.includes(l.code)).map((l) => `${l.at}: ${l.code}`);
    expect(unknown, 'codes not in contract/error-codes.ts: add an entry (meaning, exit, fix), or list an env variable in ENV_VARIABLES').toEqual([]);
  });

  it('has no code that nothing raises (a code is raised when shipped code passes it to new X(…)/super(…) or sets `code` to it)', () => {
    const raised = new Set(literals.filter((l) => l.raised && !l.test && !l.inType).map((l) => l.code));
    expect(ERROR_CODES.filter((code) => !raised.has(code)), 'catalogue codes nothing raises: remove them from contract/error-codes.ts').toEqual([]);
  });

  it('lists as env variables only names that are in the source and are not codes', () => {
    const seen = new Set(literals.map((l) => l.code));
    for (const name of ENV_VARIABLES) {
      expect(isErrorCode(name), `${name} is both an env variable and a code`).toBe(false);
      expect(seen.has(name), `${name} is listed as an env variable literal but appears nowhere: drop it`).toBe(true);
    }
  });

  it('scans what it must: the raise sites of the codes it knows are found', () => {
    const sites = (code: string) => literals.filter((l) => l.code === code && l.raised && !l.test).map((l) => l.at.replace(/:\d+$/, ''));
    expect(sites('FLEETBED_ENV_TIMEOUT')).toContain('harness/core/env/_internals/api-process.ts'); // inside `a ? b : c`
    expect(sites('FLEETBED_SCENARIO_INVALID')).toContain('harness/core/scenario/errors.ts'); // super(…)
    expect(sites('FLEETBED_SEED_INVALID')).toContain('simulators/seed.ts'); // new X(…)
    expect(sites('FLEETBED_REPORTER_INVALID')).toContain('reports/registry.ts');
    expect(literals.some((l) => l.inType && l.code === 'FLEETBED_ENV_NO_DOCKER')).toBe(true);
  });

  it('every error class of simulators/, reports/, harness/ and bench/ extends FleetbedError (directly or through another)', () => {
    expect(classesExtendingBuiltInErrors()).toEqual([]);
  });
});
