import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { requireFactory } from '../auth/factory-credential.ts';
import { inTransaction } from '../db/pool.ts';
import { copyDevicesFromNdjson, parseRegistration, type Registration } from '../provisioning/bulk.ts';

const ts = 'to_timestamp($1::double precision / 1000)';

/**
 * Factory provisioning. Both routes are atomic: either every device of the
 * request is registered, or none is and the problem names the offending one.
 */
export const factoryRoutes =
  ({ db, clock, config }: Services): FastifyPluginAsync =>
  async (app) => {
    app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));

    app.post<{ Body: { devices: Registration[] } }>(
      '/v2/factory/devices',
      {
        schema: { body: ref('ProvisionRequest'), response: { 201: ref('ProvisionResult') } },
        onRequest: async (request) => requireFactory(request, config.factorySecret),
      },
      async (request, reply) => {
        const devices = request.body.devices.map((d, i) => parseRegistration(d, `devices.${i}`));
        const now = await clock.now();
        await inTransaction(db, async (c) => {
          await c.query('CREATE TEMP TABLE staging_devices (LIKE devices INCLUDING DEFAULTS) ON COMMIT DROP');
          await c.query(
            `INSERT INTO staging_devices (device_id, serial, product_line, public_key, factory_firmware, firmware_version, provisioned_at)
             SELECT u.id, u.serial, u.line, u.pk, u.fw, u.fw, ${ts}
               FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::text[]) AS u(id, serial, line, pk, fw)`,
            [now, devices.map((d) => d.deviceId), devices.map((d) => d.serial), devices.map((d) => d.productLine), devices.map((d) => d.publicKey), devices.map((d) => d.firmwareVersion)],
          );
          await mergeStaging(c, devices.length, now);
        });
        return reply.code(201).send({ provisioned: devices.length });
      },
    );

    app.post(
      '/v2/factory/devices/bulk',
      {
        // Only application/x-ndjson reaches the handler (the media-type gate of app.ts, from the contract).
        onRequest: async (request) => requireFactory(request, config.factorySecret),
      },
      async (request, reply) => {
        // A request with no body at all passes the media-type gate (nothing to type) and has no stream to read. Found by the route fuzzer.
        if (request.body === undefined) throw new ApiError('validation-failed', 'The request has no body; send the devices as application/x-ndjson, one JSON object per line.', { field: 'body' });
        const now = await clock.now();
        const count = await inTransaction(db, async (c) => {
          await c.query('CREATE TEMP TABLE staging_devices (LIKE devices INCLUDING DEFAULTS) ON COMMIT DROP');
          const staged = await copyDevicesFromNdjson(c, request.body as NodeJS.ReadableStream, now);
          if (staged === 0) throw new ApiError('validation-failed', 'The NDJSON body holds no devices.', { field: 'body' });
          await mergeStaging(c, staged, now);
          return staged;
        });
        return reply.code(201).send({ provisioned: count });
      },
    );
  };

/**
 * Move staged devices into `devices`, refusing the whole batch if any id or
 * serial is already taken (or repeated within the batch), and append one
 * `device.provisioned` event per device.
 */
async function mergeStaging(c: pg.ClientBase, _staged: number, now: number): Promise<void> {
  try {
    await c.query('INSERT INTO devices SELECT * FROM staging_devices');
  } catch (err) {
    const e = err as { code?: string; detail?: string; constraint?: string };
    if (e.code !== '23505') throw err;
    // e.detail reads like: Key (serial)=(TB-000001) already exists.
    const m = /Key \((\w+)\)=\((.*)\) already exists/.exec(e.detail ?? '');
    const field = m?.[1] === 'serial' ? 'serial' : 'deviceId';
    throw new ApiError(
      'device-already-provisioned',
      `A device with ${field} ${m?.[2] ?? '(unknown)'} is already provisioned or appears twice in this request; nothing was written.`,
      { field },
    );
  }
  await c.query(
    `INSERT INTO events (kind, device_id, occurred_at)
     SELECT 'device.provisioned', device_id, ${ts} FROM staging_devices ORDER BY device_id`,
    [now],
  );
}
