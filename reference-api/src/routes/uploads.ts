import type { FastifyPluginAsync } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { requireAccount } from '../auth/require-account.ts';
import { verifyEd25519 } from '../keys.ts';
import { prepareRecords, sessionRecordSigningBytes, uploadHash, type PreparedRecord } from '../ingestion/prepare.ts';
import { recordKey, storedCopiesMatch, storeRecords } from '../ingestion/store.ts';
import { rejected, summarize, type RecordVerdict, type UploadResponse } from '../ingestion/verdicts.ts';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;
/** An in-flight key whose request has not finished after this long (wall time) is considered abandoned. */
const ABANDONED_AFTER_MS = 30_000;
const RELEASED = Symbol('released');

/**
 * POST /v2/uploads — a phone's batch of device-signed session records.
 *
 * Semantics (see README, "Uploads"):
 * - every record gets a verdict: stored, duplicate, or rejected with a code; one
 *   bad record never loses the good ones. If no record is stored or duplicate,
 *   the answer is 422 upload-rejected carrying the same per-record results.
 * - a record is (device, seq): stored exactly once, whoever relays it, however often.
 * - Idempotency-Key (required, per account, kept idempotencyKeyTtlSeconds):
 *   same key + same body → the stored response, with Idempotent-Replayed: true,
 *   nothing written; same key + different body → 409 idempotency-key-reused;
 *   while the first request with a key is still running → 409
 *   idempotency-key-in-flight with Retry-After: 1.
 */
