import { randomBytes } from 'node:crypto';
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { probeDockerEngine } from './docker-engine.ts';
import { EnvironmentError } from './errors.ts';
import { ENV_DEFAULTS, REPO_ROOT, resolveOptions, type ResolvedOptions } from './options.ts';
import type { Environment, EnvironmentOptions, StartedEnvironment } from './types.ts';

const API_PORT = 8080;
const PG_PORT = 5432;
const PG_USER = 'fleetbed';

/**
 * Testcontainers: PostgreSQL (`postgres:16-alpine`) and the reference API image built from
 * reference-api/Dockerfile (or `apiImage`), on a private network. Needs a Docker engine; without
 * one, start() fails in well under a second with `FLEETBED_ENV_NO_DOCKER`.
 */
export class ContainersEnvironment implements Environment {
  readonly kind = 'containers';
  private readonly options: ResolvedOptions;
  private readonly processEnv: Record<string, string | undefined>;

  constructor(options: EnvironmentOptions = {}) {
    this.options = resolveOptions(options, ENV_DEFAULTS.containersStartupTimeoutMs);
    this.processEnv = options.processEnv ?? process.env;
    if (this.options.targetUrl !== undefined || this.options.databaseUrl !== undefined) {
      throw new EnvironmentError(
        'FLEETBED_ENV_BAD_CONFIG',
        'The containers environment starts its own PostgreSQL and API, but targetUrl or databaseUrl was given. ' +
          'Use --env url to test what those point at, or drop them. Nothing was started.',
      );
    }
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
    const tc = await import('testcontainers');
    const started = performance.now();
    const remaining = () => Math.max(1000, Math.round(o.startupTimeoutMs - (performance.now() - started)));
    const pgPassword = randomBytes(16).toString('hex');
    const factorySecret = o.factorySecret ?? randomBytes(32).toString('hex');
    const parts: { network?: StartedNetwork; postgres?: StartedTestContainer; api?: StartedTestContainer } = {};
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
      parts.postgres = await new tc.GenericContainer(ENV_DEFAULTS.postgresImage)
        .withNetwork(network)
        .withNetworkAliases('postgres')
        .withEnvironment({ POSTGRES_USER: PG_USER, POSTGRES_PASSWORD: pgPassword, POSTGRES_DB: ENV_DEFAULTS.databaseName })
        .withExposedPorts(PG_PORT)
        // The image's entrypoint passes `postgres -c name=value …` through to the server.
        .withCommand(['postgres', ...Object.entries(o.postgresSettings).flatMap(([name, value]) => ['-c', `${name}=${value}`])])
        // -h 127.0.0.1: the image's init-time server listens on the unix socket only, so this
        // passes only once the real server is up (and again after a restart).
        .withHealthCheck({
          test: ['CMD-SHELL', `pg_isready -h 127.0.0.1 -U ${PG_USER} -d ${ENV_DEFAULTS.databaseName}`],
          interval: 250,
          timeout: 1000,
          retries: 1000,
        })
        .withWaitStrategy(tc.Wait.forAll([tc.Wait.forHealthCheck(), tc.Wait.forListeningPorts()]))
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
    return new StartedContainersEnvironment(network, postgres, api, pgPassword, factorySecret);
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
    private readonly postgres: StartedTestContainer,
    private readonly api: StartedTestContainer,
    private readonly pgPassword: string,
    readonly factorySecret: string,
  ) {}

  get apiUrl(): string {
    return `http://${this.api.getHost()}:${this.api.getMappedPort(API_PORT)}`;
  }

  get databaseUrl(): string {
    const host = `${this.postgres.getHost()}:${this.postgres.getMappedPort(PG_PORT)}`;
    return `postgres://${PG_USER}:${this.pgPassword}@${host}/${ENV_DEFAULTS.databaseName}`;
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

async function stopParts(parts: { network?: StartedNetwork; postgres?: StartedTestContainer; api?: StartedTestContainer }) {
  await parts.api?.stop();
  await parts.postgres?.stop();
  await parts.network?.stop();
}
