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