export const uploadRoutes =
  ({ db, clock, config, keys }: Services): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: { records: string[] } }>(
      '/v2/uploads',
      { schema: { body: ref('UploadRequest'), response: { 200: ref('UploadResponse') } } },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined) throw new ApiError('idempotency-key-required', 'Send an Idempotency-Key header (8–64 characters of A-Z a-z 0-9 - _), the same on every retry of this batch.', { field: 'Idempotency-Key' });
        if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
          throw new ApiError('validation-failed', `Idempotency-Key must be 8–64 characters of A-Z a-z 0-9 - _, got ${JSON.stringify(key).slice(0, 80)}.`, { field: 'Idempotency-Key' });
        }
        const me = await requireAccount(request, db, clock);
        const { records } = request.body;
        if (records.length > config.maxRecordsPerUpload) {
          throw new ApiError('payload-too-large', `An upload holds at most ${config.maxRecordsPerUpload} records; got ${records.length}. Split the batch.`, { field: 'records' });
        }
        const prepared = prepareRecords(records);
        const requestHash = uploadHash(records);

        // Verify and judge time in-process, before touching the database.
        const results: (RecordVerdict | undefined)[] = new Array(prepared.length);
        const missing = [...new Set(prepared.filter((p) => !keys.peek(p.record.deviceId)).map((p) => p.record.deviceId))];
        if (missing.length > 0) {
          const { rows } = await db.query<{ device_id: number; public_key: Buffer }>('SELECT device_id, public_key FROM devices WHERE device_id = ANY($1::bigint[])', [missing]);
          for (const r of rows) keys.get(r.device_id, r.public_key);
        }
        const nowS = me.now / 1000;
        const seen = new Set<string>();
        const candidates: PreparedRecord[] = [];
        for (const p of prepared) {
          const { deviceId, seq, startedAt } = p.record;
          const k = recordKey(deviceId, seq);
          const publicKey: KeyObject | undefined = keys.peek(deviceId);
          if (!publicKey) results[p.index] = rejected(deviceId, seq, 'device-not-bonded');
          else if (!verifyEd25519(publicKey, sessionRecordSigningBytes(p.recordBytes), p.signature)) results[p.index] = rejected(deviceId, seq, 'signature-invalid');
          else if (nowS - startedAt > config.lateWindowSeconds) {
            results[p.index] = rejected(deviceId, seq, 'too-late', `the record started ${Math.floor((nowS - startedAt) / 86400)} days before the platform clock; the late window is ${config.lateWindowSeconds / 86400} days`);
          } else if (startedAt - nowS > config.futureSkewSeconds) {
            results[p.index] = rejected(deviceId, seq, 'too-far-in-future', `the record starts ${Math.round(startedAt - nowS)} s after the platform clock; at most ${config.futureSkewSeconds} s is allowed`);
          } else if (seen.has(k)) results[p.index] = { deviceId, seq, verdict: 'duplicate' };
          else {
            seen.add(k);
            candidates.push(p);
          }
        }

        const store = () => storeRecords(db, { accountId: me.accountId, key, requestHash, now: me.now, candidates });
        let outcome = await store();
        if (!outcome.fresh) {
          const replayed = await replay(reply, me.accountId, key, requestHash, me.now);
          if (replayed !== RELEASED) return replayed;
          outcome = await store();
          if (!outcome.fresh) return replay(reply, me.accountId, key, requestHash, me.now);
        }

        try {
          const unstored = candidates.filter((p) => outcome.owned.has(p.record.deviceId) && !outcome.stored.has(recordKey(p.record.deviceId, p.record.seq)));
          const same = unstored.length > 0 ? await storedCopiesMatch(db, unstored) : new Map<string, boolean>();
          for (const p of candidates) {
            const { deviceId, seq } = p.record;
            const k = recordKey(deviceId, seq);
            if (outcome.stored.has(k)) results[p.index] = { deviceId, seq, verdict: 'stored' };
            else if (!outcome.owned.has(deviceId)) results[p.index] = rejected(deviceId, seq, 'device-not-bonded');
            else if (same.get(k) === false) results[p.index] = rejected(deviceId, seq, 'seq-conflict');
            else results[p.index] = { deviceId, seq, verdict: 'duplicate' };
          }
          const body = summarize(results as RecordVerdict[]);
          const allRejected = body.counts.rejected > 0 && body.counts.stored === 0 && body.counts.duplicate === 0;
          const status = allRejected ? 422 : 200;
          const payload = allRejected ? rejectedProblem(body, request.url) : body;
          await db.query('UPDATE idempotency_keys SET status = $3, response = $4 WHERE account_id = $1 AND key = $2', [me.accountId, key, status, payload]);
          return send(reply, status, payload);
        } catch (err) {
          // Release the key so the phone's retry is processed afresh (stored records then come back as duplicates).
          await db.query('DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND response IS NULL', [me.accountId, key]).catch(() => {});
          throw err;
        }
      },
    );

    function send(reply: import('fastify').FastifyReply, status: number, payload: unknown) {
      if (status === 200) return reply.code(200).send(payload);
      return reply.code(status).type('application/problem+json').serializer(JSON.stringify).send(payload);
    }

    async function replay(reply: import('fastify').FastifyReply, accountId: string, key: string, requestHash: Buffer, now: number) {
      const { rows } = await db.query<{ request_hash: Buffer; status: number | null; response: unknown; expired: boolean; abandoned: boolean }>(
        `SELECT request_hash, status, response,
                created_at < to_timestamp(($3::double precision - $4) / 1000) AS expired,
                started_wall < clock_timestamp() - make_interval(secs => $5) AS abandoned
           FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
        [accountId, key, now, config.idempotencyKeyTtlSeconds * 1000, ABANDONED_AFTER_MS / 1000],
      );
      const row = rows[0];
      if (!row || row.expired || (row.status === null && row.abandoned)) {
        // The key has lapsed (or its first request died): forget it and process this request afresh.
        await db.query('DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND request_hash = $3', [accountId, key, row?.request_hash ?? requestHash]);
        return RELEASED;
      }
      if (!row.request_hash.equals(requestHash)) {
        throw new ApiError('idempotency-key-reused', 'This Idempotency-Key was already used with a different body; use a new key for a new batch.', { field: 'Idempotency-Key' });
      }
      if (row.status === null) {
        throw new ApiError('idempotency-key-in-flight', 'The first request with this Idempotency-Key is still being processed; retry shortly to get its response.', { field: 'Idempotency-Key', headers: { 'retry-after': '1' } });
      }
      reply.header('idempotent-replayed', 'true');
      return send(reply, row.status, row.response);
    }
  };

function rejectedProblem(body: UploadResponse, instance: string) {
  const first = body.results.find((r) => r.verdict === 'rejected');
  return {
    type: 'https://fleetbed.dev/problems/upload-rejected',
    title: 'No record of the upload was accepted',
    status: 422,
    code: 'upload-rejected',
    detail: `All ${body.counts.rejected} records were rejected; the first: ${first && 'code' in first ? `${first.code} (${first.detail})` : 'unknown'}. See results for each record.`,
    field: 'records',
    instance,
    ...body,
  };
}
