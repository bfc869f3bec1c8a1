import { createPublicKey, verify } from 'node:crypto';
import pg from 'pg';
import { readRecordDeviceId, readRecordSeq, sessionRecordSigningBytes } from '../../../contract/record.ts';
import { deviceKeySeed, privateKeyFromSeed } from '../../../simulators/device-keys.ts';
import type { Ledger } from '../../../simulators/ledger.ts';
import { deviceBooks, servedContentHash, type ServedSession } from '../checkers/_internals/content-digest.ts';
import { ensureAccess } from './accounts.ts';
import type { FleetContext } from './context.ts';
import { expectStatus } from './http.ts';

/** What the platform holds compared with the ledger. */
export interface Reconciliation {
  /** `sql`: every device, through DATABASE_URL. `api-sample`: a sample of devices, through the sessions API. */
  method: 'sql' | 'api-sample';
  devicesChecked: number;
  /** Rows (sql) or sessions (api) the platform holds for the checked devices. */
  storedOnPlatform: number;
  /** What the ledger says those devices should hold. */
  storedInLedger: number;
  /** Devices whose count, highest seq, seq sum or content digest differ. */
  mismatches: number;
  /** Of the mismatches, devices whose counts agree but whose stored content is not what was acknowledged. */
  contentMismatches: number;
  /** Whether content was compared (every stored verdict was booked with its bytes). */
  contentCompared: boolean;
  /** Stored records whose signature was re-verified against the device's key (AUTH-1 sample). */
  signaturesVerified: number;
  signatureFailures: number;
  examples: string[];
  ok: boolean;
}

const RANGE = 250_000;
const SIGNATURE_SAMPLE = 500;

/**
 * ING-1 against the platform, for every device: per device, the number of
 * stored sessions, the highest seq, the sum of seqs (mod 2^32) and the content
 * digest (sum of the rows' content hashes mod 2^32, rebuilt from the stored
 * fields: see checkers/_internals/content-digest.ts) must equal the ledger's —
 * so every record relayed and accepted is stored exactly once, with the bytes
 * acknowledged, and nothing is stored that no device produced. A sample of stored rows is
 * re-verified against the device keys (AUTH-1). Only reads.
 */
export async function reconcileSql(ledger: Ledger, databaseUrl: string): Promise<Reconciliation> {
  const fleet = ledger.fleet;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const out: Reconciliation = { method: 'sql', devicesChecked: fleet.sliceDevices, storedOnPlatform: 0, storedInLedger: 0, mismatches: 0, contentMismatches: 0, contentCompared: ledger.storedWithoutContent === 0, signaturesVerified: 0, signatureFailures: 0, examples: [], ok: false };
  try {
    const seen = new Uint8Array(fleet.deviceCount);
    for (let lo = fleet.deviceFrom; lo < fleet.deviceTo; lo += RANGE) {
      const hi = Math.min(fleet.deviceTo, lo + RANGE);
      for (const r of await deviceBooks(client, fleet.deviceId(lo), fleet.deviceId(hi - 1), ledger.contentKey)) {
        const d = fleet.deviceIndex(r.deviceId);
        seen[d] = 1;
        out.storedOnPlatform += r.n;
        compare(out, ledger, d, r.n, r.max, r.sum, r.content);
      }
    }
    for (let d = fleet.deviceFrom; d < fleet.deviceTo; d++) {
      out.storedInLedger += ledger.stored[d]!;
      if (!seen[d] && ledger.stored[d]! > 0) compare(out, ledger, d, 0, 0, 0, 0);
    }
    const ids: number[] = [];
    const step = Math.max(1, Math.floor(fleet.sliceDevices / SIGNATURE_SAMPLE));
    for (let d = fleet.deviceFrom; d < fleet.deviceTo && ids.length < SIGNATURE_SAMPLE; d += step) if (ledger.stored[d]! > 0) ids.push(fleet.deviceId(d));
    const sample = await client.query<{ record: Buffer; signature: Buffer }>(
      'SELECT DISTINCT ON (device_id) record, signature FROM sessions WHERE device_id = ANY($1::bigint[]) ORDER BY device_id, seq DESC',
      [ids],
    );
    for (const { record, signature } of sample.rows) {
      const d = fleet.deviceIndex(readRecordDeviceId(record));
      const publicKey = createPublicKey(privateKeyFromSeed(deviceKeySeed(fleet.seed, d)));
      if (verify(null, sessionRecordSigningBytes(record), publicKey, signature)) out.signaturesVerified++;
      else {
        out.signatureFailures++;
        example(out, `device ${readRecordDeviceId(record)} seq ${readRecordSeq(record)}: the stored signature does not verify under the device's key`);
      }
    }
  } finally {
    await client.end();
  }
  out.ok = out.mismatches === 0 && out.signatureFailures === 0 && out.storedOnPlatform === out.storedInLedger;
  return out;
}

