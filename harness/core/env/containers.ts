import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { StartedTestContainer } from 'testcontainers';
import { chooseImages, type ChosenImages } from './_internals/choose-images.ts';
import { HostWaitStrategy } from './_internals/host-wait-strategy.ts';
import { loadTestcontainers, type TestcontainersModules } from './_internals/load-testcontainers.ts';
import { Reaper, type ReapContainers } from './_internals/reaper.ts';
import { probeDockerEngine } from './docker-engine.ts';
import { EnvironmentError } from './errors.ts';
import { getFreePorts } from './free-port.ts';
import { waitFor } from './wait.ts';
import { ENV_DEFAULTS, REPO_ROOT, resolveOptions, type ResolvedOptions } from './options.ts';
import type { ContainersOptions, Environment, StartedEnvironment } from './types.ts';

const PG_USER = 'fleetbed';
/** Every container of one started environment carries this label with the environment's id. */
export const CONTAINERS_LABEL = 'org.fleetbed.environment';
/** Ryuk, Testcontainers' own reaper: used when the engine has it or can pull it. */
const RYUK_IMAGE = process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';

/**
 * Testcontainers: PostgreSQL and the reference API, each a container with **host networking**
 * on a free loopback port the harness picks (no bridge, no port mapping: every byte stays on
 * 127.0.0.1). Images: `postgresImage`/`apiImage`, else `FLEETBED_POSTGRES_IMAGE`/
 * `FLEETBED_API_IMAGE`, else the public ones where a registry answers (postgres:16-alpine; the
 * API built from reference-api/Dockerfile), else those of `fleetbed images build`; which one
 * was used is logged and kept in `images`. Readiness is polled from the harness with the
 * startup deadline (a real query; `GET /readyz`). If Ryuk's image cannot be had, Ryuk is
 * disabled and fleetbed's reaper removes the containers when the harness dies (even by SIGKILL).
 *
 * Fails fast with `FLEETBED_ENV_NO_DOCKER` (no engine), `FLEETBED_ENV_NO_IMAGE` (engine, no
 * image), `FLEETBED_ENV_MISSING_PACKAGE` (testcontainers absent); each message names the fix.
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
          `checked in ${probe.elapsedMs} ms). Start Docker or set DOCKER_HOST (Debian: apt-get install -y --no-install-recommends docker.io; ` +
          'dockerd --bridge=none --iptables=false), or use another environment: ' +
          '--env embedded (the default: real PostgreSQL and the API as local processes, no Docker); ' +
          '--env url --target-url <API URL> or DATABASE_URL=<postgres URL> for a platform you run yourself; ' +
          'or `docker compose up` on a machine with Docker, then --env url --target-url http://127.0.0.1:8080.',
      );
    }
    const { tc } = await loadTestcontainers();
    // The containers use host networking, so their host is the loopback. Without this,
    // Testcontainers running inside a container looks for the bridge network's gateway, which an
    // engine started with --bridge=none does not have.
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
    const started = performance.now();
    const remaining = () => Math.max(1000, Math.round(o.startupTimeoutMs - (performance.now() - started)));
    const images = await chooseImages(tc, {
      ...(o.postgresImage ? { postgresImage: o.postgresImage } : {}),
      ...(o.apiImage ? { apiImage: o.apiImage } : {}),
      processEnv: this.processEnv,
      apiImageName: ENV_DEFAULTS.apiImageName,
    });
    o.log(`containers: PostgreSQL ${images.postgres.image} (${images.postgres.source}), API ${images.api.image} (${images.api.source}${images.api.dockerfile ? ', built from reference-api/Dockerfile' : ''})`);

    const id = randomUUID();
    const labels = { [CONTAINERS_LABEL]: id };
    const reaper = await Reaper.spawn();
    const engine = reapEndpoint(probe.endpoint, id);
    if (engine) reaper.watch([], [], engine);
    await useRyukOnlyIfAvailable(tc, engine !== undefined);

    const [pgPort, apiPort] = (await getFreePorts(2)) as [number, number];
    const pgPassword = randomBytes(16).toString('hex');
    const factorySecret = o.factorySecret ?? randomBytes(32).toString('hex');
    const databaseUrl = `postgres://${PG_USER}:${pgPassword}@127.0.0.1:${pgPort}/${ENV_DEFAULTS.databaseName}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const parts: Parts = { reaper };
    try {
      parts.postgres = await new tc.GenericContainer(images.postgres.image)
        .withNetworkMode('host')
        .withLabels(labels)
        .withEnvironment({ POSTGRES_USER: PG_USER, POSTGRES_PASSWORD: pgPassword, POSTGRES_DB: ENV_DEFAULTS.databaseName, PGPORT: String(pgPort) })
        // Both images (public and `fleetbed images build`'s) take `postgres -c name=value …`.
        .withCommand([
          'postgres',
          ...['-c', `port=${pgPort}`, '-c', 'listen_addresses=127.0.0.1'],
          ...Object.entries(o.postgresSettings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
        ])
        .withWaitStrategy(new HostWaitStrategy(`PostgreSQL (${images.postgres.image}) to answer a query on 127.0.0.1:${pgPort}`, () => queryOnce(databaseUrl)))
        .withStartupTimeout(remaining())
        .start();
      const apiImage = images.api.dockerfile
        ? await tc.GenericContainer.fromDockerfile(REPO_ROOT, 'reference-api/Dockerfile').withCache(true).build(images.api.image, { deleteOnExit: false })
        : new tc.GenericContainer(images.api.image);
      parts.api = await apiImage
        .withNetworkMode('host')
        .withLabels(labels)
        .withEnvironment({
          ...o.apiEnv,
          DATABASE_URL: databaseUrl,
          HOST: '127.0.0.1',
          PORT: String(apiPort),
          FLEETBED_TEST_MODE: '1',
          FLEETBED_FACTORY_SECRET: factorySecret,
          ...(o.workers === undefined ? {} : { FLEETBED_WORKERS: String(o.workers) }),
        })
        .withWaitStrategy(new HostWaitStrategy(`the API (${images.api.image}) to answer GET ${apiUrl}/readyz with 200`, () => readyz(apiUrl)))
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
    const readyMs = Math.round(performance.now() - started);
    if (o.verbose) o.log(`containers environment ready in ${readyMs} ms (API ${apiUrl}, PostgreSQL 127.0.0.1:${pgPort})`);
    return new StartedContainersEnvironment(parts as Required<Parts>, { apiUrl, databaseUrl, factorySecret, images, readyMs });
  }
}

/**
 * A running {@link ContainersEnvironment}: two host-networked containers on loopback ports
 * that stay the same across restarts. `images` says which images run and where they came from.
 */
