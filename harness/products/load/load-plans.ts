import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ScenarioError } from '../../core/scenario/errors.ts';
import { resolveLoadPlan } from './resolve-load-plan.ts';
import type { ResolvedLoadPlan } from './types.ts';

const EXTENSIONS = ['.ts', '.mts', '.json'];

/**
 * Load and validate load plans from a file or a directory (every `.ts`, `.mts`, `.json`
 * under it but tests and names starting with `_` or `.`), sorted by path. Throws
 * {@link ScenarioError} (`FLEETBED_SCENARIO_INVALID`, exit 2) naming the file, and every
 * field mistake at once, before anything starts.
 */
export async function loadLoadPlans(pathOrDir: string, cwd = process.cwd()): Promise<ResolvedLoadPlan[]> {
  const abs = resolve(cwd, pathOrDir);
  const shown = relative(cwd, abs) || '.';
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new ScenarioError(`${shown}: no such file or directory`, { file: shown });
  const files = info.isDirectory() ? (await readdir(abs)).filter((n) => EXTENSIONS.includes(extname(n)) && !/^[._]/.test(n) && !/\.test\.m?ts$/.test(n)).sort().map((n) => join(abs, n)) : [abs];
  if (files.length === 0) throw new ScenarioError(`${shown}: no load plans (${EXTENSIONS.join(', ')}) in this directory`, { file: shown });
  const plans: ResolvedLoadPlan[] = [];
  for (const file of files) {
    const rel = relative(cwd, file);
    let raw: unknown;
    if (extname(file) === '.json') {
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new ScenarioError(`${rel}: is not valid JSON: ${(err as Error).message}`, { file: rel }, { cause: err });
      }
    } else {
      try {
        raw = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
      } catch (err) {
        throw new ScenarioError(`${rel}: does not load: ${(err as Error).message.split('\n')[0]}`, { file: rel }, { cause: err });
      }
      if (raw === undefined) throw new ScenarioError(`${rel}: has no default export; write \`export default defineLoadPlan({ name, description, arrival, ... })\``, { file: rel });
    }
    plans.push(resolveLoadPlan(raw, rel));
  }
  return plans;
}
