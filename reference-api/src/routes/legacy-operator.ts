import type { FastifyPluginAsync } from 'fastify';
import type { DialectRevision, MigrationState } from '../../../contract/legacy/dialect.ts';
import { params } from '../../../contract/schemas.ts';
import { ref, type Services } from '../app.ts';
import { requireFactory } from '../auth/factory-credential.ts';
import { dialectFor, lineStatus, lineStatuses } from '../legacy/lines.ts';
import { changeLineState, setLineGate, setLineMapping } from '../legacy/migration.ts';
import { scheduleLegacyNightly } from '../legacy/nightly.ts';
import { listReconciliations, loadReconciliation, runLegacyReconcile } from '../legacy/reconcile.ts';
import { runLegacyRepair } from '../legacy/repair.ts';
import { ApiError } from '../errors.ts';
import { refuseLoneSurrogates } from './legacy-v1.ts';
import { registerDigestTable, registerTestbedJob } from './testbed.ts';

// The migration's domain tables the testbed state digest covers: the v2 side, the identity tier, and the
// old system's store. Not the traffic counters (bookkeeping: every request changes them).
registerDigestTable('legacy_lines', 'line');
registerDigestTable('legacy_sessions', 'row_key');
registerDigestTable('legacy_reconciliations', 'line, night');
registerDigestTable('legacy_divergences', 'line, night, seq');
registerDigestTable('identity_legacy_users', 'identity_key');
registerDigestTable('identity_legacy_map_log', 'log_id');
registerDigestTable('legacy.users', 'line, user_id');
registerDigestTable('legacy.devices', 'line, device_serial');
registerDigestTable('legacy.dialect_revisions', 'line, revision');
registerDigestTable('legacy.sessions', 'row_key');
registerDigestTable('legacy.outbox', 'row_key');
registerTestbedJob('legacy-repair', (services) => runLegacyRepair(services));
registerTestbedJob('legacy-reconcile', (services) => runLegacyReconcile(services));

const lineParams = { type: 'object', properties: { line: params.legacyLine } };

/**
 * The operator's routes of the legacy migration (the factory credential, as
 * for the OTA operator routes): line status, the one-step-forward state
 * machine with its cutover gate, the gate's size, the v1→v2 mapping, and the
 * nightly reconciliation reports. Outside test mode the nightly jobs
 * (legacy-repair, then legacy-reconcile) are scheduled here too.
 */
export const legacyOperatorRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { db, config } = services;
    app.addHook('onRequest', async (request) => requireFactory(request, config.factorySecret));

    if (!config.testMode) {
      const stop = scheduleLegacyNightly(services, config.legacyNightlyHourUtc, app.log);
      app.addHook('onClose', async () => stop());
    }

    app.get('/v2/legacy/lines', { schema: { response: { 200: ref('LegacyLineList') } } }, async () => ({ lines: await lineStatuses(db) }));

    app.get<{ Params: { line: string } }>('/v2/legacy/lines/:line', { schema: { params: lineParams, response: { 200: ref('LegacyLineStatus') } } }, async (request) =>
      lineStatus(db, request.params.line),
    );

    app.put<{ Params: { line: string }; Body: { state: MigrationState } }>(
      '/v2/legacy/lines/:line/state',
      { schema: { params: lineParams, body: ref('LegacyStateRequest'), response: { 200: ref('LegacyLineStatus') } } },
      async (request) => changeLineState(services, dialectFor(request.params.line), request.body.state),
    );

    app.put<{ Params: { line: string }; Body: { requiredCleanNights: number } }>(
      '/v2/legacy/lines/:line/gate',
      { schema: { params: lineParams, body: ref('LegacyGateRequest'), response: { 200: ref('LegacyLineStatus') } } },
      async (request) => setLineGate(db, dialectFor(request.params.line), request.body.requiredCleanNights),
    );

    app.put<{ Params: { line: string }; Body: { revisions: DialectRevision[] } }>(
      '/v2/legacy/lines/:line/mapping',
      { schema: { params: lineParams, body: ref('LegacyMappingRequest'), response: { 200: ref('LegacyMappingResult') } } },
      async (request) => {
        const d = dialectFor(request.params.line);
        refuseLoneSurrogates(request.body, 'revisions');
        return setLineMapping(services, d, request.body.revisions);
      },
    );

    app.get<{ Params: { line: string } }>(
      '/v2/legacy/lines/:line/reconciliations',
      { schema: { params: lineParams, response: { 200: ref('LegacyReconciliationList') } } },
      async (request) => ({ reports: await listReconciliations(db, dialectFor(request.params.line).line) }),
    );

    app.get<{ Params: { line: string; night: string } }>(
      '/v2/legacy/lines/:line/reconciliations/:night',
      { schema: { params: { type: 'object', properties: { line: params.legacyLine, night: params.night } }, response: { 200: ref('LegacyReconciliation') } } },
      async (request) => {
        const { line } = dialectFor(request.params.line);
        // Year 0000 passes the pattern and Date.parse, but PostgreSQL has no year 0 (a 500 where a 400 belongs).
        if (request.params.night.startsWith('0000-')) throw new ApiError('validation-failed', `night must be a date YYYY-MM-DD from 0001-01-01 on, got ${request.params.night}.`, { field: 'night' });
        return loadReconciliation(db, line, request.params.night);
      },
    );
  };
