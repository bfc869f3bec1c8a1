import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { params } from '../../../contract/schemas.ts';

interface DeviceRow {
  device_id: number;
  serial: string;
  product_line: string;
  firmware_version: string;
  bonded_at: Date | null;
}

export const toDevice = (r: DeviceRow) => ({
  deviceId: r.device_id,
  serial: r.serial,
  productLine: r.product_line,
  firmwareVersion: r.firmware_version,
  bondedAt: r.bonded_at ? r.bonded_at.toISOString() : null,
});

/**
 * The owner's view of their devices. A device that exists but belongs to
 * another account is a 404, exactly like one that does not exist: ids leak nothing.
 */
export const deviceRoutes =
  ({ db, tokens }: Services): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', phoneAuth(tokens));
    app.get('/v2/devices', { schema: { response: { 200: ref('DeviceList') } } }, async (request) => {
      const me = principalOf(request);
      const { rows } = await db.query<DeviceRow>(
        `SELECT device_id, serial, product_line, firmware_version, bonded_at FROM devices
          WHERE owner_account_id = $1 ORDER BY device_id LIMIT 1000`,
        [me.accountId],
      );
      return { devices: rows.map(toDevice) };
    });

    app.get<{ Params: { deviceId: string } }>(
      '/v2/devices/:deviceId',
      { schema: { params: { type: 'object', properties: { deviceId: params.deviceId } }, response: { 200: ref('Device') } } },
      async (request) => {
        const me = principalOf(request);
        const { rows } = await db.query<DeviceRow>(
          `SELECT device_id, serial, product_line, firmware_version, bonded_at FROM devices
            WHERE device_id = $1 AND owner_account_id = $2`,
          [Number(request.params.deviceId), me.accountId],
        );
        const row = rows[0];
        if (!row) throw new ApiError('not-found', `You have no device ${request.params.deviceId}.`, { field: 'deviceId' });
        return toDevice(row);
      },
    );
  };
