/**
 * The invariant catalogue of docs/design.md: stable ids and their one-line statements. The
 * checkers report under these ids; scenarios select from them.
 */
export const INVARIANTS = Object.freeze({
  'ING-1': 'exactly once: every record a device produced and a phone relayed is stored exactly once; nothing else is stored',
  'ING-2': 'append-only: stored events are never updated or deleted',
  'ING-3': 'idempotent retries: same key and body give the same response and write nothing; same key, other body gives 409',
  'ING-4': 'late data inside the window is accepted and ordered by device time; outside it, an explicit rejection',
  'ING-5': 'per-record verdicts: one bad record in a batch does not lose the good ones',
  'AUTH-1': 'every stored record verifies under the key of the device it is attributed to',
  'AUTH-2': 'a phone token reaches only devices bonded to its account (no BOLA)',
  'AUTH-3': 'ownership changes only with a fresh device-signed button-press proof',
  'AUTH-4': 'every attack request is refused (4xx) and changes no state',
  'AUTH-5': 'lifecycle rules hold by their effect: a replayed refresh token kills every token of its family and no other; a revoked consent stops the provider reading',
  'OTA-1': 'no device boots an image that fails signature or hash verification',
  'OTA-2': 'no downgrade below the anti-rollback counter',
  'OTA-3': "a stage never exceeds its cohort before the previous stage's health gate passes",
  'OTA-4': 'a halted rollout makes no new offers',
  'OTA-5': 'blast radius: devices that took a bad image stay within the canary cohort',
  'OTA-6': 'boot-looping images are rolled back by the boot counter within its limit',
  'OTA-7': 'a quietly-bricking image is halted within the configured time after onset',
  'LEG-1': 'every legacy upload is dual-written, equal in content on both sides',
  'LEG-2': 'nightly reconciliation finds every divergence, and none on clean data',
  'LEG-3': 'reads cut over only after N consecutive clean days',
  'LEG-4': 'a legacy path never writes what the v2 path would refuse (no auth downgrade through an old API, before or after cutover)',
  'PRIV-1': 'telemetry tables hold no direct identifiers',
  'PRIV-2': 'every identity-telemetry join writes an audit row',
} as const);

/** A stable invariant id: `ING-1`, `AUTH-2`, `PRIV-1`, … */
export type InvariantId = keyof typeof INVARIANTS;

/** Every id of the catalogue, in catalogue order. */
export const INVARIANT_IDS: readonly InvariantId[] = Object.freeze(Object.keys(INVARIANTS) as InvariantId[]);

/**
 * The invariants `fleetbed run` checks: what `invariants: 'all'` (the default) selects.
 * The others belong to the OTA, legacy and attack suites.
 */
export const RUN_INVARIANTS: readonly InvariantId[] = Object.freeze([
  'ING-1', 'ING-2', 'ING-3', 'ING-4', 'ING-5', 'AUTH-1', 'AUTH-2', 'AUTH-3', 'AUTH-5', 'PRIV-1', 'PRIV-2',
] as const satisfies readonly InvariantId[]);
