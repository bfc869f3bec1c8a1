import { randomBytes } from 'node:crypto';
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { loadTestcontainers } from './_internals/load-testcontainers.ts';
import { probeDockerEngine } from './docker-engine.ts';
import { EnvironmentError } from './errors.ts';
import { ENV_DEFAULTS, REPO_ROOT, resolveOptions, type ResolvedOptions } from './options.ts';
import type { ContainersOptions, Environment, StartedEnvironment } from './types.ts';

const API_PORT = 8080;
const PG_PORT = 5432;
const PG_USER = 'fleetbed';

/**
 * Testcontainers: PostgreSQL (`postgres:16-alpine`, through `@testcontainers/postgresql`) and the
 * reference API image built from reference-api/Dockerfile (or `apiImage`), on a private network.
 * Needs a Docker engine; without one, start() fails in well under a second with
 * `FLEETBED_ENV_NO_DOCKER`. `testcontainers` and `@testcontainers/postgresql` are optional
 * dependencies, imported only by start(); if absent, start() fails with
 * an error naming them and the command that installs them.
 */
export class ContainersEnvironment implements Environment {
  readonly kind = 'containers';
  private readonly options: ResolvedOptions;
  private readonly processEnv: Record<string, string | undefined>;

  /** Validates `options` (throws `FLEETBED_ENV_BAD_CONFIG`); starts and imports nothing. */
  constructor(options: ContainersOptions = {}) {
    this.options = resolveOptions('containers', options, ENV_DEFAULTS.containersStartupTimeoutMs);
    this.processEnv = options.processEnv ?? process.env;
  }

  async start(): Promise<StartedContainersEnvironment> {
    const o = this.options;
    const probe = await probeDockerEngine(this.processEnv);
    if (!probe.reachable) {
      throw new EnvironmentError(
        'FLEETBED_ENV_NO_DOCKER',
        `--env containers needs a Docker engine, and none was found (${probe.tried.join('; ')}; ` +
          `checked in ${probe.elapsedMs} ms). Start Docker or set DOCKER_HOST, or use another environment: ` +
          '--env embedded (the default: real PostgreSQL and the API as local processes, no Docker); ' +
          '--env url --target-url <API URL> or DATABASE_URL=<postgres URL> for a platform you run yourself; ' +
          'or `docker compose up` on a machine with Docker, then --env url --target-url http://127.0.0.1:8080.',
      );
    }
    const { tc, postgresql } = await loadTestcontainers();
    const started = performance.now();
    const remaining = () => Math.max(1000, Math.round(o.startupTimeoutMs - (performance.now() - started)));
    const pgPassword = randomBytes(16).toString('hex');
    const factorySecret = o.factorySecret ?? randomBytes(32).toString('hex');
    const parts: Parts = {};
    try {
      const [network, apiImage] = await Promise.all([
        new tc.Network().start(),
        o.apiImage !== undefined
          ? Promise.resolve(new tc.GenericContainer(o.apiImage))
          : tc.GenericContainer.fromDockerfile(REPO_ROOT, 'reference-api/Dockerfile')
              .withCache(true)
              .build(ENV_DEFAULTS.apiImageName, { deleteOnExit: false }),
      ]);
      parts.network = network;
      parts.postgres = await new postgresql.PostgreSqlContainer(ENV_DEFAULTS.postgresImage)
        .withDatabase(ENV_DEFAULTS.databaseName)
        .withUsername(PG_USER)
        .withPassword(pgPassword)
        .withNetwork(network)
        .withNetworkAliases('postgres')
        // The image's entrypoint passes `postgres -c name=value …` through to the server.
        .withCommand(['postgres', ...Object.entries(o.postgresSettings).flatMap(([name, value]) => ['-c', `${name}=${value}`])])
        // The module's wait strategy: its health check runs pg_isready over TCP, which only the
        // real server passes (the image's init-time server listens on the unix socket only).
        .withStartupTimeout(remaining())
        .start();
      parts.api = await apiImage
        .withNetwork(network)
        .withEnvironment({
          ...o.apiEnv,
          DATABASE_URL: `postgres://${PG_USER}:${pgPassword}@postgres:${PG_PORT}/${ENV_DEFAULTS.databaseName}`,
          HOST: '0.0.0.0',
          PORT: String(API_PORT),
          FLEETBED_TEST_MODE: '1',
          FLEETBED_FACTORY_SECRET: factorySecret,
          ...(o.workers === undefined ? {} : { FLEETBED_WORKERS: String(o.workers) }),
        })
        .withExposedPorts(API_PORT)
        .withWaitStrategy(tc.Wait.forHttp('/readyz', API_PORT).forStatusCode(200))
        .withStartupTimeout(remaining())
        .start();
    } catch (error) {
      await stopParts(parts).catch(() => undefined);
      if (error instanceof EnvironmentError) throw error;
      throw new EnvironmentError(
        'FLEETBED_ENV_START_FAILED',
        `The containers environment failed to start after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const { network, postgres, api } = parts as Required<typeof parts>;
    if (o.verbose) o.log(`containers environment ready in ${Math.round(performance.now() - started)} ms`);
    return new StartedContainersEnvironment(network, postgres, api, factorySecret);
  }
}

/**
 * A running {@link ContainersEnvironment}. `apiUrl` and `databaseUrl` are read from the
 * containers' mapped ports, which may change after a restart: read them again afterwards.
 */
export class StartedContainersEnvironment implements StartedEnvironment {
  readonly kind = 'containers';
  readonly testMode = true;
  private stopping: Promise<void> | undefined;

  /** @internal */
  constructor(
    private readonly network: StartedNetwork,
    private readonly postgres: StartedPostgreSqlContainer,
    private readonly api: StartedTestContainer,
    readonly factorySecret: string,
  ) {}

  get apiUrl(): string {
    return `http://${this.api.getHost()}:${this.api.getMappedPort(API_PORT)}`;
  }

  get databaseUrl(): string {
    return this.postgres.getConnectionUri();
  }

  /** Restart the API container; resolves when `/readyz` answers 200 again. */
  async restartApi(): Promise<void> {
    await this.api.restart();
  }

  /** Restart the PostgreSQL container; its data persists (same container filesystem). */
  async restartDatabase(): Promise<void> {
    await this.postgres.restart();
  }

  /** Stop and remove both containers and the network. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= stopParts({ network: this.network, postgres: this.postgres, api: this.api });
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

interface Parts {
  network?: StartedNetwork;
  postgres?: StartedPostgreSqlContainer;
  api?: StartedTestContainer;
}

async function stopParts(parts: Parts) {
  await parts.api?.stop();
  await parts.postgres?.stop();
  await parts.network?.stop();
}
