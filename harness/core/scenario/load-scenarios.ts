import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { ScenarioError } from './errors.ts';
import { resolveScenario } from './resolve-scenario.ts';
import type { ResolvedScenario } from './types.ts';

/** Extensions of scenario files. */
export const SCENARIO_EXTENSIONS = Object.freeze(['.ts', '.mts', '.json', '.yaml', '.yml']);

/** Options of {@link loadScenarios}. */
export interface LoadScenariosOptions {
  /** Paths in messages and in `scenario.file` are relative to this directory. Default: `process.cwd()`. */
  cwd?: string;
  /**
   * Collect security suites here instead of refusing them: a `.ts` file whose default export
   * is `defineAttackSuite({...})` (`kind: 'attack-suite'`) is pushed with its path, so one
   * directory can hold a release gate's scenarios and its attack suites (`fleetbed run`).
   */
  attackSuites?: Array<{ file: string; suite: unknown }>;
}

/**
 * Load, validate and resolve scenarios from a file or a directory.
 *
 * A file: `.ts`/`.mts` (its default export, usually `defineScenario({...})`), `.json`,
 * `.yaml`/`.yml`. A directory: every such file under it, recursively, except `*.test.ts`,
 * `*.d.ts` and names starting with `.` or `_` (shared helpers). Sorted by path. Two
 * scenarios with one name are an error.
 *
 * Throws {@link ScenarioError} (`FLEETBED_SCENARIO_INVALID`) naming the file, and the
 * line and column of a parse error where the parser gives them.
 */
export async function loadScenarios(pathOrDir: string, options: LoadScenariosOptions = {}): Promise<ResolvedScenario[]> {
  const cwd = options.cwd ?? process.cwd();
  const abs = resolve(cwd, pathOrDir);
  const shown = display(cwd, abs);
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new ScenarioError(`${shown}: no such file or directory`, { file: shown });
  let files: string[];
  if (info.isDirectory()) {
    files = (await scenarioFilesUnder(abs)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (files.length === 0) throw new ScenarioError(`${shown}: no scenario files (${SCENARIO_EXTENSIONS.join(', ')}) under this directory`, { file: shown });
  } else {
    files = [abs];
  }
  const scenarios: ResolvedScenario[] = [];
  const byName = new Map<string, string>();
  for (const file of files) {
    if (options.attackSuites && /\.m?ts$/i.test(file)) {
      const value = await importDefault(file, display(cwd, file));
      if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'attack-suite') {
        options.attackSuites.push({ file: display(cwd, file), suite: value });
        continue;
      }
    }
    const scenario = await loadScenarioFile(file, { cwd });
    const other = byName.get(scenario.name);
    if (other !== undefined) {
      throw new ScenarioError(`${scenario.file}: name ${JSON.stringify(scenario.name)} is already used by ${other}; scenario names must be unique in a suite`, {
        file: scenario.file,
        field: 'name',
        value: scenario.name,
        expected: 'a name no other scenario of the suite uses',
      });
    }
    byName.set(scenario.name, scenario.file);
    scenarios.push(scenario);
  }
  return scenarios;
}

/** Load and resolve one scenario file (any of {@link SCENARIO_EXTENSIONS}). */
export async function loadScenarioFile(file: string, options: LoadScenariosOptions = {}): Promise<ResolvedScenario> {
  const cwd = options.cwd ?? process.cwd();
  const abs = resolve(cwd, file);
  const shown = display(cwd, abs);
  return resolveScenario(await readScenarioFile(abs, shown), shown);
}

async function readScenarioFile(abs: string, shown: string): Promise<unknown> {
  const ext = extname(abs).toLowerCase();
  if (ext === '.ts' || ext === '.mts') return importDefault(abs, shown);
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ScenarioError(`${shown}: not a scenario file; expected one of ${SCENARIO_EXTENSIONS.join(', ')}`, { file: shown });
  }
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ScenarioError(`${shown}: cannot be read (${(err as Error).message})`, { file: shown }, { cause: err });
  }
  return ext === '.json' ? parseJson(text, shown) : parseYaml(text, shown);
}

