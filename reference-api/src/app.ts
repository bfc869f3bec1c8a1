import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import type pg from 'pg';
import { schemas } from '../../contract/schemas.ts';
import { resolveConfig, type ApiConfig } from './config.ts';
import { createPool } from './db/pool.ts';
import { migrate } from './db/migrate.ts';
import { systemClock, virtualClock, type Clock } from './clock.ts';
import { ApiError, OAuthApiError } from './errors.ts';
import { KeyCache } from './keys.ts';
import { enforceDocumentedMediaTypes } from './media-types.ts';
import { AccessTokens } from './auth/require-account.ts';
import { healthRoutes } from './routes/health.ts';
import { accountRoutes } from './routes/accounts.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { factoryRoutes } from './routes/factory.ts';
import { deviceRoutes } from './routes/devices.ts';
import { bondingRoutes } from './routes/bonding.ts';
import { testbedRoutes } from './routes/testbed.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { careRoutes } from './routes/care.ts';
import { otaOperatorRoutes } from './routes/ota-operator.ts';
import { otaPhoneRoutes } from './routes/ota-phone.ts';
import { legacyV1Routes } from './routes/legacy-v1.ts';
import { legacyOperatorRoutes } from './routes/legacy-operator.ts';
import { legacyTestbedRoutes } from './routes/legacy-testbed.ts';

/** What every route plugin receives. */
export interface Services {
  config: ApiConfig;
  db: pg.Pool;
  clock: Clock;
  keys: KeyCache;
  /** Access-token lookups of the phone routes (one coalesced query for concurrent requests). */
  tokens: AccessTokens;
}

export interface BuildAppOptions extends Partial<ApiConfig> {
  /** Apply pending migrations before serving (default true). */
  migrate?: boolean;
  /** Use an existing pool instead of creating one (it is not closed with the app). */
  pool?: pg.Pool;
}

/** The shared schema document routes $ref into: `fleetbed#/components/schemas/<Name>`. */
export const SCHEMA_DOC_ID = 'fleetbed';
export const ref = (name: keyof typeof schemas) => ({ $ref: `${SCHEMA_DOC_ID}#/components/schemas/${name}` });

/**
 * Build the reference API: a Fastify app over PostgreSQL. It does not listen;
 * server.ts does. Tests call `app.inject()`.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { migrate: runMigrations = true, pool: givenPool, ...rest } = options;
  const config = resolveConfig(rest);
  const db = givenPool ?? createPool(config.databaseUrl, config.databasePoolSize);
  if (runMigrations) {
    const client = await db.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
  }

  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, strictSchema: false } },
    return503OnClosing: true,
  });
  app.addSchema({ $id: SCHEMA_DOC_ID, components: { schemas } });
  app.decorateRequest('principal', null);

  const clock = config.testMode ? virtualClock(db) : systemClock();
  const services: Services = { config, db, clock, keys: new KeyCache(config.keyCacheSize), tokens: new AccessTokens(db, clock) };

  // Each route accepts exactly the request media types contract/openapi.ts lists for it (415 otherwise).
  enforceDocumentedMediaTypes(app);

  // Form bodies (RFC 6749 token requests; the media-type gate keeps them off every other route) are parsed with URLSearchParams.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((err: FastifyError | ApiError | OAuthApiError, request, reply) => {
    if (err instanceof OAuthApiError) {
      return reply.code(err.status).header('cache-control', 'no-store').send({ error: err.error, error_description: err.message });
    }
    const apiError = err instanceof ApiError ? err : toApiError(err as FastifyError);
    // The OAuth endpoints speak RFC 6749 even about bodies they cannot read.
    if (request.url.startsWith('/v2/oauth/') && apiError.status < 500 && apiError.code !== 'route-not-found') {
      return reply.code(400).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: apiError.message });
    }
    if (apiError.status >= 500) request.log.error({ err }, 'request failed');
    if (apiError.headers) reply.headers(apiError.headers);
    return reply.code(apiError.status).type('application/problem+json').send(apiError.toProblem(request.url));
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new ApiError('route-not-found', `No route ${request.method} ${request.url.split('?')[0]}. See contract/openapi.json for the routes this API serves.`);
    return reply.code(404).type('application/problem+json').send(e.toProblem(request.url));
  });

  await app.register(healthRoutes(services));
  await app.register(accountRoutes(services));
  await app.register(oauthRoutes(services));
  await app.register(factoryRoutes(services));
  await app.register(deviceRoutes(services));
  await app.register(bondingRoutes(services));
  await app.register(uploadRoutes(services));
  await app.register(sessionRoutes(services));
  await app.register(careRoutes(services));
  await app.register(otaOperatorRoutes(services));
  await app.register(otaPhoneRoutes(services));
  await app.register(legacyV1Routes(services));
  await app.register(legacyOperatorRoutes(services));
  if (config.testMode) {
    await app.register(testbedRoutes(services));
    await app.register(legacyTestbedRoutes(services));
  }

  if (!givenPool) app.addHook('onClose', async () => db.end());
  return app;
}

/** SQLSTATE classes and driver errors that mean "the database is not there right now". */
const DB_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

function isDatabaseUnavailable(err: { code?: string; message?: string }): boolean {
  return (err.code !== undefined && DB_UNAVAILABLE_CODES.has(err.code)) || /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/.test(err.message ?? '');
}

/** Fastify's own errors (validation, body parsing, limits) as problems: bad input is a 4xx. */
function toApiError(err: FastifyError): ApiError {
  // A restarting or unreachable database is a 503 the client may retry, not a 500.
  if (isDatabaseUnavailable(err)) {
    return new ApiError('unavailable', 'The database is unavailable; retry shortly. Nothing of this request was committed unless a retry with the same Idempotency-Key says so.', { headers: { 'retry-after': '1' } });
  }
  // Text PostgreSQL cannot store (U+0000 in a string or a JSON value) is the client's input, not a
  // server failure; the statement that refused it wrote nothing. Found by the route fuzzer (issue #18).
  if (err.code === '22021' || err.code === '22P05') {
    return new ApiError('validation-failed', 'A text field holds a character the platform cannot store (U+0000, NUL); remove it. Nothing was written.');
  }
  if (err.validation) {
    const v = err.validation[0];
    const where = err.validationContext ?? 'body';
    const path = v?.instancePath ? v.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    const missing = v?.keyword === 'required' ? String((v.params as { missingProperty?: string }).missingProperty) : undefined;
    const extra = v?.keyword === 'additionalProperties' ? String((v.params as { additionalProperty?: string }).additionalProperty) : undefined;
    const field = [where === 'body' ? '' : where, path, missing ?? extra ?? ''].filter(Boolean).join('.') || where;
    const detail = extra
      ? `${field} is not a field this route accepts (server-owned or unknown); remove it.`
      : `${field} ${v?.message ?? 'is invalid'}.`;
    return new ApiError('validation-failed', detail, { field });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('malformed-json', `The body is not valid JSON: ${err.message}`, { field: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload-too-large', `The body exceeds the limit: ${err.message}`, { field: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported-media-type', `${err.message}. Send application/json.`, { field: 'Content-Type' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('validation-failed', `${err.message}: the Content-Length header does not match the body.`, { field: 'Content-Length' });
  }
  if (err instanceof SyntaxError) return new ApiError('malformed-json', `The body is not valid JSON: ${err.message}`, { field: 'body' });
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new ApiError('validation-failed', err.message);
  }
  return new ApiError('internal', 'The server failed to handle this request; it has been logged.');
}
