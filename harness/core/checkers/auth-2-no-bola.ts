import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { bookLedgerViolations } from './_internals/ledger-violations.ts';
import { mapLimit, platformApi } from './_internals/platform-api.ts';
import { sampleDevices } from './_internals/sample.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'AUTH-2';
const TITLE = INVARIANTS[ID];
/** Devices probed. */
export const AUTH2_SAMPLE = 30;

/**
 * AUTH-2 no BOLA, through the API. For up to 30 devices spread over the
 * fleet: another household (the next one) signs in and GETs
 * /v2/devices/{id} and /v2/devices/{id}/sessions — both must be 404, exactly
 * like a device that does not exist. The owning household must read the same
 * device (200, its id): if it cannot, the probe proves nothing, and that is
 * reported as its own failure (not as a BOLA). `checked` = requests made by
 * other accounts; skipped when the fleet has a single household.
 *
 * And the writes: every record of another home's device that a hostile phone uploaded under
 * its own account (behaviour `hostileRecords`, kind `replayed-elsewhere`) must have been
 * rejected `device-not-bonded` (ledger check `hostile-unbonded-accepted`); and every captured
 * honest upload replayed whole (Idempotency-Key and body) under another home's account must be
 * judged afresh — each record rejected, not the owner's answer replayed (`hostile-key-crossed`).
 * Each record is counted in `checked`.
 */
export const checkNoBola: Checker = async (ctx) => {
  const fleet = ctx.fleet.fleet;
  if (fleet.hhTo - fleet.hhFrom < 2) return skipped(ID, TITLE, `the fleet${fleet.sharded ? "'s shard" : ''} has one household: there is no other account to probe with`);
  const api = platformApi(ctx);
  const findings = new Findings();
  bookLedgerViolations(ctx.fleet, ['hostile-unbonded-accepted', 'hostile-key-crossed'], findings, (v) =>
    v.check === 'hostile-key-crossed' ? 'an Idempotency-Key belongs to the account that used it: another account\'s upload with it is judged afresh, never answered with the owner\'s answer' : 'a record of another home\'s device, uploaded under the hostile phone\'s account, is rejected (device-not-bonded)',
  );
  let checked = (ctx.fleet.hostile?.['replayed-elsewhere'].records ?? 0) + (ctx.fleet.hostile?.['replayed-upload'].records ?? 0);
  const devices = sampleDevices(fleet, AUTH2_SAMPLE, 2);
  await mapLimit(devices, 6, async (d) => {
    const id = fleet.deviceId(d);
    const owner = fleet.householdOfDevice(d);
    const other = owner + 1 < fleet.hhTo ? owner + 1 : fleet.hhFrom;
    const otherEmail = api.identity(other).email;
    const ownerToken = await api.householdToken(owner);
    const own = await api.get<{ deviceId?: number }>(`/v2/devices/${id}`, ownerToken);
    if (own.status !== 200 || own.body?.deviceId !== id) {
      findings.add({
        device: id,
        expected: `the owner (household ${owner}, ${api.identity(owner).email}) reads its own device: 200`,
        found: `${own.status} ${own.text.slice(0, 200)}`,
        detail: 'not a BOLA: the owner cannot reach its own device, so the cross-account probe below proves nothing for it',
      });
    }
    const otherToken = await api.householdToken(other);
    for (const path of [`/v2/devices/${id}`, `/v2/devices/${id}/sessions`]) {
      checked++;
      const r = await api.get(path, otherToken);
      if (r.status === 404) continue;
      findings.add({
        device: id,
        expected: `404 for another account (household ${other}, ${otherEmail}) on GET ${path}`,
        found: `${r.status} ${r.text.slice(0, 300)}`,
        detail: `device ${id} belongs to household ${owner}; the token of household ${other} ${r.status === 200 ? 'read it (BOLA)' : 'got neither 404 nor the device'}`,
      });
    }
  });
  return verdictOf(ID, TITLE, checked, findings.witnesses, findings.violations);
};
