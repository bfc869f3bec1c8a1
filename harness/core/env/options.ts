import { fileURLToPath } from 'node:url';
import { EnvironmentError } from './errors.ts';
import type { CommonEnvironmentOptions, EnvironmentKind, LooseEnvironmentOptions } from './types.ts';

/** The environment providers, in the order `--env` lists them. */
export const ENVIRONMENT_KINDS: readonly EnvironmentKind[] = Object.freeze(['embedded', 'url', 'containers']);

/** Defaults of every environment option, in one place. */
export const ENV_DEFAULTS = Object.freeze({
  env: 'embedded' as EnvironmentKind,
  startupTimeoutMs: 30_000,
  containersStartupTimeoutMs: 300_000,
  stopTimeoutMs: 10_000,
  pollIntervalMs: 20,
  apiEntry: 'reference-api/src/server.ts',
  testMode: true,
  verbose: false,
  databaseName: 'fleetbed',
  postgresImage: 'postgres:16-alpine',
  apiImageName: 'fleetbed-reference-api:local',
});

/** The repository root: the started API's working directory and the Docker build context. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The provider-specific option fields and the providers that take each; every other field
 * (`CommonEnvironmentOptions`) is taken by all. The types in types.ts say the same at compile
 * time (a type test checks that they agree); this table is the run-time check for untyped input.
 */
export const PROVIDER_FIELDS = Object.freeze({
  targetUrl: ['url'],
  databaseUrl: ['url'],
  testMode: ['url'],
  apiEntry: ['embedded', 'url'],
  postgresSettings: ['embedded', 'containers'],
  apiImage: ['containers'],
  postgresImage: ['containers'],
} as const satisfies Record<Exclude<keyof LooseEnvironmentOptions, keyof CommonEnvironmentOptions | 'env'>, readonly EnvironmentKind[]>);

/** How each provider-specific field is spelled on the command line or in the environment. */
const FIELD_SOURCES: Readonly<Record<keyof typeof PROVIDER_FIELDS, string>> = Object.freeze({
  targetUrl: '--target-url',
  databaseUrl: 'DATABASE_URL',
  testMode: 'testMode',
  apiEntry: '--api-entry',
  postgresSettings: 'postgresSettings',
  apiImage: 'apiImage',
  postgresImage: 'postgresImage',
});

/**
 * The provider `options` select: an explicit `env` (which must name one), else `url` when a
 * `targetUrl`, `databaseUrl` or `DATABASE_URL` is given, else `embedded`.
 */
export function environmentKindOf(options: LooseEnvironmentOptions): EnvironmentKind {
  const { env } = options;
  if (env !== undefined) {
    if (!(ENVIRONMENT_KINDS as readonly string[]).includes(env)) {
      throw badConfig(`Unknown environment ${JSON.stringify(env)}: expected one of ${ENVIRONMENT_KINDS.join(', ')} (--env).`);
    }
    return env as EnvironmentKind;
  }
  const processEnv = options.processEnv ?? process.env;
  return options.targetUrl !== undefined || options.databaseUrl !== undefined || processEnv.DATABASE_URL ? 'url' : ENV_DEFAULTS.env;
}

/**
 * Throw `FLEETBED_ENV_BAD_CONFIG` if `options` name another provider in `env` or carry a field
 * that `kind` does not take, saying which field and what to do instead.
 */
export function checkFieldsFor(kind: EnvironmentKind, options: LooseEnvironmentOptions): void {
  if (options.env !== undefined && options.env !== kind) {
    throw badConfig(`env ${JSON.stringify(options.env)} was given to the ${kind} environment. Use resolveEnvironment() to choose by name.`);
  }
  for (const field of Object.keys(PROVIDER_FIELDS) as (keyof typeof PROVIDER_FIELDS)[]) {
    if (options[field] === undefined || (PROVIDER_FIELDS[field] as readonly string[]).includes(kind)) continue;
    if (field === 'postgresSettings' && Object.keys(options.postgresSettings ?? {}).length === 0) continue; // none is none
    throw badConfig(misplacedField(kind, field, options));
  }
}

function misplacedField(kind: EnvironmentKind, field: keyof typeof PROVIDER_FIELDS, options: LooseEnvironmentOptions): string {
  const named = field === FIELD_SOURCES[field] ? field : `${field} (${FIELD_SOURCES[field]})`;
  const takenBy = PROVIDER_FIELDS[field].map((k) => `--env ${k}`).join(' or ');
  switch (field) {
    case 'targetUrl':
    case 'databaseUrl':
    case 'testMode':
      return `The ${kind} environment starts its own PostgreSQL and API, but ${named} was given. Use --env url to test the platform it points at, or drop it.`;
    case 'postgresSettings':
      return `postgresSettings (${Object.keys(options.postgresSettings ?? {}).join(', ')}) configure a PostgreSQL that fleetbed starts; the url environment tests a platform you run, so set them on your own server.`;
    case 'apiEntry':
      return `The containers environment runs the API image (reference-api/Dockerfile, or apiImage), so ${named} ${options.apiEntry} cannot be used. Build an image from it and pass apiImage, or use ${takenBy}.`;
    case 'apiImage':
    case 'postgresImage':
      return `${field} ${options[field]} is an image for the containers environment; the ${kind} environment runs no containers. Use ${takenBy}, or drop it.`;
  }
}

