import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FleetbedError } from '../../contract/fleetbed-error.ts';

/**
 * Writes `data` to `path` so that a reader sees either the old file or the
 * whole new one, never a part: the bytes go to a temporary file in the same
 * directory, are flushed to disk, then renamed over `path`.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(tmp, 'wx', 0o644);
    await file.writeFile(data, 'utf8');
    await file.sync();
    await file.close();
    file = undefined;
    await rename(tmp, path);
  } catch (err) {
    await file?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw new FleetbedError(
      'FLEETBED_REPORT_WRITE_FAILED',
      `could not write the report file ${path}: ${(err as Error).message}. Check that the report directory is writable and the disk has space.`,
      { cause: err },
    );
  }
}
