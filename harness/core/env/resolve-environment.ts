import { ContainersEnvironment } from './containers.ts';
import { EmbeddedEnvironment } from './embedded.ts';
import { EnvironmentError } from './errors.ts';
import { ENV_DEFAULTS, ENVIRONMENT_KINDS } from './options.ts';
import type { Environment, EnvironmentKind, EnvironmentOptions } from './types.ts';
import { UrlEnvironment } from './url.ts';

/**
 * Choose and configure an environment (nothing starts until `start()`):
 * an explicit `env` wins; otherwise `targetUrl` or `DATABASE_URL` selects `url`;
 * otherwise `embedded`. An unknown `env` or an invalid option throws `FLEETBED_ENV_BAD_CONFIG`.
 */
export function resolveEnvironment(options: EnvironmentOptions = {}): Environment {
  const processEnv = options.processEnv ?? process.env;
  const { env, ...rest } = options;
  if (env !== undefined && !(ENVIRONMENT_KINDS as readonly string[]).includes(env)) {
    throw new EnvironmentError(
      'FLEETBED_ENV_BAD_CONFIG',
      `Unknown environment ${JSON.stringify(env)}: expected one of ${ENVIRONMENT_KINDS.join(', ')} (--env). Nothing was started.`,
    );
  }
  const kind: EnvironmentKind =
    (env as EnvironmentKind | undefined) ??
    (options.targetUrl !== undefined || options.databaseUrl !== undefined || processEnv.DATABASE_URL ? 'url' : ENV_DEFAULTS.env);
  switch (kind) {
    case 'embedded':
      return new EmbeddedEnvironment(rest);
    case 'containers':
      return new ContainersEnvironment(rest);
    case 'url':
      return new UrlEnvironment(rest);
  }
}
