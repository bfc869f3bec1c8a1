import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { clockInSql } from '../clock.ts';
import { ApiError } from '../errors.ts';
import { hashPassword } from '../auth/passwords.ts';

interface SignUp {
  email: string;
  password: string;
  displayName: string;
}

export const accountRoutes =
  ({ db, clock, config }: Services): FastifyPluginAsync =>
  async (app) => {
    // The clock inside each statement (test mode: the testbed_clock row): see clockInSql.
    const { nowMs, variant, withClock } = clockInSql(clock);

    // The account, its identity row and account.created in one statement (atomic on its own).
    // An email already taken (case-insensitively, also by a sign-up racing this one) is a unique
    // violation of identity_accounts_email, and the statement writes nothing.
    const SIGN_UP = {
      name: `fleetbed-sign-up-${variant}`,
      text: `WITH account AS (
               INSERT INTO accounts (created_at) VALUES (to_timestamp(${nowMs(4)} / 1000)) RETURNING account_id, created_at
             ), identity AS (
               INSERT INTO identity_accounts (account_id, email, display_name, password_hash)
               SELECT account_id, $1::text, $2::text, $3::text FROM account
             ), created AS (
               INSERT INTO events (kind, account_id, occurred_at) SELECT 'account.created', account_id, created_at FROM account
             )
             SELECT account_id, created_at FROM account`,
    };

    app.post<{ Body: SignUp }>(
      '/v2/accounts',
      { schema: { body: ref('SignUpRequest'), response: { 201: ref('Account') } } },
      async (request, reply) => {
        const { email, password, displayName } = request.body;
        const passwordHash = await hashPassword(password, config.passwordHashCost);
        const { rows } = await db.query<{ account_id: string; created_at: Date }>({ ...SIGN_UP, values: await withClock([email, displayName, passwordHash]) }).catch((err: { code?: string; constraint?: string }) => {
          if (err.code === '23505' && err.constraint === 'identity_accounts_email') {
            throw new ApiError('email-taken', `An account for ${email} already exists; sign in instead.`, { field: 'email' });
          }
          throw err;
        });
        const account = rows[0]!;
        return reply.code(201).send({ accountId: account.account_id, createdAt: account.created_at.toISOString() });
      },
    );
  };
