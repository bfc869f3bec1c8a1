import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { hashPassword } from '../auth/passwords.ts';
import { SignUpStore } from '../auth/store.ts';

interface SignUp {
  email: string;
  password: string;
  displayName: string;
}

export const accountRoutes =
  ({ db, clock, config }: Services): FastifyPluginAsync =>
  async (app) => {
    // The account, its identity row and account.created, atomic; concurrent sign-ups share a
    // statement (see SignUpStore). An email already taken (case-insensitively, also by a sign-up
    // racing this one) is a unique violation of identity_accounts_email, and nothing is written.
    const store = new SignUpStore(db, clock);

    app.post<{ Body: SignUp }>(
      '/v2/accounts',
      { schema: { body: ref('SignUpRequest'), response: { 201: ref('Account') } } },
      async (request, reply) => {
        const { email, password, displayName } = request.body;
        const passwordHash = await hashPassword(password, config.passwordHashCost);
        const account = await store.signUp({ email, displayName, passwordHash }).catch((err: { code?: string; constraint?: string }) => {
          if (err.code === '23505' && err.constraint === 'identity_accounts_email') {
            throw new ApiError('email-taken', `An account for ${email} already exists; sign in instead.`, { field: 'email' });
          }
          throw err;
        });
        return reply.code(201).send({ accountId: account.accountId, createdAt: account.createdAt.toISOString() });
      },
    );
  };
