import { readFileSync, writeFileSync } from 'node:fs';
import { createFleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { Ledger } from '../../../simulators/ledger.ts';
import { K6Error } from './errors.ts';

/** The per-device columns reconcileSql / reconcileApi compare, in this order in ledger.bin. */
export const LEDGER_COLUMNS = ['stored', 'storedMax', 'storedSum', 'storedContent', 'relayed', 'rejected'] as const;

/** What the manifest says about ledger.bin. */
export interface LedgerFileInfo {
  file: 'ledger.bin';
  columns: readonly string[];
  deviceCount: number;
  digest: string;
  storedRecords: number;
  storedWithoutContent: number;
}

/** Write the expected ledger's per-device columns (little-endian u32) to `path`. */
export function writeLedgerFile(ledger: Ledger, path: string): LedgerFileInfo {
  const n = ledger.fleet.deviceCount;
  const out = new Uint32Array(n * LEDGER_COLUMNS.length);
  LEDGER_COLUMNS.forEach((c, i) => out.set(ledger[c], i * n));
  writeFileSync(path, new Uint8Array(out.buffer));
  let storedRecords = 0;
  for (let d = 0; d < n; d++) storedRecords += ledger.stored[d]!;
  return { file: 'ledger.bin', columns: LEDGER_COLUMNS, deviceCount: n, digest: ledger.digest(), storedRecords, storedWithoutContent: ledger.storedWithoutContent };
}

/** Rebuild the expected ledger of an export: the same fleet (seed, size, start), its columns read back. */
export function readLedgerFile(path: string, info: LedgerFileInfo, fleet: { seed: number; devices: number; startS: number }): Ledger {
  if (info.columns.join() !== LEDGER_COLUMNS.join()) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path}: columns ${info.columns.join(', ')}, expected ${LEDGER_COLUMNS.join(', ')}`);
  if (info.storedWithoutContent !== 0) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path}: ${info.storedWithoutContent} stored records were booked without content`);
  const f = createFleet(resolveFleetOptions({ seed: fleet.seed, devices: fleet.devices }), fleet.startS);
  if (f.deviceCount !== info.deviceCount) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path}: ${info.deviceCount} devices in the ledger, the fleet of seed ${fleet.seed} has ${f.deviceCount}`);
  const bytes = readFileSync(path);
  const n = f.deviceCount;
  if (bytes.byteLength !== n * LEDGER_COLUMNS.length * 4) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `${path}: ${bytes.byteLength} bytes, expected ${n * LEDGER_COLUMNS.length * 4}`);
  const cols = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const ledger = new Ledger(f);
  LEDGER_COLUMNS.forEach((c, i) => ledger[c].set(cols.subarray(i * n, (i + 1) * n)));
  return ledger;
}
