import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { checkEnvironmentOptions } from './check-environment-options.ts';
import { ContainersEnvironment } from './containers.ts';
import { EmbeddedEnvironment } from './embedded.ts';
import { PROVIDER_FIELDS, REPO_ROOT } from './options.ts';
import { resolveEnvironment } from './resolve-environment.ts';
import type { ContainersOptions, EmbeddedOptions, EnvironmentKind, EnvironmentOptions, UrlOptions } from './types.ts';
import { UrlEnvironment } from './url.ts';

// The compile-time half: `tsc --noEmit` (the first step of `npm test`) checks this file, so each
// `@ts-expect-error` below must still be an error, or the typecheck fails.
function compileTimeChecks(url: string) {
  // @ts-expect-error -- the containers environment starts its own API: no targetUrl
  resolveEnvironment({ env: 'containers', targetUrl: url });
  // @ts-expect-error -- nor a databaseUrl
  resolveEnvironment({ env: 'containers', databaseUrl: 'postgres://u@h/db' });
  // @ts-expect-error -- it runs an image, not a local entry point
  resolveEnvironment({ env: 'containers', apiEntry: 'test/fixtures/x.ts' });
  // @ts-expect-error -- the embedded environment starts its own platform too
  resolveEnvironment({ env: 'embedded', targetUrl: url });
  // @ts-expect-error -- apiImage is for containers only
  resolveEnvironment({ env: 'embedded', apiImage: 'fleetbed-reference-api:local' });
  // @ts-expect-error -- the url environment's PostgreSQL is not fleetbed's to configure
  resolveEnvironment({ env: 'url', targetUrl: url, postgresSettings: { work_mem: '64MB' } });
  // @ts-expect-error -- containers is chosen only by name: without env, apiImage fits no provider
  resolveEnvironment({ apiImage: 'fleetbed-reference-api:local' });
  // @ts-expect-error -- env names a provider
  resolveEnvironment({ env: 'docker' });
  // @ts-expect-error -- the constructors take their own provider's options
  new ContainersEnvironment({ targetUrl: url });
  // @ts-expect-error -- even from a variable (not only an object literal)
  new EmbeddedEnvironment({ databaseUrl: 'postgres://u@h/db' } as UrlOptions);
  // @ts-expect-error -- and so does a typed options variable of another provider
  new UrlEnvironment({ postgresSettings: {} } as ContainersOptions);
  // @ts-expect-error -- a flags bag whose env is any provider must go through checkEnvironmentOptions
  resolveEnvironment({ env: 'url' as EnvironmentKind, targetUrl: url });

  // What each provider takes compiles.
  resolveEnvironment({ env: 'containers', apiImage: 'img', postgresSettings: { work_mem: '8MB' }, workers: 2 });
  resolveEnvironment({ env: 'url', targetUrl: url, databaseUrl: 'postgres://u@h/db', testMode: false, factorySecret: 'x'.repeat(16) });
  resolveEnvironment({ targetUrl: url, factorySecret: 'x'.repeat(16) }); // url, by its field
  resolveEnvironment({ apiEntry: 'x.ts', postgresSettings: {} }); // embedded, the default
  resolveEnvironment(checkEnvironmentOptions({ env: 'containers' as string, targetUrl: url as string | undefined })); // checked at run time
}
void compileTimeChecks;

/** The fields an options type forbids (declared `?: never`). */
type Forbidden<T> = { [K in keyof T]-?: [Exclude<T[K], undefined>] extends [never] ? K : never }[keyof T];
/** The provider-specific fields that PROVIDER_FIELDS says `kind` does not take. */
type NotTakenBy<Kind extends EnvironmentKind> = {
  [K in keyof typeof PROVIDER_FIELDS]: Kind extends (typeof PROVIDER_FIELDS)[K][number] ? never : K;
}[keyof typeof PROVIDER_FIELDS];

