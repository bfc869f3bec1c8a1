import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLedgerPart, type LedgerPart } from '../../../simulators/ledger.ts';
import { MergeError } from './errors.ts';

/** Where a shard's report directory keeps its ledger parts: `ledger/<scenario>.part`, one per fleet scenario. */
export const LEDGER_PARTS_DIR = 'ledger';

/** Write each scenario's encoded ledger part into `dir/ledger/` (each file whole or not at all); returns the folder. */
export function writeLedgerParts(dir: string, parts: ReadonlyMap<string, Uint8Array>): string {
  const out = join(dir, LEDGER_PARTS_DIR);
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of parts) {
    const file = join(out, `${name}.part`);
    writeFileSync(`${file}.tmp`, bytes);
    renameSync(`${file}.tmp`, file);
  }
  return out;
}

/** Read the ledger parts of a shard's report directory, by scenario name (none when it has no `ledger/` folder). */
export function readLedgerParts(dir: string): Map<string, LedgerPart> {
  const folder = join(dir, LEDGER_PARTS_DIR);
  const parts = new Map<string, LedgerPart>();
  if (!existsSync(folder)) return parts;
  for (const f of readdirSync(folder).filter((x) => x.endsWith('.part')).sort()) {
    const file = join(folder, f);
    try {
      parts.set(f.slice(0, -'.part'.length), decodeLedgerPart(readFileSync(file), file));
    } catch (err) {
      throw new MergeError('FLEETBED_MERGE_INPUT_INVALID', `${(err as Error).message}. Re-run that shard, or give its directory as the shard wrote it.`);
    }
  }
  return parts;
}
