import type { LoadPlan } from './types.ts';

/**
 * Declare a load plan: `export default defineLoadPlan({ name, description, arrival, ... })`.
 * Returns its argument unchanged; it exists so editors type-check the object. Validation
 * and defaults happen when `fleetbed load` loads the file, before anything starts.
 */
export function defineLoadPlan(plan: LoadPlan): LoadPlan {
  return plan;
}