/** Options with defaults filled in and validated. */
export interface ResolvedOptions {
  targetUrl?: string;
  databaseUrl?: string;
  factorySecret?: string;
  testMode: boolean;
  startupTimeoutMs: number;
  stopTimeoutMs: number;
  apiEntry: string;
  workers?: number;
  apiEnv: Record<string, string>;
  postgresSettings: Record<string, string>;
  apiImage?: string;
  postgresImage?: string;
  verbose: boolean;
  log: (line: string) => void;
}

/**
 * Check that `kind` takes every field given, fill defaults and validate; throws
 * `FLEETBED_ENV_BAD_CONFIG` naming the field and value.
 */
export function resolveOptions(
  kind: EnvironmentKind,
  options: LooseEnvironmentOptions,
  startupTimeoutMs: number = ENV_DEFAULTS.startupTimeoutMs,
): ResolvedOptions {
  checkFieldsFor(kind, options);
  const resolved: ResolvedOptions = {
    testMode: options.testMode ?? ENV_DEFAULTS.testMode,
    startupTimeoutMs: positiveMs('startupTimeoutMs', options.startupTimeoutMs ?? startupTimeoutMs),
    stopTimeoutMs: positiveMs('stopTimeoutMs', options.stopTimeoutMs ?? ENV_DEFAULTS.stopTimeoutMs),
    apiEntry: options.apiEntry ?? ENV_DEFAULTS.apiEntry,
    apiEnv: { ...options.apiEnv },
    postgresSettings: checkPostgresSettings(options.postgresSettings ?? {}),
    verbose: options.verbose ?? ENV_DEFAULTS.verbose,
    log: options.log ?? ((line) => process.stderr.write(`[fleetbed env] ${line}\n`)),
  };
  if (options.targetUrl !== undefined) resolved.targetUrl = checkHttpUrl('targetUrl (--target-url)', options.targetUrl);
  if (options.databaseUrl !== undefined) resolved.databaseUrl = checkPostgresUrl('databaseUrl (DATABASE_URL)', options.databaseUrl);
  if (options.factorySecret !== undefined) {
    if (options.factorySecret.length < 16) {
      throw badConfig(`factorySecret must be at least 16 characters, got ${options.factorySecret.length}.`);
    }
    resolved.factorySecret = options.factorySecret;
  }
  if (options.workers !== undefined) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw badConfig(`workers must be an integer ≥ 1, got ${JSON.stringify(options.workers)}.`);
    }
    resolved.workers = options.workers;
  }
  if (options.apiImage !== undefined) {
    if (!/^\S+$/.test(options.apiImage)) throw badConfig(`apiImage must be an image reference, got ${JSON.stringify(options.apiImage)}.`);
    resolved.apiImage = options.apiImage;
  }
  if (options.postgresImage !== undefined) {
    if (!/^\S+$/.test(options.postgresImage)) throw badConfig(`postgresImage must be an image reference, got ${JSON.stringify(options.postgresImage)}.`);
    resolved.postgresImage = options.postgresImage;
  }
  return resolved;
}

/** Validate an http(s) base URL; returns it without a trailing slash. */
export function checkHttpUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badConfig(`${field} must be an absolute http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(value)}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badConfig(`${field} must use http: or https:, got ${JSON.stringify(url.protocol)} in ${JSON.stringify(value)}.`);
  }
  if (url.search || url.hash) {
    throw badConfig(`${field} must be a base URL without ?query or #fragment, got ${JSON.stringify(value)}.`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Validate a PostgreSQL URL (postgres:// or postgresql:// with a host and a database). */
export function checkPostgresUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badConfig(
      `${field} must be a URL such as postgres://user:password@127.0.0.1:5432/fleetbed, got ${JSON.stringify(redactUrl(value))}.`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw badConfig(`${field} must start with postgres:// or postgresql://, got ${JSON.stringify(redactUrl(value))}.`);
  }
  if (!url.hostname || url.pathname.length <= 1) {
    throw badConfig(
      `${field} must name a host and a database (postgres://user@host:5432/dbname), got ${JSON.stringify(redactUrl(value))}.`,
    );
  }
  return value;
}

/** The URL with its password replaced by `***`, for messages. Non-URLs are returned as is. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return value.replace(/:\/\/([^:/@]*):[^@]*@/, '://$1:***@');
  }
}

function positiveMs(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw badConfig(`${field} must be a positive number of ms, got ${JSON.stringify(value)}.`);
  return value;
}

function badConfig(message: string): EnvironmentError {
  return new EnvironmentError('FLEETBED_ENV_BAD_CONFIG', `${message} Nothing was started.`);
}

/** PostgreSQL setting names are identifiers; values go to one `-c name=value` argument each. */
function checkPostgresSettings(settings: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[a-z_][a-z0-9_.]*$/.test(name)) throw badConfig(`postgresSettings: ${JSON.stringify(name)} is not a PostgreSQL setting name (lower-case letters, digits, _ and .).`);
    if (typeof value !== 'string' || value.length === 0 || /[\0\n]/.test(value)) throw badConfig(`postgresSettings.${name} must be a non-empty one-line string, got ${JSON.stringify(value)}.`);
  }
  return { ...settings };
}
