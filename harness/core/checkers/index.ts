export { CHECKERS } from './checkers.ts';
export { NOT_IMPLEMENTED, runCheckers } from './run-checkers.ts';
export { snapshotEvents, type EventSnapshot, type SnapshotOptions } from './snapshot-events.ts';
export { runCareQueries, CARE_PROBE_DEFAULTS, type CareProbeOptions, type CareProbeResult } from './care-probe.ts';
export { runTokenLifecycleProbe } from './lifecycle-probe.ts';
export { MAX_WITNESSES, skipped, verdictOf, type CheckContext, type Checker } from './types.ts';
