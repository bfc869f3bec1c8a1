import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ContainersEnvironment } from './containers.ts';
import { probeDockerEngine } from './docker-engine.ts';
import { getFreePort } from './free-port.ts';
import { ENV_DEFAULTS, REPO_ROOT } from './options.ts';

type CodedError = Error & { code?: string };
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: CodedError) => error,
  );

const engine = await probeDockerEngine();
if (engine.reachable) console.log(`[containers env] no-engine test skipped: a Docker engine answers at ${engine.endpoint}`);

describe('ContainersEnvironment without a Docker engine', () => {
  it.skipIf(engine.reachable)('fails in under a second with FLEETBED_ENV_NO_DOCKER naming the other environments', async () => {
    const started = performance.now();
    const error = await rejection(new ContainersEnvironment().start());
    const elapsedMs = performance.now() - started;
    console.log(`[containers env] FLEETBED_ENV_NO_DOCKER after ${Math.round(elapsedMs)} ms`);
    expect(elapsedMs).toBeLessThan(1000);
    expect(error?.code).toBe('FLEETBED_ENV_NO_DOCKER');
    expect(error?.message).toContain('/var/run/docker.sock');
    expect(error?.message).toContain('--env embedded');
    expect(error?.message).toContain('--env url --target-url');
    expect(error?.message).toContain('DATABASE_URL');
    expect(error?.message).toContain('docker compose up');
  });

  it('reports an unreachable DOCKER_HOST (unix or tcp) the same way, engine or not', async () => {
    const port = await getFreePort();
    for (const DOCKER_HOST of ['unix:///nonexistent/docker.sock', `tcp://127.0.0.1:${port}`]) {
      const started = performance.now();
      const error = await rejection(new ContainersEnvironment({ processEnv: { DOCKER_HOST } }).start());
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error?.code).toBe('FLEETBED_ENV_NO_DOCKER');
      expect(error?.message).toContain(`DOCKER_HOST=${DOCKER_HOST}`);
    }
  });
});

describe('image and compose files agree with the containers environment', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'reference-api', 'Dockerfile'), 'utf8');
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Record<string, unknown> & { environment?: Record<string, string> }>;
  };

  it('the Dockerfile runs the same entry point on node:20-slim, port 8080', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toContain(`CMD ["node", "--import", "tsx", "${ENV_DEFAULTS.apiEntry}"]`);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });

  it('docker-compose.yml pins the same PostgreSQL image and starts the API in test mode after it is healthy', () => {
    const { postgres, api } = compose.services;
    expect(postgres?.image).toBe(ENV_DEFAULTS.postgresImage);
    expect(postgres?.healthcheck).toBeDefined();
    expect(api?.build).toEqual({ context: '.', dockerfile: 'reference-api/Dockerfile' });
    expect(api?.environment?.FLEETBED_TEST_MODE).toBe('1');
    expect(api?.environment?.FLEETBED_FACTORY_SECRET).toMatch(/^\$\{FLEETBED_FACTORY_SECRET:-.{16,}\}$/);
    expect(api?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });
});
