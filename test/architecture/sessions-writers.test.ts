import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../support/source-files.ts';

/**
 * Migrations 004 and 005 moved two guarantees into the upload statement
 * (reference-api/src/ingestion/store.ts): the OTA heartbeat (queued into
 * ota_heartbeat_queue, folded into ota_devices.first/last_session_at) and the
 * links of a session to its device, account and head (no foreign keys on
 * sessions). Both hold only while that statement is the one writer of sessions
 * in the platform. A second writer must write the heartbeat and the links
 * itself, and be listed here on purpose.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRITERS: Record<string, string> = {
  'reference-api/src/ingestion/store.ts': 'the upload statement: heartbeat queue insert, devices join, consumables insert',
  'bench/ota-health.ts': 'SQL seeding of a fleet for the health-gate bench: writes devices, consumables, sessions and the heartbeat itself',
};
const INSERT_SESSIONS = /INSERT\s+INTO\s+sessions\b/i;

describe('who writes sessions', () => {
  it('only the upload statement (and listed seeding code that writes the heartbeat too) inserts into sessions', () => {
    const writers = ['reference-api', 'harness', 'bench', 'simulators', 'scenarios', 'reports']
      .flatMap((area) => sourceFiles(join(ROOT, area)))
      .filter((f) => INSERT_SESSIONS.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f).split('\\').join('/'))
      .sort();
    expect(writers).toEqual(Object.keys(WRITERS).sort());
  });
});