async function importDefault(abs: string, shown: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    const hint = loadErrorHint(err, shown);
    if (hint) throw new ScenarioError(hint, { file: shown }, { cause: err });
    const { what, where } = describeLoadError(err, abs);
    throw new ScenarioError(`${shown}${where ? `:${where.line}:${where.column}` : ''}: does not load: ${what}`, { file: shown, ...where }, { cause: err });
  }
  if (!('default' in mod) || mod.default === undefined) {
    throw new ScenarioError(`${shown}: has no default export; write \`export default defineScenario({ name, description, ... })\``, { file: shown });
  }
  return mod.default;
}

function parseJson(text: string, shown: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = (err as Error).message;
    const m = /at position (\d+)/.exec(message);
    const offset = m ? Number(m[1]) : /Unexpected end of JSON input/.test(message) ? text.length : undefined;
    const where = offset === undefined ? undefined : lineColumn(text, offset);
    throw new ScenarioError(`${shown}${where ? `:${where.line}:${where.column}` : ''}: is not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`, { file: shown, ...where }, { cause: err });
  }
}

function parseYaml(text: string, shown: string): unknown {
  const doc = parseDocument(text, { intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? lineColumn(text, error.pos[0]);
    const line = pos.line;
    const column = 'col' in pos ? pos.col : pos.column;
    const what = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ScenarioError(`${shown}:${line}:${column}: is not valid YAML: ${what}`, { file: shown, line, column }, { cause: error });
  }
  return smallIntsAsNumbers(doc.toJS());
}

/** YAML integers arrive as bigints (so a u64 seed keeps its digits); those that fit a double exactly become numbers. */
function smallIntsAsNumbers(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(smallIntsAsNumbers);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, smallIntsAsNumbers(x)]));
  return v;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * The message for the two load failures a scenario outside a fleetbed project meets when
 * the module hooks of harness/core/scenario/loader-hooks.mjs are not registered (the
 * `fleetbed` command registers them; a program calling {@link loadScenarios} may not).
 */
function loadErrorHint(err: unknown, shown: string): string | undefined {
  const e = err as { code?: unknown; message?: unknown };
  const message = String(e?.message ?? '');
  if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && /Cannot find (?:package|module) 'fleetbed'/.test(message)) {
    return `${shown}: imports 'fleetbed' but no fleetbed package is reachable from its folder: run \`npm i -D fleetbed\` in that project, or put the file inside a project that depends on fleetbed (or run it with the fleetbed command, which supplies its own)`;
  }
  if (e?.code === 'ERR_REQUIRE_CYCLE_MODULE') {
    return `${shown}: was loaded as CommonJS, but scenario files are ES modules: add "type": "module" to the package.json of its project, or name it .mts (or run it with the fleetbed command, which loads it as an ES module)`;
  }
  return undefined;
}

/**
 * What went wrong loading a module, and where (1-based line and column) when the error
 * says: esbuild's `file:line:col: ERROR: text` (tsx, column 0-based), vite/oxc's
 * `[PARSE_ERROR] text … file:line:col`, or the first stack frame in the file.
 */
function describeLoadError(err: unknown, abs: string): { what: string; where: { line: number; column: number } | undefined } {
  const e = err as { message?: unknown; stack?: unknown };
  const message = String(e?.message ?? err).replace(/\u001b\[[0-9;]*m/g, '');
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const esbuild = /:(\d+):(\d+): ERROR: (.*)$/.exec(lines.find((l) => l.includes(': ERROR: ')) ?? '');
  if (esbuild) return { what: esbuild[3]!, where: { line: Number(esbuild[1]), column: Number(esbuild[2]) + 1 } };
  const parse = /^\[[A-Z_]+\]\s*(.*)$/.exec(lines.find((l) => /^\[[A-Z_]+\]/.test(l)) ?? '');
  const what = parse?.[1] ?? lines.find((l) => !/^Transform failed/.test(l)) ?? 'unknown error';
  const file = escape(basename(abs));
  const at = new RegExp(`(?:^|[\\s\\[(/])${file}:(\\d+):(\\d+)`).exec(`${message}\n${String(e?.stack ?? '')}`);
  return { what, where: at ? { line: Number(at[1]), column: Number(at[2]) } : undefined };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function scenarioFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_') || entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await scenarioFilesUnder(p)));
    else if (entry.isFile() && SCENARIO_EXTENSIONS.includes(extname(entry.name).toLowerCase()) && !/\.(test|spec)\.m?ts$|\.d\.m?ts$/.test(entry.name)) out.push(p);
  }
  return out;
}

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' ? '.' : rel.startsWith('../..') || isAbsolute(rel) ? abs : rel.split(sep).join('/');
}
