import type { FastifyPluginAsync } from 'fastify';
import { dialectProblems, type DialectRevision } from '../../../contract/legacy/dialect.ts';
import { dialectOf, LEGACY_LINES } from '../../../contract/legacy/dialects.ts';
import type { LegacyFaultsRequest, LegacyUsersRequest } from '../../../contract/legacy/wire.ts';
import { params } from '../../../contract/schemas.ts';
import { ref, type Services } from '../app.ts';
import { inTransaction } from '../db/pool.ts';
import { ApiError } from '../errors.ts';
import { hashLegacySecret } from '../legacy/authenticate.ts';
import { deployedRevisions, dialectFor, lineStatus, loadLine, tsParam } from '../legacy/lines.ts';
import { refuseLoneSurrogates } from './legacy-v1.ts';

/**
 * Testbed hooks of the legacy lines (test mode only): deploy a customization to
 * a line's old API (its next dialect revision), create the old system's
 * existing users, and set the dual-write fault.
 */
export const legacyTestbedRoutes =
  ({ db, clock }: Services): FastifyPluginAsync =>
  async (app) => {
    app.put<{ Params: { line: string }; Body: DialectRevision }>(
      '/testbed/legacy/lines/:line/revisions',
      { schema: { params: { type: 'object', properties: { line: params.legacyLine } }, body: ref('DialectRevision'), response: { 200: ref('LegacyLineStatus') } } },
      async (request) => {
        const d = dialectFor(request.params.line);
        const next = request.body;
        refuseLoneSurrogates(next, 'fields');
        await inTransaction(db, async (client) => {
          await loadLine(client, d.line, 'FOR UPDATE'); // one deploy at a time per line
          const deployed = await deployedRevisions(client, d.line);
          const last = deployed[deployed.length - 1]!;
          if (next.revision !== last.revision + 1) throw new ApiError('validation-failed', `revision must be ${last.revision + 1} (the deployed revision is ${last.revision}); got ${next.revision}.`, { field: 'revision' });
          if (next.appBuild <= last.appBuild) throw new ApiError('validation-failed', `appBuild must be above revision ${last.revision}'s ${last.appBuild}; got ${next.appBuild}.`, { field: 'appBuild' });
          const problems = dialectProblems({ ...d, revisions: [...deployed, next] });
          if (problems.length > 0) throw new ApiError('validation-failed', `The revision does not fit the dialect: ${problems.join('; ')}.`, { field: 'fields' });
          await client.query(`INSERT INTO legacy.dialect_revisions (line, revision, spec, deployed_at) VALUES ($1, $2, $3, ${tsParam(4)})`, [d.line, next.revision, JSON.stringify(next), await clock.now(client)]);
        });
        return lineStatus(db, d.line);
      },
    );

    app.post<{ Body: LegacyUsersRequest }>('/testbed/legacy/users', { schema: { body: ref('LegacyUsersRequest') } }, async (request, reply) => {
      const { users } = request.body;
      users.forEach((u, i) => {
        if (!dialectOf(u.line)) throw new ApiError('validation-failed', `users.${i}.line: no legacy line ${u.line}; the lines are ${LEGACY_LINES.join(', ')}.`, { field: `users.${i}.line` });
      });
      await db.query(
        `INSERT INTO legacy.users (line, user_id, secret_hash, created_at)
         SELECT line, user_id, secret_hash, ${tsParam(4)} FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u(line, user_id, secret_hash)
         ON CONFLICT (line, user_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash`,
        [users.map((u) => u.line), users.map((u) => u.userId), users.map((u) => hashLegacySecret(u.secret)), await clock.now()],
      ).catch((err: { code?: string }) => {
        // The same user twice in one request.
        if (err.code === '21000') throw new ApiError('validation-failed', 'users lists the same line and userId twice; send each user once.', { field: 'users' });
        throw err;
      });
      return reply.code(204).send();
    });

    app.put<{ Body: LegacyFaultsRequest }>('/testbed/legacy/faults', { schema: { body: ref('LegacyFaultsRequest'), response: { 200: ref('LegacyFaultsRequest') } } }, async (request) => {
      const { rows } = await db.query<{ n: number }>('UPDATE legacy_testbed_faults SET v2_write_failure_per_mille = $1 RETURNING v2_write_failure_per_mille AS n', [request.body.v2WriteFailurePerMille]);
      return { v2WriteFailurePerMille: rows[0]!.n };
    });
  };