export class StartedContainersEnvironment implements StartedEnvironment {
  readonly kind = 'containers';
  readonly testMode = true;
  readonly apiUrl: string;
  readonly databaseUrl: string;
  readonly factorySecret: string;
  /** The images that run, and why each was chosen. */
  readonly images: ChosenImages;
  /** How long start() took, in ms. */
  readonly readyMs: number;
  private stopping: Promise<void> | undefined;
  /**
   * Keeps the process alive while the containers run, as the embedded environment's child
   * processes do (Testcontainers' sockets do not): `fleetbed up` waits for Ctrl-C, not for an
   * empty event loop.
   */
  private readonly keepAlive = setInterval(() => undefined, 2 ** 30);

  /** @internal */
  constructor(
    private readonly parts: Required<Parts>,
    info: { apiUrl: string; databaseUrl: string; factorySecret: string; images: ChosenImages; readyMs: number },
  ) {
    ({ apiUrl: this.apiUrl, databaseUrl: this.databaseUrl, factorySecret: this.factorySecret, images: this.images, readyMs: this.readyMs } = info);
  }

  /** The ids of the two containers (PostgreSQL, API). */
  get containerIds(): { postgres: string; api: string } {
    return { postgres: this.parts.postgres.getId(), api: this.parts.api.getId() };
  }

  /** Restart the API container; resolves when `/readyz` answers 200 again. */
  async restartApi(): Promise<void> {
    await this.parts.api.restart();
    await waitFor(`the API to answer GET ${this.apiUrl}/readyz with 200 after a restart`, () => readyz(this.apiUrl), { timeoutMs: ENV_DEFAULTS.startupTimeoutMs, intervalMs: 50 });
  }

  /** Restart the PostgreSQL container; its data persists (same container filesystem). Resolves when it answers a query. */
  async restartDatabase(): Promise<void> {
    await this.parts.postgres.restart();
    await waitFor('PostgreSQL to answer a query after a restart', () => queryOnce(this.databaseUrl), { timeoutMs: ENV_DEFAULTS.startupTimeoutMs, intervalMs: 50 });
  }

  /** Stop and remove both containers (and their volumes), then dismiss the reaper. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= stopParts(this.parts).finally(() => clearInterval(this.keepAlive));
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

interface Parts {
  reaper: Reaper;
  postgres?: StartedTestContainer;
  api?: StartedTestContainer;
}

async function stopParts(parts: Partial<Parts>): Promise<void> {
  try {
    await parts.api?.stop({ remove: true, removeVolumes: true, timeout: 5_000 });
    await parts.postgres?.stop({ remove: true, removeVolumes: true, timeout: 5_000 });
  } finally {
    parts.reaper?.dismiss();
  }
}

/** How fleetbed's reaper reaches the engine, from the probe's endpoint; undefined when it cannot (npipe, ssh). */
function reapEndpoint(endpoint: string | undefined, id: string): ReapContainers | undefined {
  const label = `${CONTAINERS_LABEL}=${id}`;
  if (!endpoint) return undefined;
  if (endpoint.startsWith('unix://')) return { label, socketPath: endpoint.slice('unix://'.length) };
  if (endpoint.startsWith('tcp://')) {
    const url = new URL(endpoint);
    return { label, host: url.hostname, port: Number(url.port || 2375) };
  }
  return undefined;
}

/**
 * Ryuk needs its image and a mapped port; where the engine has neither a registry nor a bridge,
 * turn it off (TESTCONTAINERS_RYUK_DISABLED=true, unless the user set it) and rely on fleetbed's
 * reaper, which this environment always runs. Testcontainers reads the variable once per process.
 */
async function useRyukOnlyIfAvailable(tc: TestcontainersModules['tc'], fleetbedReaperWatches: boolean): Promise<void> {
  if (process.env.TESTCONTAINERS_RYUK_DISABLED !== undefined) return;
  const client = await tc.getContainerRuntimeClient();
  const ryuk = tc.ImageName.fromString(RYUK_IMAGE);
  const available = (await client.image.exists(ryuk)) || (await client.image.pull(ryuk).then(() => true, () => false));
  if (!available && fleetbedReaperWatches) process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
}

async function queryOnce(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readyz(apiUrl: string): Promise<boolean> {
  const response = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  return true;
}
