import { fileURLToPath } from 'node:url';
import { EnvironmentError } from './errors.ts';
import type { EnvironmentKind, EnvironmentOptions } from './types.ts';

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
  verbose: boolean;
  log: (line: string) => void;
}

/** Fill defaults and validate; throws `FLEETBED_ENV_BAD_CONFIG` naming the field and value. */
export function resolveOptions(options: EnvironmentOptions, startupTimeoutMs: number = ENV_DEFAULTS.startupTimeoutMs): ResolvedOptions {
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
