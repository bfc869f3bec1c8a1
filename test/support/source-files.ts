import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every source file (.ts, .mts, .mjs, .js) below `dir`, skipping node_modules,
 * report output (`out/`) and dot folders: what the tests that scan the code
 * (import roads, error codes, who writes sessions) read.
 */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'out' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}
