import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readRecordDeviceId, readRecordSeq, sessionRecordSigningBytes } from '../../../contract/record.ts';
import { deviceKeySeed, privateKeyFromSeed, publicKeyOf } from '../../../simulators/device-keys.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { ranges, withDatabase } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import { bookLedgerViolations } from './_internals/ledger-violations.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'AUTH-1';
const TITLE = INVARIANTS[ID];
/** Verify every stored row up to this many; above it, a seeded sample of devices holding about this many rows. */
export const AUTH1_MAX_ROWS = 200_000;
const DEVICE_RANGE = 5_000;

/**
 * AUTH-1, through the database (skipped without it). For the fleet's devices
 * (all of them when they hold ≤ 200k stored sessions, else a seeded sample of
 * devices, `device_id % m = r`, holding about that many):
 * - the public key registered in `devices` equals the key the fleet derives
 *   from (seed, device index) — a swapped key would make forged rows verify;
 * - every stored session row verifies (Ed25519 over
 *   `sessionRecordSigningBytes(record)`) under that registered key, and the
 *   record's own device id and seq are the row's.
 * And, from the answers (no database needed), every forged or tampered record a hostile phone
 * uploaded (behaviour `hostileRecords`) must have been rejected `signature-invalid`: one answered
 * stored, duplicate or otherwise is a witness (ledger check `hostile-signature-accepted`).
 * `checked` = rows verified + keys compared + hostile records judged.
 */
export const checkSignatures: Checker = async (ctx) => {
  const findings = new Findings();
  const hostile = ctx.fleet.hostile;
  const judged = hostile ? hostile.forged.records + hostile.tampered.records : 0;
  bookLedgerViolations(ctx.fleet, ['hostile-signature-accepted'], findings, () => 'a forged or tampered record is rejected signature-invalid');
  if (!ctx.env.databaseUrl) {
    if (judged > 0) return verdictOf(ID, TITLE, judged, findings.witnesses, findings.violations);
    return skipped(ID, TITLE, 'needs the platform database (DATABASE_URL) to read stored records and signatures; the API does not return them');
  }
  const fleet = ctx.fleet.fleet;
  let rowsChecked = 0;
  let keysChecked = 0;
  await withDatabase(ctx.env.databaseUrl, async (client) => {
    const lo = fleet.deviceId(fleet.deviceFrom);
    const hi = fleet.deviceId(fleet.deviceTo - 1);
    const { rows: count } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM sessions WHERE device_id >= $1 AND device_id <= $2', [lo, hi]);
    const total = Number(count[0]!.n);
    const m = Math.max(1, Math.ceil(total / AUTH1_MAX_ROWS));
    const r = fleet.seed % m;
    const sampled = (deviceId: number) => m === 1 || deviceId % m === r;
    for (const [d0, d1] of ranges(fleet.deviceTo, DEVICE_RANGE, fleet.deviceFrom)) {
      const args = [fleet.deviceId(d0), fleet.deviceId(d1 - 1), m, r];
      const { rows: devices } = await client.query<{ device_id: string; public_key: Buffer }>('SELECT device_id::text, public_key FROM devices WHERE device_id >= $1 AND device_id <= $2 AND device_id % $3 = $4', args);
      const keys = new Map<number, KeyObject>();
      for (const dev of devices) {
        const id = Number(dev.device_id);
        const d = fleet.deviceIndex(id);
        keysChecked++;
        const derived = publicKeyOf(privateKeyFromSeed(deviceKeySeed(fleet.seed, d)));
        if (!derived.equals(dev.public_key)) {
          findings.add({ device: id, expected: `registered public key ${derived.toString('hex')} (derived from the fleet seed)`, found: `devices.public_key ${dev.public_key.toString('hex')}`, detail: 'a key that is not the device\'s own lets anyone forge its records' });
        }
        keys.set(id, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: dev.public_key.toString('base64url') }, format: 'jwk' }));
      }
      for (let d = d0; d < d1; d++) {
        const id = fleet.deviceId(d);
        if (sampled(id) && !keys.has(id) && ctx.fleet.ledger.stored[d]! > 0) {
          findings.add({ device: id, expected: 'the device is registered (devices row with its public key)', found: 'no devices row', detail: 'its stored sessions cannot be attributed to a key' });
        }
      }
      const { rows } = await client.query<{ device_id: string; seq: string; record: Buffer; signature: Buffer }>(
        'SELECT device_id::text, seq::text, record, signature FROM sessions WHERE device_id >= $1 AND device_id <= $2 AND device_id % $3 = $4',
        args,
      );
      for (const row of rows) {
        rowsChecked++;
        const id = Number(row.device_id);
        const seq = Number(row.seq);
        const key = keys.get(id);
        const [recordId, recordSeq] = header(row.record);
        if (recordId !== id || recordSeq !== seq) {
          findings.add({ device: id, seq, expected: `the stored record names device ${id} seq ${seq}`, found: `it names device ${recordId} seq ${recordSeq}`, detail: 'sessions.record attributed to the wrong device or seq' });
          continue;
        }
        if (key && verifies(row.record, row.signature, key)) continue;
        findings.add({
          device: id,
          seq,
          expected: 'the stored signature verifies under the device\'s registered key',
          found: `it does not verify (signature ${row.signature.subarray(0, 8).toString('hex')}…)`,
          detail: `sessions row (${id}, ${seq})${m > 1 ? `; sample: device_id % ${m} = ${r}` : ''}`,
        });
      }
    }
  });
  if (rowsChecked === 0 && keysChecked === 0 && judged === 0) return skipped(ID, TITLE, 'the platform holds no devices and no stored sessions of this fleet: nothing to verify');
  return verdictOf(ID, TITLE, rowsChecked + keysChecked + judged, findings.witnesses, findings.violations);
};

function header(record: Buffer): [number, number] {
  try {
    return [readRecordDeviceId(record), readRecordSeq(record)];
  } catch {
    return [-1, -1];
  }
}

function verifies(record: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    return verify(null, sessionRecordSigningBytes(record), key, signature);
  } catch {
    return false;
  }
}
