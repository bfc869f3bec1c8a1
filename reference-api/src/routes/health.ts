import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';

export const healthRoutes =
  ({ db }: Services): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', { schema: { response: { 200: ref('Health') } } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { response: { 200: ref('Health'), 503: ref('Health') } } }, async (_req, reply) => {
      try {
        await db.query('SELECT 1');
        return { status: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'unavailable' });
      }
    });
  };
