import { checkFieldsFor, environmentKindOf } from './options.ts';
import type { EnvironmentOptions, LooseEnvironmentOptions } from './types.ts';

/**
 * Check environment options built from untyped input (CLI flags, JSON) and return them typed:
 * `env` must name a provider, and every field given must be one that provider takes. This is
 * the run-time twin of the compile-time check that {@link EnvironmentOptions} makes, so
 * `--target-url` with `--env containers` is a usage error (exit 2) before anything starts.
 *
 * @throws `FLEETBED_ENV_BAD_CONFIG` naming the field, its flag and what to use instead.
 * @example
 * const options = checkEnvironmentOptions({ env: flags.env, targetUrl: flags['target-url'] });
 * await using env = await resolveEnvironment(options).start();
 */
export function checkEnvironmentOptions(options: LooseEnvironmentOptions): EnvironmentOptions {
  checkFieldsFor(environmentKindOf(options), options);
  return options as EnvironmentOptions;
}
