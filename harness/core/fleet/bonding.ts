import type { KeyObject } from 'node:crypto';
import { bondProofSigningBytes } from '../../../contract/bond-proof.ts';
import { signWith } from '../../../simulators/device-keys.ts';
import { ensureAccess } from './accounts.ts';
import type { FleetContext } from './context.ts';
import { expectStatus } from './http.ts';

/** A device's button-press counter at its first pairing. */
const FIRST_PRESS = 1;

/**
 * Pair device `d` with its household's account through the real flow: the
 * first phone of the household asks for a challenge, the device signs
 * (challenge, account, press counter, button pressed) with its own key, the
 * phone relays the proof.
 */
export async function bondDevice(ctx: FleetContext, d: number, key: KeyObject): Promise<void> {
  const { fleet, app, http } = ctx;
  const h = fleet.householdOfDevice(d);
  const p = fleet.hhFirstPhone[h]!;
  const deviceId = fleet.deviceId(d);
  for (let attempt = 0; ; attempt++) {
    await ensureAccess(ctx, p, attempt > 0);
    const auth = { authorization: `Bearer ${app.accessToken(p)}` };
    const c = await http.json<{ challenge: string }>('POST', `/v2/devices/${deviceId}/bond-challenge`, undefined, auth);
    if (c.status === 401 && attempt === 0) continue;
    expectStatus(`bond challenge for device ${deviceId}`, c, 201);
    const challenge = Buffer.from(c.body.challenge, 'base64url');
    const proof = bondProofSigningBytes({ deviceId, accountId: app.accountId(h), challenge, pressCounter: FIRST_PRESS, buttonPressed: true });
    const b = await http.json('POST', `/v2/devices/${deviceId}/bond`, {
      challenge: c.body.challenge,
      pressCounter: FIRST_PRESS,
      buttonPressed: true,
      signature: signWith(key, proof).toString('base64url'),
    }, auth);
    if (b.status === 401 && attempt === 0) continue;
    expectStatus(`bonding of device ${deviceId}`, b, 200);
    ctx.stats.bonds++;
    return;
  }
}
