export { FLEET_RUN_DEFAULTS, runFleet, setUpFleet, type FleetRunOptions, type FleetRunResult, type FleetSetupOptions, type FleetSetupResult, type FleetSetupState } from './run-fleet.ts';
export { reconcileApi, reconcileSql, type Reconciliation } from './reconcile.ts';
export { Progress, type ProgressOptions, type ProgressSink } from './progress.ts';
export { FleetHttp, runWorkers, type HttpResult } from './http.ts';
export { FleetRunError, type FleetErrorCode } from './errors.ts';
export type { DriverStats } from './context.ts';
