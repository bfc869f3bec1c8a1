import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { requireFactory } from '../auth/factory-credential.ts';
import { params } from '../../../contract/schemas.ts';
import type { RolloutAction, RolloutGate, RolloutPolicy, RolloutStage } from '../../../contract/ota-rollout.ts';
import { createRelease, loadRelease, ReleaseKeys, toRelease, type ReleaseRequest } from '../ota/releases.ts';
import { resolveRolloutSpec } from '../ota/rollout-spec.ts';
import { applyAction, createRollout, loadRollout, rolloutStatus } from '../ota/rollouts.ts';
import { runOtaHealthMonitor, scheduleOtaHealthMonitor } from '../ota/monitor.ts';
import { registerDigestTable, registerTestbedJob } from './testbed.ts';
import { foldHeartbeats } from '../ota/heartbeat.ts';

// The OTA domain tables the testbed state digest covers.
registerDigestTable('ota_releases', 'release_id');
registerDigestTable('ota_rollouts', 'rollout_id');
registerDigestTable('ota_rollout_devices', 'rollout_id, device_id');
registerDigestTable('ota_reports', 'device_id, seq');
registerDigestTable('ota_devices', 'device_id', foldHeartbeats);
registerTestbedJob('ota-health-monitor', (services) => runOtaHealthMonitor(services));

const releaseParams = { type: 'object', properties: { releaseId: params.releaseId } };
const rolloutParams = { type: 'object', properties: { rolloutId: params.rolloutId } };

/**
 * The platform operator's OTA routes: firmware releases (signed by a trusted
 * release key) and staged rollouts with their actions. The factory credential
 * (X-Factory-Credential) is the operator credential of the reference API; a
 * phone's token is refused (403). Outside test mode the fleet-health monitor
 * also runs here on a wall-clock interval (config.otaMonitorIntervalSeconds).
 */
export const otaOperatorRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { db, clock, config } = services;
    const releaseKeys = new ReleaseKeys(config.releasePublicKeys);
    const operator = { onRequest: async (request: Parameters<typeof requireFactory>[0]) => requireFactory(request, config.factorySecret) };

    if (!config.testMode) {
      const stop = scheduleOtaHealthMonitor(services, config.otaMonitorIntervalSeconds, app.log);
      app.addHook('onClose', async () => stop());
    }

    app.post<{ Body: ReleaseRequest }>(
      '/v2/ota/releases',
      { ...operator, schema: { body: ref('FirmwareReleaseRequest'), response: { 201: ref('FirmwareRelease') } } },
      async (request, reply) => reply.code(201).send(toRelease(await createRelease(db, releaseKeys, request.body, await clock.now()))),
    );

    app.get<{ Params: { releaseId: string } }>(
      '/v2/ota/releases/:releaseId',
      { ...operator, schema: { params: releaseParams, response: { 200: ref('FirmwareRelease') } } },
      async (request) => toRelease(await loadRelease(db, request.params.releaseId.toLowerCase())),
    );

    app.post<{ Body: { releaseId: string; rolloutId?: string; policy: RolloutPolicy; stages: RolloutStage[]; gate?: Partial<RolloutGate> } }>(
      '/v2/ota/rollouts',
      { ...operator, schema: { body: ref('RolloutRequest'), response: { 201: ref('Rollout') } } },
      async (request, reply) => {
        const spec = resolveRolloutSpec(request.body);
        const row = await createRollout(db, request.body.releaseId.toLowerCase(), spec, await clock.now(), request.body.rolloutId?.toLowerCase());
        return reply.code(201).send(await rolloutStatus(db, row));
      },
    );

    app.get<{ Params: { rolloutId: string } }>(
      '/v2/ota/rollouts/:rolloutId',
      { ...operator, schema: { params: rolloutParams, response: { 200: ref('Rollout') } } },
      async (request) => rolloutStatus(db, await loadRollout(db, request.params.rolloutId.toLowerCase())),
    );

    app.post<{ Params: { rolloutId: string }; Body: { action: RolloutAction; reason?: string } }>(
      '/v2/ota/rollouts/:rolloutId/actions',
      { ...operator, schema: { params: rolloutParams, body: ref('RolloutActionRequest'), response: { 200: ref('Rollout') } } },
      async (request) => {
        const row = await applyAction(db, request.params.rolloutId.toLowerCase(), request.body.action, request.body.reason, await clock.now());
        return rolloutStatus(db, row);
      },
    );
  };
