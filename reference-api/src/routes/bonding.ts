import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { inTransaction } from '../db/pool.ts';
import { verifyEd25519 } from '../keys.ts';
import { params } from '../../../contract/schemas.ts';
import { bondProofSigningBytes } from '../../../contract/bond-proof.ts';
import { BondStore } from '../bonding/store.ts';

interface BondBody {
  challenge: string;
  pressCounter: number;
  buttonPressed: boolean;
  signature: string;
}

const ts = 'to_timestamp($1::double precision / 1000)';
const deviceParams = { type: 'object', properties: { deviceId: params.deviceId } };

/**
 * Bonding with a physical button press. The phone fetches a single-use,
 * expiring challenge; the device signs (tag, device id, account id, challenge,
 * press counter, button flag); the server bonds only on a valid signature, a
 * fresh challenge and a press counter higher than any it has seen. Re-pairing
 * to another account takes the same proof and moves the device atomically.
 * These routes and unbond are the only ones that change a device's owner.
 */
export const bondingRoutes =
  ({ db, clock, config, keys, tokens }: Services): FastifyPluginAsync =>
  async (app) => {
    const challengeTtlMs = config.bondChallengeTtlSeconds * 1000;

    // Challenges issued, bonds read and bonds written by concurrent requests share statements
    // (group commit, see BondStore): every request still gets its own answer.
    const store = new BondStore(db, clock, { challengeTtlMs, maxInFlight: 1 });

    const challengeInvalid = () =>
      new ApiError('challenge-invalid', 'Ask for a new challenge at /v2/devices/{deviceId}/bond-challenge; each one is single-use, expires, and belongs to one device and account.', { field: 'challenge' });
    const proofInvalid = () => new ApiError('bond-proof-invalid', 'The signature does not verify under the device key for this device, account, challenge and counter.', { field: 'signature' });
    const buttonNotPressed = () => new ApiError('button-not-pressed', 'Press the button on the device and try again.', { field: 'buttonPressed' });
    const counterStale = (last: number, got: number) =>
      new ApiError('press-counter-stale', `The press counter must exceed ${last}; got ${got}. This proof was already used or is old.`, { field: 'pressCounter' });
    const noDevice = (deviceId: number) => new ApiError('not-found', `No device ${deviceId} is provisioned.`, { field: 'deviceId' });
    const bondEvent = (previousOwner: string | null, accountId: string, pressCounter: number) => {
      const moved = previousOwner !== null && previousOwner !== accountId;
      return { kind: moved ? 'device.rebonded' : 'device.bonded', data: JSON.stringify({ pressCounter, from: moved ? previousOwner : null }) };
    };

    app.addHook('onRequest', phoneAuth(tokens));
    app.post<{ Params: { deviceId: string } }>(
      '/v2/devices/:deviceId/bond-challenge',
      { schema: { params: deviceParams, response: { 201: ref('BondChallenge') } } },
      async (request, reply) => {
        const me = principalOf(request);
        const deviceId = Number(request.params.deviceId);
        const challenge = randomBytes(32);
        const expiresAt = await store.issueChallenge({ deviceId, challenge, accountId: me.accountId });
        if (!expiresAt) throw noDevice(deviceId);
        return reply.code(201).send({ deviceId, challenge: challenge.toString('base64url'), expiresAt: expiresAt.toISOString() });
      },
    );

    app.post<{ Params: { deviceId: string }; Body: BondBody }>(
      '/v2/devices/:deviceId/bond',
      { schema: { params: deviceParams, body: ref('BondRequest'), response: { 200: ref('Bond') } } },
      async (request) => {
        const me = principalOf(request);
        const deviceId = Number(request.params.deviceId);
        const { challenge, pressCounter, buttonPressed, signature } = request.body;
        const challengeBytes = Buffer.from(challenge, 'base64url');
        const proofVerifies = (publicKey: Buffer) =>
          verifyEd25519(
            keys.get(deviceId, publicKey),
            bondProofSigningBytes({ deviceId, accountId: me.accountId, challenge: challengeBytes, pressCounter, buttonPressed }),
            Buffer.from(signature, 'base64url'),
          );

        // Fast path: one read, the proof checked here, one write that re-checks everything.
        const device = await store.read(deviceId, challengeBytes, me.accountId);
        if (!device) throw noDevice(deviceId);
        if (device.nowMs === null) throw new Error('testbed_clock has no row: were the migrations applied?');
        const now = device.nowMs;
        if (!device.fresh) throw challengeInvalid();
        if (!proofVerifies(device.publicKey)) throw proofInvalid();
        if (!buttonPressed) throw buttonNotPressed();
        if (pressCounter <= device.lastPressCounter) throw counterStale(device.lastPressCounter, pressCounter);
        const event = bondEvent(device.ownerAccountId, me.accountId, pressCounter);
        const bondedAt = await store.write({
          now,
          challenge: challengeBytes,
          deviceId,
          accountId: me.accountId,
          pressCounter,
          previousOwner: device.ownerAccountId,
          eventKind: event.kind,
          eventData: event.data,
        });
        if (bondedAt) return { deviceId, accountId: me.accountId, bondedAt: bondedAt.toISOString() };

        // Slow path (something changed since the read: a concurrent bond, a used challenge, a new
        // owner): judge again under row locks, in the same order and with the same answers as
        // ever, and bond if the proof is still good (e.g. it moves the device from a new owner).
        return inTransaction(db, async (c) => {
          const dev = await c.query<{ public_key: Buffer; owner_account_id: string | null; last_press_counter: number }>(
            'SELECT public_key, owner_account_id, last_press_counter FROM devices WHERE device_id = $1 FOR UPDATE',
            [deviceId],
          );
          const device = dev.rows[0];
          if (!device) throw noDevice(deviceId);
          const ch = await c.query<{ fresh: boolean }>(
            `SELECT used_at IS NULL AND expires_at > ${ts} AS fresh FROM bond_challenges
              WHERE challenge = $2 AND device_id = $3 AND account_id = $4 FOR UPDATE`,
            [now, challengeBytes, deviceId, me.accountId],
          );
          if (!ch.rows[0]?.fresh) throw challengeInvalid();
          if (!proofVerifies(device.public_key)) throw proofInvalid();
          if (!buttonPressed) throw buttonNotPressed();
          if (pressCounter <= device.last_press_counter) throw counterStale(device.last_press_counter, pressCounter);
          await c.query(`UPDATE bond_challenges SET used_at = ${ts} WHERE challenge = $2`, [now, challengeBytes]);
          const { rows } = await c.query<{ bonded_at: Date }>(
            `UPDATE devices SET owner_account_id = $2, bonded_at = ${ts}, last_press_counter = $3 WHERE device_id = $4 RETURNING bonded_at`,
            [now, me.accountId, pressCounter, deviceId],
          );
          const event = bondEvent(device.owner_account_id, me.accountId, pressCounter);
          await c.query(`INSERT INTO events (kind, device_id, account_id, occurred_at, data) VALUES ($2, $3, $4, ${ts}, $5)`, [now, event.kind, deviceId, me.accountId, event.data]);
          return { deviceId, accountId: me.accountId, bondedAt: rows[0]!.bonded_at.toISOString() };
        });
      },
    );

    app.delete<{ Params: { deviceId: string } }>(
      '/v2/devices/:deviceId/bond',
      { schema: { params: deviceParams } },
      async (request, reply) => {
        const me = principalOf(request);
        const deviceId = Number(request.params.deviceId);
        const now = await clock.now();
        await inTransaction(db, async (c) => {
          const { rowCount } = await c.query(
            'UPDATE devices SET owner_account_id = NULL, bonded_at = NULL WHERE device_id = $1 AND owner_account_id = $2',
            [deviceId, me.accountId],
          );
          if (!rowCount) throw new ApiError('not-found', `You have no device ${deviceId}.`, { field: 'deviceId' });
          await c.query(`INSERT INTO events (kind, device_id, account_id, occurred_at) VALUES ('device.unbonded', $2, $3, ${ts})`, [now, deviceId, me.accountId]);
        });
        return reply.code(204).send();
      },
    );
  };
