import { ContainersEnvironment } from './containers.ts';
import { EmbeddedEnvironment } from './embedded.ts';
import { environmentKindOf } from './options.ts';
import type { ContainersOptions, EmbeddedOptions, Environment, EnvironmentOptions, UrlOptions } from './types.ts';
import { UrlEnvironment } from './url.ts';

/**
 * Choose and configure an environment (nothing starts until `start()`):
 * an explicit `env` wins; otherwise `targetUrl` or `DATABASE_URL` selects `url`;
 * otherwise `embedded`. The options type is discriminated by `env`, so another provider's
 * option is a compile error; at run time an unknown `env`, a field the chosen provider does
 * not take or an invalid value throws `FLEETBED_ENV_BAD_CONFIG`.
 */
export function resolveEnvironment(options: EnvironmentOptions = {}): Environment {
  const kind = environmentKindOf(options);
  // The constructors check the fields again at run time, so the casts below cannot hide a
  // field of another provider (e.g. from JavaScript callers, or a targetUrl-less url choice).
  switch (kind) {
    case 'embedded':
      return new EmbeddedEnvironment(options as EmbeddedOptions);
    case 'containers':
      return new ContainersEnvironment(options as ContainersOptions);
    case 'url':
      return new UrlEnvironment(options as UrlOptions);
  }
}
