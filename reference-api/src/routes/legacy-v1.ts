import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { appBuildOf, LegacyBodyError, splitBody, type Dialect, type MigrationState } from '../../../contract/legacy/dialect.ts';
import { DIALECTS } from '../../../contract/legacy/dialects.ts';
import { LEGACY_DEPRECATION, LEGACY_SUNSET } from '../../../contract/openapi.ts';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { authenticateLegacy } from '../legacy/authenticate.ts';
import { seedLegacyLines } from '../legacy/lines.ts';
import { readLegacySessions } from '../legacy/read.ts';
import { MAX_LEGACY_RECORDS, uploadLegacyRecords } from '../legacy/upload.ts';

/**
 * Whether a parsed JSON value (its keys too) holds a lone UTF-16 surrogate (`"\ud800"`): JSON escapes can
 * spell one, but it is no character, and PostgreSQL's jsonb refuses it (a 500 where a 400 belongs). The
 * legacy routes that keep a client's JSON as jsonb (v1 uploads, mappings, deployed revisions) refuse it first.
 */
function holdsLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return /\p{Cs}/u.test(v);
  if (Array.isArray(v)) return v.some(holdsLoneSurrogate);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => /\p{Cs}/u.test(k) || holdsLoneSurrogate(x));
  return false;
}

/** 400 for a body {@link holdsLoneSurrogate}. */
export function refuseLoneSurrogates(body: unknown, field: string): void {
  if (holdsLoneSurrogate(body)) throw new ApiError('validation-failed', 'A text field holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), which is no character the platform can store; remove it. Nothing was written.', { field });
}

interface Caller {
  userId: string;
  state: MigrationState;
  build: number;
}

/** The query parameters a line's auth scheme reads. */
function authQuery(d: Dialect): Record<string, { type: 'string'; maxLength: number }> {
  const s = { type: 'string', maxLength: 254 } as const;
  if (d.auth.kind === 'basic') return {};
  return d.auth.kind === 'api-key' ? { [d.auth.userParam]: s } : { [d.auth.userParam]: s, [d.auth.tokenParam]: s };
}

/**
 * The v1 facade of every legacy line, generated from its dialect
 * (contract/legacy/dialects.ts) — no per-line code: `POST <basePath>/sessions`
 * in the line's encoding and `GET <basePath>/sessions?since=`. A retired line
 * answers 410; then the line's auth (401 legacy-unauthenticated); uploads need
 * `User-Agent: <appName>/<build>` (400); the body's media type is the line's
 * (415, from the contract, see media-types.ts). Deprecated lines put
 * Deprecation and Sunset on every answer; every answer counts in the line's
 * traffic. Migration 007 holds the stores.
 */
export const legacyV1Routes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { db, clock } = services;
    await seedLegacyLines(db, await clock.now());
    const callers = new WeakMap<FastifyRequest, Caller>();

    for (const d of DIALECTS) {
      const countTraffic = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
        try {
          await db.query('UPDATE legacy_line_traffic SET requests = requests + 1, refused = refused + $2, deprecated_requests = deprecated_requests + $3 WHERE line = $1', [
            d.line,
            reply.statusCode >= 400 ? 1 : 0,
            d.deprecated ? 1 : 0,
          ]);
        } catch (err) {
          request.log.warn({ err, line: d.line }, 'legacy traffic not counted');
        }
        return payload;
      };
      const authenticate = (needsBuild: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
        if (d.deprecated) reply.header('deprecation', LEGACY_DEPRECATION).header('sunset', LEGACY_SUNSET);
        const { userId, state } = await authenticateLegacy(db, d, request);
        const build = appBuildOf(d, request.headers['user-agent']);
        if (needsBuild && build === null) {
          throw new ApiError('validation-failed', `User-Agent must be ${d.appName}/<build> (the old app and its build, which picks the dialect revision its records are read under); got ${JSON.stringify((request.headers['user-agent'] ?? '').slice(0, 100))}. Nothing was written.`, { field: 'User-Agent' });
        }
        callers.set(request, { userId, state, build: build ?? 0 });
      };
      const path = `${d.basePath}/sessions`;

      app.post(
        path,
        {
          onRequest: authenticate(true),
          onSend: countTraffic,
          schema: { querystring: { type: 'object', additionalProperties: false, properties: authQuery(d) }, response: { 200: ref('LegacyUploadResult') } },
        },
        async (request) => {
          const caller = callers.get(request)!;
          let raws;
          try {
            raws = splitBody(d, request.body);
          } catch (err) {
            if (err instanceof LegacyBodyError) throw new ApiError('validation-failed', `${err.message}. Nothing was written.`, { field: 'body' });
            throw err;
          }
          if (raws.length > MAX_LEGACY_RECORDS) throw new ApiError('validation-failed', `At most ${MAX_LEGACY_RECORDS} records a request; got ${raws.length}. Nothing was written.`, { field: 'body' });
          refuseLoneSurrogates(raws, 'body');
          return uploadLegacyRecords(services, d, caller.userId, caller.build, raws, request.log);
        },
      );

      app.get<{ Querystring: { since?: string } }>(
        path,
        {
          onRequest: authenticate(false),
          onSend: countTraffic,
          schema: {
            querystring: { type: 'object', additionalProperties: false, properties: { ...authQuery(d), since: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } } },
            response: { 200: ref('LegacyReadResult') },
          },
        },
        async (request) => {
          const caller = callers.get(request)!;
          const since = request.query.since === undefined ? null : Number(request.query.since);
          return readLegacySessions(db, d, caller.userId, caller.state, since);
        },
      );
    }
  };
