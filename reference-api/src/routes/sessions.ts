import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { params } from '../../../contract/schemas.ts';

export interface SessionRow {
  device_id: number;
  seq: number;
  started_at: Date;
  duration_s: number;
  zones: number;
  pressure_alerts: number;
  head_id: number;
  head_type: string | null;
  firmware_version: string;
  battery_pct: number;
  clock_reset: boolean;
  received_at: Date;
  format_version: number;
  brush_mode: number | null;
}

export const SESSION_COLUMNS = `s.device_id, s.seq, s.started_at, s.duration_s, s.zones, s.pressure_alerts, s.head_id, c.head_type,
  s.firmware_version, s.battery_pct, s.clock_reset, s.received_at, s.format_version, s.brush_mode`;

export const toSession = (r: SessionRow) => ({
  deviceId: r.device_id,
  seq: r.seq,
  startedAt: r.started_at.toISOString(),
  durationS: r.duration_s,
  zones: r.zones,
  pressureAlerts: r.pressure_alerts,
  headId: r.head_id,
  headType: r.head_type,
  firmwareVersion: r.firmware_version,
  batteryPct: r.battery_pct,
  clockReset: r.clock_reset,
  receivedAt: r.received_at.toISOString(),
  formatVersion: r.format_version,
  brushMode: r.brush_mode,
});

/** Cursor: base64url of "<startedAt ms>.<seq>" — the position after the last session returned. */
function decodeCursor(cursor: string): { t: number; s: number } {
  const m = /^(\d{1,15})\.(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) throw new ApiError('validation-failed', 'cursor is not one this API issued; pass nextCursor from the previous page unchanged.', { field: 'cursor' });
  return { t: Number(m[1]), s: Number(m[2]) };
}
const encodeCursor = (t: number, s: number) => Buffer.from(`${t}.${s}`, 'latin1').toString('base64url');

/**
 * The owner lists a device's sessions in device-time order, with cursor
 * pagination. Only sessions recorded while the device was bonded to this
 * account are shown: a new owner does not see the previous owner's brushing.
 */
export const sessionRoutes =
  ({ db, tokens }: Services): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', phoneAuth(tokens));
    app.get<{ Params: { deviceId: string }; Querystring: { limit?: string; cursor?: string } }>(
      '/v2/devices/:deviceId/sessions',
      {
        schema: {
          params: { type: 'object', properties: { deviceId: params.deviceId } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' }, cursor: { type: 'string', maxLength: 64 } },
          },
          response: { 200: ref('SessionPage') },
        },
      },
      async (request) => {
        const me = principalOf(request);
        const deviceId = Number(request.params.deviceId);
        const limit = Number(request.query.limit ?? 100);
        const after = request.query.cursor ? decodeCursor(request.query.cursor) : { t: -1, s: 0 };
        const owned = await db.query('SELECT 1 FROM devices WHERE device_id = $1 AND owner_account_id = $2', [deviceId, me.accountId]);
        if (!owned.rowCount) throw new ApiError('not-found', `You have no device ${deviceId}.`, { field: 'deviceId' });
        const { rows } = await db.query<SessionRow>(
          `SELECT ${SESSION_COLUMNS} FROM sessions s JOIN consumables c USING (head_id)
            WHERE s.device_id = $1 AND s.account_id = $2
              AND (s.started_at, s.seq) > (to_timestamp($3::double precision / 1000), $4::bigint)
            ORDER BY s.started_at, s.seq LIMIT $5`,
          [deviceId, me.accountId, after.t, after.s, limit + 1],
        );
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return { sessions: page.map(toSession), nextCursor: rows.length > limit && last ? encodeCursor(last.started_at.getTime(), last.seq) : null };
      },
    );
  };
