import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { params } from '../../../contract/schemas.ts';

/**
 * The domain tables whose content the state digest covers, each with the
 * columns that order it. Bookkeeping (tokens, challenges, idempotency keys) is
 * deliberately left out: it changes on every request, the domain must not.
 */
export const DIGEST_TABLES: ReadonlyArray<{ table: string; orderBy: string }> = [
  { table: 'accounts', orderBy: 'account_id' },
  { table: 'identity_accounts', orderBy: 'account_id' },
  { table: 'devices', orderBy: 'device_id' },
  { table: 'events', orderBy: 'event_id' },
  { table: 'consumables', orderBy: 'head_id' },
  { table: 'sessions', orderBy: 'device_id, seq' },
  { table: 'identity_care_consents', orderBy: 'patient_account_id, provider_account_id' },
  { table: 'identity_join_audit', orderBy: 'audit_id' },
];

const extraDigestTables: Array<{ table: string; orderBy: string; settle?: DigestSettle }> = [];
/** Later migrations' route modules add their tables here. */
export function registerDigestTable(table: string, orderBy: string, settle?: DigestSettle): void {
  if (![...DIGEST_TABLES, ...extraDigestTables].some((t) => t.table === table)) extraDigestTables.push({ table, orderBy, settle });
}
/** The last instant an ECMAScript Date holds (SetClockRequest's maximum): the clock never passes it. */
const MAX_EPOCH_MS = 8_640_000_000_000_000;

/** Brings a table up to date before it is hashed (e.g. folds queued heartbeats), so the digest is the same whenever it is taken. */
export type DigestSettle = (db: Services['db']) => Promise<unknown>;

/** A scheduled job the testbed can run now, on the virtual clock; its result is the hook's `result`. */
export type TestbedJob = (services: Services) => Promise<object>;
const jobs = new Map<string, TestbedJob>();
/** Route modules register their scheduled jobs (e.g. ota-health-monitor) here. */
export function registerTestbedJob(name: string, run: TestbedJob): void {
  jobs.set(name, run);
}

/**
 * Testbed hooks, mounted only in test mode (absent, so 404, otherwise): the
 * virtual clock every time rule reads, a digest of the domain state for
 * no-side-effect checks, and running a scheduled job now.
 */
export const testbedRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { db, clock, config } = services;
    // The time rules of uploads are declared with the clock they read: the harness judges verdicts by them.
    const timeRules = { lateWindowSeconds: config.lateWindowSeconds, futureSkewSeconds: config.futureSkewSeconds };
    const clockBody = (ms: number) => ({ epochMs: ms, iso: new Date(ms).toISOString(), timeRules });

    app.get('/testbed/clock', { schema: { response: { 200: ref('Clock') } } }, async () => clockBody(await clock.now()));

    app.put<{ Body: { epochMs?: number; advanceMs?: number } }>(
      '/testbed/clock',
      { schema: { body: ref('SetClockRequest'), response: { 200: ref('Clock') } } },
      async (request) => {
        const { epochMs, advanceMs } = request.body;
        const { rows } = await db.query<{ now_ms: number; before_ms: number }>(
          `WITH before AS (SELECT now_ms FROM testbed_clock FOR UPDATE)
           UPDATE testbed_clock t SET now_ms = COALESCE($1::bigint, before.now_ms + $2::bigint)
             FROM before WHERE COALESCE($1::bigint, before.now_ms + $2::bigint) >= before.now_ms
               AND COALESCE($1::bigint, before.now_ms + $2::bigint) <= ${MAX_EPOCH_MS}
           RETURNING t.now_ms, before.now_ms AS before_ms`,
          [epochMs ?? null, advanceMs ?? null],
        );
        if (!rows[0]) {
          const now = await clock.now();
          // advanceMs past the last instant a Date can hold (the schema bounds each field, not their sum). Found by the route fuzzer.
          if (advanceMs !== undefined && now + advanceMs > MAX_EPOCH_MS) {
            throw new ApiError('validation-failed', `advanceMs ${advanceMs} would take the virtual clock (${now}) past ${MAX_EPOCH_MS}, the last instant a date can hold; advance by at most ${MAX_EPOCH_MS - now}.`, { field: 'advanceMs' });
          }
          throw new ApiError('clock-backwards', `The virtual clock is at ${new Date(now).toISOString()} (${now}); it cannot be set to ${epochMs}.`, { field: 'epochMs' });
        }
        return clockBody(rows[0].now_ms);
      },
    );

    app.post<{ Params: { name: string } }>(
      '/testbed/jobs/:name',
      { schema: { params: { type: 'object', properties: { name: params.jobName } }, response: { 200: ref('TestbedJobRun') } } },
      async (request) => {
        const job = jobs.get(request.params.name);
        if (!job) throw new ApiError('not-found', `No job ${request.params.name}; the jobs are: ${[...jobs.keys()].sort().join(', ') || 'none'}.`, { field: 'name' });
        const ranAt = await clock.now();
        return { job: request.params.name, ranAt: new Date(ranAt).toISOString(), result: await job(services) };
      },
    );

    app.get('/testbed/digest', { schema: { response: { 200: ref('StateDigest') } } }, async () => {
      for (const t of extraDigestTables) await t.settle?.(db);
      const all = [...DIGEST_TABLES, ...extraDigestTables];
      const tables: Record<string, { rows: number; digest: string }> = {};
      const overall = createHash('sha256');
      for (const { table, orderBy } of all) {
        const { rows } = await db.query<{ n: number; d: string | null }>(
          `SELECT count(*)::int AS n, md5(string_agg(md5(t::text), '' ORDER BY ${orderBy})) AS d FROM ${table} t`,
        );
        const r = rows[0]!;
        tables[table] = { rows: r.n, digest: r.d ?? 'empty' };
        overall.update(`${table}:${r.n}:${r.d ?? 'empty'}\n`);
      }
      return { digest: overall.digest('hex'), tables };
    });
  };
