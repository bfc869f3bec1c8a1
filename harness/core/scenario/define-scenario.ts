import type { Scenario } from './types.ts';

/**
 * Declare a scenario: `export default defineScenario({ name, description, ... })`.
 * Returns its argument unchanged; it exists so editors type-check the object (and flag
 * misspelt fields). Validation and defaults happen when the harness loads the file.
 */
export function defineScenario(scenario: Scenario): Scenario {
  return scenario;
}
