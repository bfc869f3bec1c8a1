import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EnvironmentError, type EnvErrorCode } from '../errors.ts';

/** The packages `--env containers` loads, with the major version fleetbed is tested with. */
export const TESTCONTAINERS_PACKAGES = Object.freeze({
  testcontainers: 'testcontainers',
  postgresql: '@testcontainers/postgresql',
  major: 11,
});

/** The modules the containers environment uses. */
export interface TestcontainersModules {
  tc: typeof import('testcontainers');
  postgresql: typeof import('@testcontainers/postgresql');
}

/** The code of an error for an absent optional package (its meaning and fix: contract/error-codes.ts). */
export const MISSING_PACKAGE_CODE = 'FLEETBED_ENV_MISSING_PACKAGE' satisfies EnvErrorCode;

type Specifiers = { readonly testcontainers: string; readonly postgresql: string };

const require = createRequire(import.meta.url);

/**
 * Import `testcontainers` and `@testcontainers/postgresql`, which are optional dependencies:
 * only `--env containers` needs them, so nothing imports them until it starts. An absent
 * package is an error (`MISSING_PACKAGE_CODE`) whose message names it and the install command; one
 * that is installed but fails to load is `FLEETBED_ENV_START_FAILED` with its version and Node's.
 *
 * @param specifiers the module names to import (tests point one at a package that does not exist).
 */
export async function loadTestcontainers(specifiers: Specifiers = TESTCONTAINERS_PACKAGES): Promise<TestcontainersModules> {
  const [tc, postgresql] = await Promise.all([load(specifiers.testcontainers, specifiers), load(specifiers.postgresql, specifiers)]);
  return { tc: tc as TestcontainersModules['tc'], postgresql: postgresql as TestcontainersModules['postgresql'] };
}

async function load(specifier: string, all: Specifiers): Promise<unknown> {
  try {
    return await import(/* @vite-ignore */ specifier);
  } catch (error) {
    const installed = installedVersion(specifier);
    const install = `npm i -D ${all.testcontainers}@${TESTCONTAINERS_PACKAGES.major} ${all.postgresql}@${TESTCONTAINERS_PACKAGES.major}`;
    if (installed === undefined) {
      throw new EnvironmentError(
        'FLEETBED_ENV_MISSING_PACKAGE',
        `--env containers needs the package ${specifier}, which is not installed. ` +
          `Install it with \`${install}\` (fleetbed lists it under optionalDependencies, so \`npm ci\` installs it unless --omit=optional is given). ` +
          'Or use --env embedded (no Docker) or --env url. Nothing was started.',
        { cause: error },
      );
    }
    throw new EnvironmentError(
      'FLEETBED_ENV_START_FAILED',
      `${specifier}@${installed} is installed but failed to load on Node ${process.versions.node}: ${(error as Error).message}. ` +
        `fleetbed is tested with ${specifier}@${TESTCONTAINERS_PACKAGES.major} (testcontainers 12 needs Node ≥ 22): \`${install}\`. Nothing was started.`,
      { cause: error },
    );
  }
}

/** The installed version of a package, `'unknown'` if present without a readable version, undefined if absent. */
function installedVersion(name: string): string | undefined {
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? 'unknown' : undefined;
  }
  try {
    return String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
