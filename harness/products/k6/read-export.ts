import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K6Error } from './errors.ts';
import { K6_EXPORT_VERSION, type K6Manifest } from './export-k6.ts';

/** Read and check fleetbed-k6.json of an export directory. */
export function readExport(dir: string): K6Manifest {
  const path = join(dir, 'fleetbed-k6.json');
  if (!existsSync(path)) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path} does not exist: --from must name a directory written by fleetbed k6 export`);
  let m: K6Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as K6Manifest;
  } catch (error) {
    throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path} is not JSON: ${(error as Error).message}`);
  }
  if (m.version !== K6_EXPORT_VERSION) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path}: format version ${String(m.version)}, this fleetbed reads ${K6_EXPORT_VERSION}`);
  return m;
}
