/** Exit codes of every fleetbed command. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/** Bad usage: an unknown flag, a bad value, a scenario that does not load. Exit code 2. */
export class UsageError extends Error {
  readonly code = 'FLEETBED_USAGE';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
