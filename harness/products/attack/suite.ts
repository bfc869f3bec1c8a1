import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FleetbedError } from '../../../contract/fleetbed-error.ts';

/** A security suite file (scenarios/security/*.ts): which catalogue cases to run, with which seed. */
export interface AttackSuite {
  kind: 'attack-suite';
  name: string;
  description?: string;
  seed: number;
  /** 'all', or case ids / id prefixes (`tamper-`, `bola-`). */
  cases: 'all' | string[];
}

export function defineAttackSuite(s: Omit<AttackSuite, 'kind'>): AttackSuite {
  return { kind: 'attack-suite', ...s };
}

/** A security suite path that does not exist, or a file that is not a suite. Code `FLEETBED_ATTACK_SUITE_INVALID`. */
export class SuiteError extends FleetbedError {
  override readonly name: string = 'SuiteError';
  declare readonly code: 'FLEETBED_ATTACK_SUITE_INVALID';

  constructor(message: string, options?: ErrorOptions) {
    super('FLEETBED_ATTACK_SUITE_INVALID', message, options);
  }
}

export async function loadAttackSuites(path: string): Promise<AttackSuite[]> {
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? readdirSync(path).filter((f) => extname(f) === '.ts' && !f.endsWith('.test.ts')).sort().map((f) => join(path, f)) : [path];
  } catch {
    throw new SuiteError(`${path} does not exist.`);
  }
  const suites: AttackSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(resolve(f)).href)) as { default?: AttackSuite };
    if (mod.default?.kind !== 'attack-suite') throw new SuiteError(`${f} does not export default defineAttackSuite({...}).`);
    suites.push(mod.default);
  }
  return suites;
}

/** `value` (a file's default export) as a suite; throws {@link SuiteError} naming the file when it is not one. */
export function asAttackSuite(value: unknown, file: string): AttackSuite {
  const v = value as Partial<AttackSuite> | null;
  if (!v || v.kind !== 'attack-suite') throw new SuiteError(`${file} does not export default defineAttackSuite({...}).`);
  if (typeof v.name !== 'string' || !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(v.name)) throw new SuiteError(`${file}: name must be a kebab-case string, e.g. "forged-phone".`);
  if (!Number.isSafeInteger(v.seed)) throw new SuiteError(`${file}: seed must be an integer.`);
  if (v.cases !== 'all' && !(Array.isArray(v.cases) && v.cases.every((c) => typeof c === 'string'))) throw new SuiteError(`${file}: cases must be 'all' or a list of case ids and id prefixes ("tamper-").`);
  return v as AttackSuite;
}

/** Whether case `id` is selected by `sel`: an exact id, or a prefix ending in "-". */
export function caseSelected(id: string, sel: readonly string[]): boolean {
  return sel.some((s) => id === s || (s.endsWith('-') && id.startsWith(s)));
}

/** The catalogue cases the suites select, in catalogue order. */
export function casesOfSuites<C extends { id: string }>(catalogue: readonly C[], suites: readonly AttackSuite[]): C[] {
  return catalogue.filter((c) => suites.some((s) => s.cases === 'all' || caseSelected(c.id, s.cases)));
}
