import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { ref, type Services } from '../app.ts';
import { clockInSql } from '../clock.ts';
import { ApiError } from '../errors.ts';
import { phoneAuth, principalOf } from '../auth/require-account.ts';
import { inTransaction } from '../db/pool.ts';
import { verifyEd25519 } from '../keys.ts';
import { params } from '../../../contract/schemas.ts';
import { bondProofSigningBytes } from '../../../contract/bond-proof.ts';

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
    // The clock inside each statement (test mode: the testbed_clock row): see clockInSql.
    const { nowMs, variant, withClock } = clockInSql(clock);
    const challengeTtlMs = config.bondChallengeTtlSeconds * 1000;

    // A new challenge for a provisioned device, in one statement: no row means no such device.
    const ISSUE_CHALLENGE = {
      name: `fleetbed-bond-challenge-${variant}`,
      text: `INSERT INTO bond_challenges (challenge, device_id, account_id, expires_at)
             SELECT $2::bytea, device_id, $3::uuid, to_timestamp((${nowMs(5)} + $4::double precision) / 1000) FROM devices WHERE device_id = $1
             RETURNING expires_at`,
    };

    // The bond's reads in one round trip: the device (key, owner, press counter), whether the
    // presented challenge is this device's and this account's, unused and unexpired (NULL when no
    // such challenge), and the clock. No row: no such device.
    const BOND_READ = {
      name: `fleetbed-bond-read-${variant}`,
      text: `SELECT d.public_key, d.owner_account_id, d.last_press_counter,
                    c.used_at IS NULL AND c.expires_at > to_timestamp(${nowMs(4)} / 1000) AS fresh,
                    ${nowMs(4)} AS now_ms
               FROM devices d
               LEFT JOIN bond_challenges c ON c.challenge = $2 AND c.device_id = d.device_id AND c.account_id = $3
              WHERE d.device_id = $1`,
    };

    // The bond itself, in one statement, once the proof verified against what BOND_READ saw.
    // `device` then `challenge` lock the two rows (in that order, as the slow path does) only
    // if every condition still holds on their latest versions: the challenge is this device's and
    // this account's, unused and unexpired at $1; the device's owner is still the one BOND_READ saw
    // ($6, so the event's kind and `from` stay right) and its press counter is below $5. Of two
    // racing bonds, the second waits for the first's locks and re-checks, so it matches nothing.
    // Then, all or nothing: the challenge is used, the device bonded, the event appended.
    // No row: the slow path below finds out why.
    const BOND_WRITE = {
      name: 'fleetbed-bond-write',
      text: `WITH device AS (
               SELECT device_id FROM devices
                WHERE device_id = $3 AND owner_account_id IS NOT DISTINCT FROM $6::uuid AND last_press_counter < $5::bigint
                  FOR NO KEY UPDATE
             ), challenge AS (
               SELECT c.challenge, c.device_id FROM bond_challenges c JOIN device d ON d.device_id = c.device_id
                WHERE c.challenge = $2 AND c.account_id = $4::uuid
                  AND c.used_at IS NULL AND c.expires_at > to_timestamp($1::double precision / 1000)
                  FOR NO KEY UPDATE OF c
             ), used AS (
               UPDATE bond_challenges c SET used_at = to_timestamp($1::double precision / 1000)
                 FROM challenge ok WHERE c.challenge = ok.challenge
             ), bonded AS (
               UPDATE devices d SET owner_account_id = $4::uuid, bonded_at = to_timestamp($1::double precision / 1000), last_press_counter = $5::bigint
                 FROM challenge ok WHERE d.device_id = ok.device_id
               RETURNING d.bonded_at
             ), appended AS (
               INSERT INTO events (kind, device_id, account_id, occurred_at, data)
               SELECT $7::text, device_id, $4::uuid, to_timestamp($1::double precision / 1000), $8::jsonb FROM challenge
             )
             SELECT bonded_at FROM bonded`,
    };

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
        const { rows } = await db.query<{ expires_at: Date }>({ ...ISSUE_CHALLENGE, values: await withClock([deviceId, challenge, me.accountId, challengeTtlMs]) });
        const row = rows[0];
        if (!row) throw noDevice(deviceId);
        return reply.code(201).send({ deviceId, challenge: challenge.toString('base64url'), expiresAt: row.expires_at.toISOString() });
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
        const read = await db.query<{ public_key: Buffer; owner_account_id: string | null; last_press_counter: number; fresh: boolean | null; now_ms: number | null }>({
          ...BOND_READ,
          values: await withClock([deviceId, challengeBytes, me.accountId]),
        });
        const device = read.rows[0];
        if (!device) throw noDevice(deviceId);
        if (device.now_ms === null) throw new Error('testbed_clock has no row: were the migrations applied?');
        const now = device.now_ms;
        if (!device.fresh) throw challengeInvalid();
        if (!proofVerifies(device.public_key)) throw proofInvalid();
        if (!buttonPressed) throw buttonNotPressed();
        if (pressCounter <= device.last_press_counter) throw counterStale(device.last_press_counter, pressCounter);
        const event = bondEvent(device.owner_account_id, me.accountId, pressCounter);
        const written = await db.query<{ bonded_at: Date }>({
          ...BOND_WRITE,
          values: [now, challengeBytes, deviceId, me.accountId, pressCounter, device.owner_account_id, event.kind, event.data],
        });
        if (written.rows[0]) return { deviceId, accountId: me.accountId, bondedAt: written.rows[0].bonded_at.toISOString() };

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
