import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { prepareRecords, uploadHash, type PreparedRecord } from '../ingestion/prepare.ts';
import { recheckDuplicates, UploadStore, type StoreOutcome } from '../ingestion/store.ts';
import { assemble, judge } from '../ingestion/judge.ts';
import { readDeviceKeys } from '../keys.ts';
import type { UploadResponse } from '../ingestion/verdicts.ts';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * POST /v2/uploads — a phone's batch of device-signed session records.
 *
 * - Every record gets a verdict: stored, duplicate, or rejected with a code; one
 *   bad record never loses the good ones. If none is stored or duplicate, the
 *   answer is 422 upload-rejected carrying the same per-record results.
 * - A record is (device, seq): stored exactly once, whoever relays it, however often.
 * - Idempotency-Key (required; scoped to the account; kept idempotencyKeyTtlSeconds
 *   of platform time): same key + same body → the original response again, with
 *   `Idempotent-Replayed: true`, nothing written; same key + different body →
 *   409 idempotency-key-reused, nothing written. A request that arrives while
 *   another with the same key is running waits for it, then gets its response
 *   (or the 409). The key is written atomically with the records: there is no
 *   half-done state to recover from.
 */
export const uploadRoutes =
  ({ db, config, keys, tokens }: Services): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', phoneAuth(tokens));
    const loadKeys = readDeviceKeys(db);
    const store = new UploadStore(db, {
      maxInFlight: config.uploadStatementsInFlight,
      maxRecords: Math.max(512, config.maxRecordsPerUpload),
      foldHeartbeatsEvery: 20_000,
      onFoldError: (err) => app.log.error({ err }, 'folding the OTA heartbeat queue failed; the rows stay queued for the next fold'),
    });
    app.post<{ Body: { records: string[] } }>(
      '/v2/uploads',
      { schema: { body: ref('UploadRequest'), response: { 200: ref('UploadResponse') } } },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined) {
          throw new ApiError('idempotency-key-required', 'Send an Idempotency-Key header (8–64 characters of A-Z a-z 0-9 - _), the same on every retry of this batch.', { field: 'Idempotency-Key' });
        }
        if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
          throw new ApiError('validation-failed', `Idempotency-Key must be 8–64 characters of A-Z a-z 0-9 - _, got ${JSON.stringify(key).slice(0, 80)}.`, { field: 'Idempotency-Key' });
        }
        const me = principalOf(request);
        const { records } = request.body;
        if (records.length > config.maxRecordsPerUpload) {
          throw new ApiError('payload-too-large', `An upload holds at most ${config.maxRecordsPerUpload} records; got ${records.length}. Split the batch.`, { field: 'records' });
        }
        const prepared = prepareRecords(records);
        const requestHash = uploadHash(records);

        // This upload's device keys, in a map of its own (see KeyCache.keysOf).
        const deviceKeys = await keys.keysOf(prepared.map((p) => p.record.deviceId), loadKeys);
        const { judged, candidates } = judge(prepared, me.now, deviceKeys, config);

        for (let attempt = 0; ; attempt++) {
          const result = await store.store({ accountId: me.accountId, key, requestHash, now: me.now, candidates, judged });
          if (result.fresh) {
            const outcome = await recheckDuplicates(db, { accountId: me.accountId, key, candidates }, result.outcome);
            return send(reply, assemble(prepared, outcome), request.url, false);
          }
          const previous = await db.query<{ request_hash: Buffer; outcome: StoreOutcome; expired: boolean }>(
            `SELECT request_hash, outcome, created_at < to_timestamp(($3::double precision - $4) / 1000) AS expired
               FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
            [me.accountId, key, me.now, config.idempotencyKeyTtlSeconds * 1000],
          );
          const row = previous.rows[0];
          if (row && !row.expired) {
            if (!row.request_hash.equals(requestHash)) {
              throw new ApiError('idempotency-key-reused', 'This Idempotency-Key was already used with a different body; use a new key for a new batch.', { field: 'Idempotency-Key' });
            }
            return send(reply, assemble(prepared, row.outcome), request.url, true);
          }
          // The key lapsed (or vanished): forget it and store afresh, once.
          if (attempt > 0) throw new Error(`Idempotency-Key ${key} could be neither claimed nor read`);
          await db.query('DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at < to_timestamp(($3::double precision - $4) / 1000)', [me.accountId, key, me.now, config.idempotencyKeyTtlSeconds * 1000]);
        }
      },
    );
  };

function send(reply: FastifyReply, body: UploadResponse, instance: string, replayed: boolean) {
  if (replayed) reply.header('idempotent-replayed', 'true');
  const { counts } = body;
  if (counts.rejected > 0 && counts.stored === 0 && counts.duplicate === 0) {
    const first = body.results.find((r) => r.verdict === 'rejected');
    return reply
      .code(422)
      .type('application/problem+json')
      .serializer(JSON.stringify)
      .send({
        type: 'https://fleetbed.dev/problems/upload-rejected',
        title: 'No record of the upload was accepted',
        status: 422,
        code: 'upload-rejected',
        detail: `All ${counts.rejected} records were rejected; the first: ${first && 'code' in first ? `${first.code} (${first.detail})` : 'unknown'}. See results for each record.`,
        field: 'records',
        instance,
        ...body,
      });
  }
  return reply.code(200).send(body);
}

export type { PreparedRecord };
