import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { params } from '../../../contract/schemas.ts';
import { checkOffer } from '../ota/offers.ts';
import { prepareReports, storeReports } from '../ota/reports.ts';

/**
 * The phone's OTA routes: ask whether an update applies to one of the
 * caller's devices, and relay the device-signed reports of how it went. Like
 * every phone route, they authenticate first (onRequest).
 */
export const otaPhoneRoutes =
  ({ db, keys, tokens }: Services): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', phoneAuth(tokens));

    app.post<{ Params: { deviceId: string } }>(
      '/v2/devices/:deviceId/ota/check',
      { schema: { params: { type: 'object', properties: { deviceId: params.deviceId } }, response: { 200: ref('OtaOffer') } } },
      async (request) => {
        const me = principalOf(request);
        return checkOffer(db, Number(request.params.deviceId), me.accountId, me.now);
      },
    );

    app.post<{ Body: { reports: string[] } }>(
      '/v2/ota/reports',
      { schema: { body: ref('OtaReportRequest'), response: { 200: ref('OtaReportResponse') } } },
      async (request, reply) => {
        const me = principalOf(request);
        const body = await storeReports(db, keys, me.accountId, prepareReports(request.body.reports), me.now);
        if (body.counts.rejected > 0 && body.counts.stored === 0 && body.counts.duplicate === 0) {
          const first = body.results.find((r) => r.verdict === 'rejected');
          return reply
            .code(422)
            .type('application/problem+json')
            .serializer(JSON.stringify)
            .send({
              ...new ApiError('ota-report-rejected', `All ${body.counts.rejected} reports were rejected; the first: ${first?.code} (${first?.detail}). See results for each report.`, { field: 'reports' }).toProblem(request.url),
              ...body,
            });
        }
        return body;
      },
    );
  };
