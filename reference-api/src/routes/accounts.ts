import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { hashPassword } from '../auth/passwords.ts';
import { inTransaction } from '../db/pool.ts';

interface SignUp {
  email: string;
  password: string;
  displayName: string;
}

export const accountRoutes =
  ({ db, clock, config }: Services): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: SignUp }>(
      '/v2/accounts',
      { schema: { body: ref('SignUpRequest'), response: { 201: ref('Account') } } },
      async (request, reply) => {
        const { email, password, displayName } = request.body;
        const passwordHash = await hashPassword(password, config.passwordHashCost);
        const now = await clock.now();
        const account = await inTransaction(db, async (c) => {
          const taken = await c.query('SELECT 1 FROM identity_accounts WHERE lower(email) = lower($1)', [email]);
          if (taken.rowCount) throw new ApiError('email-taken', `An account for ${email} already exists; sign in instead.`, { field: 'email' });
          const { rows } = await c.query<{ account_id: string; created_at: Date }>(
            `INSERT INTO accounts (created_at) VALUES (to_timestamp($1::double precision / 1000)) RETURNING account_id, created_at`,
            [now],
          );
          const row = rows[0]!;
          await c.query(
            'INSERT INTO identity_accounts (account_id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)',
            [row.account_id, email, displayName, passwordHash],
          );
          await c.query(
            `INSERT INTO events (kind, account_id, occurred_at) VALUES ('account.created', $1, to_timestamp($2::double precision / 1000))`,
            [row.account_id, now],
          );
          return row;
        }).catch((err: { code?: string }) => {
          // Two sign-ups racing for one email: the unique index decides.
          if (err.code === '23505') throw new ApiError('email-taken', `An account for ${email} already exists; sign in instead.`, { field: 'email' });
          throw err;
        });
        return reply.code(201).send({ accountId: account.account_id, createdAt: account.created_at.toISOString() });
      },
    );
  };
