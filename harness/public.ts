/**
 * The public API of fleetbed for scenario files (the `fleetbed` package name maps here):
 *
 * ```ts
 * import { defineScenario } from 'fleetbed';
 * export default defineScenario({ name: 'late-uploads', description: '…', duration: '3d' });
 * ```
 *
 * Scenario files import only this module, never harness internals.
 */
export { defineScenario } from './scenario/define-scenario.ts';
export { SCENARIO_DEFAULTS } from './scenario/defaults.ts';
export { INVARIANTS, type InvariantId } from './scenario/invariants.ts';
export type { Scenario, ResolvedScenario, ResolvedFault, Behaviour, ProductMix, FaultInput, FaultKind, RestartFaultKind, ProxyFaultKind, RequestMatch, EnvHints } from './scenario/types.ts';
export type { Duration, DayTime } from './scenario/duration.ts';
export type { SeedInput } from './scenario/seed.ts';
