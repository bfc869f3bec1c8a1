/**
 * The public API of fleetbed for scenario files (the `fleetbed` package name maps here):
 *
 * ```ts
 * import { defineScenario } from 'fleetbed';
 * export default defineScenario({ name: 'late-uploads', description: '…', duration: '3d' });
 * ```
 *
 * Scenario files import only this module, never harness internals. A project gets it
 * with `npm i -D fleetbed`; a scenario file in a folder of no such project still loads
 * when the `fleetbed` command runs it, `'fleetbed'` then naming the command's own copy
 * (harness/core/scenario/loader-hooks.mjs).
 */
export { defineScenario } from './core/scenario/define-scenario.ts';
export { SCENARIO_DEFAULTS } from './core/scenario/defaults.ts';
export { INVARIANTS, type InvariantId } from './core/scenario/invariants.ts';
export type { Scenario, ResolvedScenario, ResolvedFault, Behaviour, ProductMix, FaultInput, FaultKind, RestartFaultKind, ProxyFaultKind, RequestMatch, EnvHints } from './core/scenario/types.ts';
export type { Duration, DayTime } from './core/scenario/duration.ts';
export type { SeedInput } from './core/scenario/seed.ts';
export { defineAttackSuite, type AttackSuite } from './products/attack/suite.ts';
export { defineLoadPlan } from './products/load/define-load-plan.ts';
export type { LoadPlan, ArrivalInput } from './products/load/types.ts';
