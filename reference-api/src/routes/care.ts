import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { requireFactory } from '../auth/factory-credential.ts';
import { hashPassword } from '../auth/passwords.ts';
import { inTransaction } from '../db/pool.ts';
import { SESSION_COLUMNS, toSession, type SessionRow } from './sessions.ts';

const uuidParam = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };
const ts = 'to_timestamp($1::double precision / 1000)';
const MAX_PERIOD_DAYS = 366;

/**
 * Privacy tiers. Telemetry is keyed by opaque ids; identity is promoted only by
 * the care-provider query, which needs a care-provider account, the patient's
 * standing consent, and writes an audit row (who joined identity to telemetry,
 * for which patient and period, how many rows, when) in the same statement.
 */
export const careRoutes =
  ({ db, clock, config, tokens }: Services): FastifyPluginAsync =>
  async (app) => {
    const auth = phoneAuth(tokens);
    // Care providers are registered by the platform operator (the factory credential in this reference).
    app.post<{ Body: { email: string; password: string; displayName: string } }>(
      '/v2/care-providers',
      { schema: { body: ref('CareProviderRegistration'), response: { 201: ref('Account') } }, onRequest: async (req) => requireFactory(req, config.factorySecret) },
      async (request, reply) => {
        const { email, password, displayName } = request.body;
        const hash = await hashPassword(password, config.passwordHashCost);
        const now = await clock.now();
        const row = await inTransaction(db, async (c) => {
          const { rows } = await c.query<{ account_id: string; created_at: Date }>(
            `INSERT INTO accounts (kind, created_at) VALUES ('care-provider', ${ts}) RETURNING account_id, created_at`,
            [now],
          );
          await c.query('INSERT INTO identity_accounts (account_id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)', [rows[0]!.account_id, email, displayName, hash]);
          return rows[0]!;
        }).catch((err: { code?: string }) => {
          if (err.code === '23505') throw new ApiError('email-taken', `An account for ${email} already exists.`, { field: 'email' });
          throw err;
        });
        return reply.code(201).send({ accountId: row.account_id, createdAt: row.created_at.toISOString() });
      },
    );

    app.put<{ Params: { providerAccountId: string } }>(
      '/v2/care/consents/:providerAccountId',
      { onRequest: auth, schema: { params: { type: 'object', properties: { providerAccountId: uuidParam } }, response: { 200: ref('Consent') } } },
      async (request) => {
        const me = principalOf(request);
        const provider = request.params.providerAccountId.toLowerCase();
        const { rows } = await db.query<{ granted_at: Date }>(
          `INSERT INTO identity_care_consents (patient_account_id, provider_account_id, granted_at)
           SELECT $2, account_id, ${ts} FROM accounts WHERE account_id = $3 AND kind = 'care-provider'
           ON CONFLICT (patient_account_id, provider_account_id) DO UPDATE SET granted_at = EXCLUDED.granted_at, revoked_at = NULL
           RETURNING granted_at`,
          [me.now, me.accountId, provider],
        );
        if (!rows[0]) throw new ApiError('not-found', `No care provider ${provider}.`, { field: 'providerAccountId' });
        return { patientAccountId: me.accountId, providerAccountId: provider, grantedAt: rows[0].granted_at.toISOString() };
      },
    );

    app.delete<{ Params: { providerAccountId: string } }>(
      '/v2/care/consents/:providerAccountId',
      { onRequest: auth, schema: { params: { type: 'object', properties: { providerAccountId: uuidParam } } } },
      async (request, reply) => {
        const me = principalOf(request);
        const { rowCount } = await db.query(
          `UPDATE identity_care_consents SET revoked_at = ${ts} WHERE patient_account_id = $2 AND provider_account_id = $3 AND revoked_at IS NULL`,
          [me.now, me.accountId, request.params.providerAccountId.toLowerCase()],
        );
        if (!rowCount) throw new ApiError('not-found', 'You have no standing consent for that care provider.', { field: 'providerAccountId' });
        return reply.code(204).send();
      },
    );

    app.get<{ Params: { patientAccountId: string }; Querystring: { from: string; to: string } }>(
      '/v2/care/patients/:patientAccountId/sessions',
      {
        onRequest: auth,
        schema: {
          params: { type: 'object', properties: { patientAccountId: uuidParam } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'to'],
            properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
          },
          response: { 200: ref('CarePatientSessions') },
        },
      },
      async (request) => {
        const me = principalOf(request);
        if (me.kind !== 'care-provider') throw new ApiError('forbidden', 'Only care-provider accounts may read a patient\'s sessions.', { field: 'Authorization' });
        const patient = request.params.patientAccountId.toLowerCase();
        const from = Date.parse(request.query.from);
        const to = Date.parse(request.query.to);
        if (!(to > from) || to - from > MAX_PERIOD_DAYS * 86_400_000) {
          throw new ApiError('validation-failed', `to must be after from, and the period at most ${MAX_PERIOD_DAYS} days.`, { field: 'to' });
        }
        // One statement: consent check, the identity-telemetry join, and its audit row.
        const { rows } = await db.query<SessionRow & { display_name: string; consented: boolean }>(
          `WITH consent AS (
             SELECT 1 FROM identity_care_consents
              WHERE patient_account_id = $2 AND provider_account_id = $3 AND revoked_at IS NULL
           ),
           joined AS (
             SELECT ${SESSION_COLUMNS}, i.display_name, row_number() OVER (ORDER BY s.started_at, s.device_id, s.seq) AS ord
               FROM identity_accounts i
               JOIN sessions s ON s.account_id = i.account_id
               JOIN consumables c ON c.head_id = s.head_id
              WHERE i.account_id = $2 AND EXISTS (SELECT 1 FROM consent)
                AND s.started_at >= to_timestamp($4::double precision / 1000) AND s.started_at < to_timestamp($5::double precision / 1000)
              ORDER BY s.started_at, s.device_id, s.seq
              LIMIT 10000
           ),
           audit AS (
             INSERT INTO identity_join_audit (provider_account_id, patient_account_id, purpose, period_from, period_to, rows_returned, occurred_at)
             SELECT $3, $2, 'care-provider-sessions', to_timestamp($4::double precision / 1000), to_timestamp($5::double precision / 1000),
                    (SELECT count(*) FROM joined), ${ts}
              WHERE EXISTS (SELECT 1 FROM consent)
           )
           SELECT j.*, true AS consented FROM joined j
           UNION ALL
           -- The marker row: one NULL per SESSION_COLUMNS column.
           SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                  (SELECT display_name FROM identity_accounts WHERE account_id = $2), 9223372036854775807, EXISTS (SELECT 1 FROM consent)
           ORDER BY ord`,
          [me.now, patient, me.accountId, from, to],
        );
        const marker = rows[rows.length - 1]!;
        if (!marker.consented) throw new ApiError('consent-required', 'This patient has not granted you consent (or revoked it).', { field: 'patientAccountId' });
        return {
          patient: { accountId: patient, displayName: marker.display_name },
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          sessions: rows.slice(0, -1).map(toSession),
        };
      },
    );
  };
