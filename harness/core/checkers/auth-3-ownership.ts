import { INVARIANTS } from '../scenario/invariants.ts';
import { ranges, withDatabase } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import { mapLimit, platformApi } from './_internals/platform-api.ts';
import { skipped, verdictOf, type CheckContext, type Checker } from './types.ts';

const ID = 'AUTH-3';
const TITLE = INVARIANTS[ID];
const RANGE = 100_000;
/** Households whose device lists are compared when the database is not reachable. */
export const AUTH3_API_SAMPLE = 50;

/**
 * AUTH-3 ownership changes only with a fresh device-signed proof. The harness
 * knows every bond it made (one per device, to its household, plus
 * `history.rebonds`), so:
 * - with the database: every fleet device's `owner_account_id` is the account
 *   of its household's email (identity_accounts), and its count of
 *   device.bonded + device.rebonded events equals the bonds the harness made
 *   (no device.unbonded either); `checked` = devices;
 * - without it: up to 50 households sign in and GET /v2/devices, which must
 *   list exactly the devices the harness bonded to them; `checked` = households.
 */
export const checkOwnership: Checker = async (ctx) => {
  const fleet = ctx.fleet.fleet;
  if (fleet.deviceCount === 0) return skipped(ID, TITLE, 'the fleet has no devices');
  const { owner, bonds } = expectations(ctx);
  const findings = new Findings();
  const api = platformApi(ctx);
  if (ctx.env.databaseUrl) {
    await withDatabase(ctx.env.databaseUrl, async (client) => {
      for (const [lo, hi] of ranges(fleet.deviceTo, RANGE, fleet.deviceFrom)) {
        const args = [fleet.deviceId(lo), fleet.deviceId(hi - 1)];
        const { rows: devices } = await client.query<{ device_id: string; owner: string | null; email: string | null }>(
          `SELECT d.device_id::text, d.owner_account_id::text AS owner, lower(i.email) AS email
             FROM devices d LEFT JOIN identity_accounts i ON i.account_id = d.owner_account_id
            WHERE d.device_id >= $1 AND d.device_id <= $2`,
          args,
        );
        const { rows: events } = await client.query<{ device_id: string; kind: string; n: number; froms: string[] }>(
          `SELECT device_id::text, kind, count(*)::int AS n, array_agg(COALESCE(data->>'from', '-') ORDER BY event_id) AS froms
             FROM events WHERE device_id >= $1 AND device_id <= $2 AND kind IN ('device.bonded', 'device.rebonded', 'device.unbonded')
            GROUP BY device_id, kind`,
          args,
        );
        const seen = new Uint8Array(hi - lo);
        for (const row of devices) {
          const id = Number(row.device_id);
          const d = fleet.deviceIndex(id);
          seen[d - lo] = 1;
          const h = owner(d);
          const want = api.identity(h).email.toLowerCase();
          if (row.email === want) continue;
          findings.add({
            device: id,
            expected: `owned by household ${h} (${want}), the only account the harness bonded it to`,
            found: row.owner === null ? 'no owner (unbonded)' : `owned by account ${row.owner}${row.email ? ` (${row.email})` : ' (no identity)'}`,
            detail: 'devices.owner_account_id: an owner change the harness never proved with a button press',
          });
        }
        for (let d = lo; d < hi; d++) {
          if (!seen[d - lo]) findings.add({ device: fleet.deviceId(d), expected: 'the device is provisioned and bonded to its household', found: 'no devices row', detail: 'devices' });
        }
        const perDevice = new Map<number, { bonds: number; unbonds: number; detail: string[] }>();
        for (const e of events) {
          const id = Number(e.device_id);
          const p = perDevice.get(id) ?? { bonds: 0, unbonds: 0, detail: [] };
          if (e.kind === 'device.unbonded') p.unbonds += e.n;
          else p.bonds += e.n;
          p.detail.push(`${e.n} × ${e.kind}${e.kind === 'device.rebonded' ? ` (from ${e.froms.join(', ')})` : ''}`);
          perDevice.set(id, p);
        }
        for (let d = lo; d < hi; d++) {
          const id = fleet.deviceId(d);
          const p = perDevice.get(id) ?? { bonds: 0, unbonds: 0, detail: [] };
          if (p.bonds === bonds(d) && p.unbonds === 0) continue;
          findings.add({
            device: id,
            expected: `${bonds(d)} bond event(s), one per proof the harness made, and no unbond`,
            found: p.detail.length ? p.detail.join('; ') : 'no bond event',
            detail: 'events of kind device.bonded / device.rebonded / device.unbonded',
          });
        }
      }
    });
    return verdictOf(ID, TITLE, fleet.sliceDevices, findings.witnesses, findings.violations);
  }
  // Without the database: each sampled household lists its devices.
  const expected = new Map<number, number[]>();
  for (let d = fleet.deviceFrom; d < fleet.deviceTo; d++) {
    const h = owner(d);
    const list = expected.get(h) ?? [];
    list.push(fleet.deviceId(d));
    expected.set(h, list);
  }
  const step = Math.max(1, Math.floor((fleet.hhTo - fleet.hhFrom) / AUTH3_API_SAMPLE));
  const households: number[] = [];
  for (let h = fleet.hhFrom; h < fleet.hhTo && households.length < AUTH3_API_SAMPLE; h += step) households.push(h);
  await mapLimit(households, 6, async (h) => {
    const token = await api.householdToken(h);
    const r = await api.get<{ devices: Array<{ deviceId: number }> }>('/v2/devices', token);
    const want = (expected.get(h) ?? []).slice().sort((a, b) => a - b);
    const got = (r.body?.devices ?? []).map((x) => x.deviceId).sort((a, b) => a - b);
    if (r.status === 200 && want.length === got.length && want.every((id, i) => got[i] === id)) return;
    const missing = want.filter((id) => !got.includes(id));
    const extra = got.filter((id) => !want.includes(id));
    findings.add({
      ...(missing[0] !== undefined ? { device: missing[0] } : extra[0] !== undefined ? { device: extra[0] } : {}),
      expected: `household ${h} (${api.identity(h).email}) owns exactly devices ${want.join(', ')}`,
      found: r.status !== 200 ? `${r.status} ${r.text.slice(0, 200)}` : `it lists ${got.join(', ') || 'none'}${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not bonded by the harness: ${extra.join(', ')}` : ''}`,
      detail: 'GET /v2/devices as the household',
    });
  });
  return verdictOf(ID, TITLE, households.length, findings.witnesses, findings.violations);
};

function expectations(ctx: CheckContext): { owner: (d: number) => number; bonds: (d: number) => number } {
  const fleet = ctx.fleet.fleet;
  const last = new Map<number, number>();
  const count = new Map<number, number>();
  for (const r of ctx.history.rebonds ?? []) {
    last.set(r.device, r.household);
    count.set(r.device, (count.get(r.device) ?? 0) + 1);
  }
  return { owner: (d) => last.get(d) ?? fleet.householdOfDevice(d), bonds: (d) => 1 + (count.get(d) ?? 0) };
}