/**
 * ING-1 through the API, for platforms without a database URL: `sample`
 * devices spread over the fleet, each listed by its owner through
 * GET /v2/devices/{id}/sessions (all pages), compared like reconcileSql.
 */
export async function reconcileApi(ctx: FleetContext, sample: number): Promise<Reconciliation> {
  const { fleet, ledger, app, http } = ctx;
  const out: Reconciliation = { method: 'api-sample', devicesChecked: 0, storedOnPlatform: 0, storedInLedger: 0, mismatches: 0, contentMismatches: 0, contentCompared: ledger.storedWithoutContent === 0, signaturesVerified: 0, signatureFailures: 0, examples: [], ok: false };
  const step = Math.max(1, Math.floor(fleet.sliceDevices / sample));
  for (let d = fleet.deviceFrom; d < fleet.deviceTo && out.devicesChecked < sample; d += step) {
    const p = fleet.hhFirstPhone[fleet.householdOfDevice(d)]!;
    let n = 0;
    let max = 0;
    let sum = 0;
    let content: number | undefined = 0;
    let cursor: string | null = null;
    do {
      await ensureAccess(ctx, p);
      const path: string = `/v2/devices/${fleet.deviceId(d)}/sessions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await http.json<{ sessions: ServedSession[]; nextCursor: string | null }>('GET', path, undefined, { authorization: `Bearer ${app.accessToken(p)}` });
      expectStatus(`listing the sessions of device ${fleet.deviceId(d)}`, r, 200);
      for (const s of r.body.sessions) {
        n++;
        max = Math.max(max, s.seq);
        sum = (sum + s.seq) % 0x1_0000_0000;
        const hash = servedContentHash(ledger.contentKey, s);
        content = hash === undefined || content === undefined ? undefined : (content + hash) % 0x1_0000_0000;
      }
      cursor = r.body.nextCursor;
    } while (cursor);
    out.devicesChecked++;
    out.storedOnPlatform += n;
    out.storedInLedger += ledger.stored[d]!;
    compare(out, ledger, d, n, max, sum, content);
  }
  out.ok = out.mismatches === 0 && out.storedOnPlatform === out.storedInLedger;
  return out;
}

function compare(out: Reconciliation, ledger: Ledger, d: number, n: number, max: number, sum: number, content: number | undefined): void {
  if (d < 0) {
    out.mismatches++;
    example(out, `a stored row names a device outside the fleet`);
    return;
  }
  const want = { n: ledger.stored[d]!, max: ledger.storedMax[d]!, sum: ledger.storedSum[d]! };
  if (n !== want.n || max !== want.max || sum !== want.sum) {
    out.mismatches++;
    example(out, `device ${ledger.fleet.deviceId(d)}: platform holds ${n} sessions (max seq ${max}, seq sum ${sum}), ledger expects ${want.n} (max ${want.max}, sum ${want.sum}); produced ${ledger.fleet.seq[d]}, relayed ${ledger.relayed[d]}, rejected ${ledger.rejected[d]}`);
  } else if (out.contentCompared && n > 0 && content !== ledger.storedContent[d]) {
    out.mismatches++;
    out.contentMismatches++;
    const hex = (x: number | undefined) => (x === undefined ? 'not computable' : x.toString(16).padStart(8, '0'));
    example(out, `device ${ledger.fleet.deviceId(d)}: the ${n} stored sessions agree in count, max seq and seq sum, but their content digest is ${hex(content)}, the ledger's ${hex(ledger.storedContent[d])}: a stored record's content was overwritten`);
  }
}

function example(out: Reconciliation, text: string): void {
  if (out.examples.length < 20) out.examples.push(text);
}