describe('environment options, typed per provider', () => {
  it('the run-time table (PROVIDER_FIELDS) and the types forbid the same fields', () => {
    expectTypeOf<Forbidden<EmbeddedOptions>>().toEqualTypeOf<NotTakenBy<'embedded'>>();
    expectTypeOf<Forbidden<UrlOptions>>().toEqualTypeOf<NotTakenBy<'url'>>();
    expectTypeOf<Forbidden<ContainersOptions>>().toEqualTypeOf<NotTakenBy<'containers'>>();
    expectTypeOf<Extract<EnvironmentOptions, { env: 'containers' }>>().toEqualTypeOf<ContainersOptions & { env: 'containers' }>();
  });

  it('checkEnvironmentOptions: a field of another provider is FLEETBED_ENV_BAD_CONFIG naming the flag and the fix', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ env: 'containers', targetUrl: 'http://127.0.0.1:8080' }, /containers environment starts its own PostgreSQL and API, but targetUrl \(--target-url\) was given\. Use --env url/],
      [{ env: 'containers', apiEntry: 'x.ts' }, /apiEntry \(--api-entry\) x\.ts cannot be used\. Build an image from it and pass apiImage, or use --env embedded or --env url/],
      [{ env: 'embedded', databaseUrl: 'postgres://u@h/db' }, /embedded environment starts its own PostgreSQL and API, but databaseUrl \(DATABASE_URL\) was given/],
      [{ env: 'url', targetUrl: 'http://h', postgresSettings: { work_mem: '1MB' } }, /postgresSettings \(work_mem\) configure a PostgreSQL that fleetbed starts/],
      [{ apiImage: 'img' }, /apiImage img is an image for the containers environment; the embedded environment runs no containers\. Use --env containers/],
      [{ env: 'docker' }, /Unknown environment "docker": expected one of embedded, url, containers \(--env\)/],
    ];
    for (const [options, message] of cases) {
      expect(() => checkEnvironmentOptions({ processEnv: {}, ...options })).toThrow(
        expect.objectContaining({ code: 'FLEETBED_ENV_BAD_CONFIG', message: expect.stringMatching(message) }),
      );
    }
  });

  it('checkEnvironmentOptions returns what each provider takes, unchanged', () => {
    const options = { env: 'containers', apiImage: 'img', workers: 2 };
    expect(checkEnvironmentOptions(options)).toBe(options);
    expect(checkEnvironmentOptions({ targetUrl: 'http://h' })).toEqual({ targetUrl: 'http://h' });
    expect(checkEnvironmentOptions({ postgresSettings: {}, processEnv: { DATABASE_URL: 'postgres://u@h/db' } })).toBeDefined(); // none is none
  });

  it('the constructors make the same check for JavaScript callers', () => {
    expect(() => new ContainersEnvironment({ targetUrl: 'http://127.0.0.1:8080' } as unknown as ContainersOptions)).toThrow(/Use --env url/);
    expect(() => new EmbeddedEnvironment({ env: 'url' } as unknown as EmbeddedOptions)).toThrow(/env "url" was given to the embedded environment/);
  });
});

describe('the CLI builds environment options from flags and checks them before anything starts', () => {
  const fleetbed = (...argv: string[]) =>
    promisify(execFile)(process.execPath, [join(REPO_ROOT, 'harness/cli/bin.mjs'), ...argv], { cwd: REPO_ROOT, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );

  it.each([['up'], ['run', 'scenarios/ci']])('fleetbed %s --env containers --target-url … is a usage error (exit 2)', async (...command) => {
    const { code, stderr } = await fleetbed(...command, '--env', 'containers', '--target-url', 'http://127.0.0.1:8080');
    expect(stderr).toContain('[FLEETBED_ENV_BAD_CONFIG] The containers environment starts its own PostgreSQL and API, but targetUrl (--target-url) was given. Use --env url');
    expect(stderr).toContain('Nothing was started.');
    expect(code).toBe(2);
  }, 40_000);
});
