import { INVARIANTS } from '../scenario/invariants.ts';
import type { Ledger } from '../../../simulators/ledger.ts';
import { withDatabase, ranges } from './_internals/db.ts';
import { Findings } from './_internals/findings.ts';
import { deviceBooks, servedContentHash } from './_internals/content-digest.ts';
import { bookLedgerViolations, unkeptLedgerViolations } from './_internals/ledger-violations.ts';
import { mapLimit, platformApi } from './_internals/platform-api.ts';
import { sampleDevices } from './_internals/sample.ts';
import { MAX_WITNESSES, verdictOf, type CheckContext, type Checker } from './types.ts';

const ID = 'ING-1';
const TITLE = INVARIANTS[ID];
const TWO_32 = 0x1_0000_0000;
const RANGE = 250_000;
/** Devices reconciled through the sessions API when the database is not reachable. */
export const ING1_API_SAMPLE = 200;

/** Ledger checks that mean a record was stored more or less than exactly once. */
const CHECKS = ['stored-twice', 'stored-after-rejected', 'verdict-for-unrelayed', 'relayed-not-answered'] as const;

/**
 * ING-1 exactly once. The ledger's own verdict checks (a record answered stored
 * twice, stored after a rejection, a verdict for a record no phone relayed, a
 * relayed record never answered), then, device by device, what the platform
 * holds now against what the ledger says it acknowledged: the number of stored
 * sessions, the highest seq and the seq sum (mod 2^32) — and the content: the
 * sum of the content hashes of the stored rows (simulators/ledger.ts
 * `contentHash`, rebuilt from the served fields) against the ledger's
 * `storedContent`, the digest of the copies the platform answered stored. So
 * a record whose content was overwritten with another copy is a witness, with
 * both digests. Through SQL for every device when the database is reachable,
 * else through the owner's sessions API for a sample. Records lost at the
 * device are in the ledger, not violations. Content is not compared when the
 * harness booked stored verdicts without their bytes (`storedWithoutContent`).
 * `checked` is the number of devices reconciled. Only SELECTs and GETs.
 */
export const checkExactlyOnce: Checker = async (ctx) => {
  const ledgerFindings = new Findings();
  bookLedgerViolations(ctx.fleet, CHECKS, ledgerFindings, (v) => (v.check === 'relayed-not-answered' ? 'every relayed record answered stored or rejected' : 'each record stored exactly once'));
  const unkept = unkeptLedgerViolations(ctx.fleet);
  const platformFindings = new Findings();
  const checked = ctx.env.databaseUrl ? await reconcileSql(ctx, ctx.env.databaseUrl, platformFindings) : await reconcileApi(ctx, platformFindings);
  // Both kinds of evidence in the report: what the platform holds first, then what it answered.
  const witnesses = [...platformFindings.witnesses.slice(0, MAX_WITNESSES / 2), ...ledgerFindings.witnesses];
  witnesses.push(...platformFindings.witnesses.slice(MAX_WITNESSES / 2));
  const result = verdictOf(ID, TITLE, checked, witnesses, ledgerFindings.violations + platformFindings.violations);
  if (unkept > 0 && result.witnesses.length < 20) {
    result.witnesses.push({ expected: 'every ledger violation classified', found: `${unkept} more ledger violations than the ledger kept details of`, detail: 'their kind is unknown; see the other ING checks' });
  }
  return result;
};

interface Held {
  n: number;
  max: number;
  sum: number;
  /** Sum of the rows' content hashes, mod 2^32; undefined when not computed. */
  content?: number;
}

const hex32 = (x: number): string => x.toString(16).padStart(8, '0');

async function reconcileSql(ctx: CheckContext, databaseUrl: string, findings: Findings): Promise<number> {
  const { ledger } = ctx.fleet;
  const fleet = ledger.fleet;
  await withDatabase(databaseUrl, async (client) => {
    const seen = new Uint8Array(fleet.deviceCount);
    for (const [lo, hi] of ranges(fleet.deviceTo, RANGE, fleet.deviceFrom)) {
      for (const r of await deviceBooks(client, fleet.deviceId(lo), fleet.deviceId(hi - 1), ledger.contentKey)) {
        const d = fleet.deviceIndex(r.deviceId);
        seen[d] = 1;
        compare(ledger, d, r, findings, 'sessions table (SQL)');
      }
    }
    for (let d = fleet.deviceFrom; d < fleet.deviceTo; d++) if (!seen[d] && ledger.stored[d]! > 0) compare(ledger, d, { n: 0, max: 0, sum: 0 }, findings, 'sessions table (SQL)');
  });
  return fleet.sliceDevices;
}

async function reconcileApi(ctx: CheckContext, findings: Findings): Promise<number> {
  const { ledger } = ctx.fleet;
  const fleet = ledger.fleet;
  const api = platformApi(ctx);
  const devices = sampleDevices(fleet, ING1_API_SAMPLE, 1, (d) => ledger.relayed[d]! > 0);
  await mapLimit(devices, 8, async (d) => {
    const listing = await api.listSessions(fleet.deviceId(d), fleet.householdOfDevice(d));
    if (listing.status !== 200 || !listing.body) {
      findings.add({ device: fleet.deviceId(d), expected: `the owner lists the device's sessions (200; the ledger says ${ledger.stored[d]} are stored)`, found: `${listing.status} ${listing.text.slice(0, 200)}`, detail: 'GET /v2/devices/{id}/sessions as the owning household' });
      return;
    }
    let max = 0;
    let sum = 0;
    let content: number | undefined = 0;
    for (const s of listing.body) {
      max = Math.max(max, s.seq);
      sum = (sum + s.seq) % TWO_32;
      const hash = servedContentHash(ledger.contentKey, s);
      content = hash === undefined || content === undefined ? undefined : (content + hash) % TWO_32;
    }
    compare(ledger, d, { n: listing.body.length, max, sum, content }, findings, 'sessions API (owner listing)');
  });
  return devices.length;
}

function compare(ledger: Ledger, d: number, held: Held, findings: Findings, source: string): void {
  const want: Held = { n: ledger.stored[d]!, max: ledger.storedMax[d]!, sum: ledger.storedSum[d]! };
  const fleet = ledger.fleet;
  if (held.n === want.n && held.max === want.max && held.sum === want.sum) {
    // The same records; are they the copies the platform acknowledged?
    if (ledger.storedWithoutContent > 0 || held.n === 0) return;
    const expected = ledger.storedContent[d]!;
    if (held.content === expected) return;
    findings.add({
      device: fleet.deviceId(d),
      expected: `the ${want.n} stored sessions hold the content the platform acknowledged (content digest ${hex32(expected)})`,
      found: held.content === undefined ? `a stored session whose fields cannot be a record (content digest not computable)` : `content digest ${hex32(held.content)}: a stored record's content was overwritten (same seqs, other bytes)`,
      detail: `${source}; the digest is the sum mod 2^32 of SHA-256(key ‖ record bytes, headChanged cleared)[0..4) over the device's stored records; counts, max seq ${want.max} and seq sum ${want.sum} agree`,
    });
    return;
  }
  // One record more or less: the seq sums differ by exactly that record's seq.
  let seq: number | undefined;
  let what = held.n > want.n ? 'records stored that the platform never acknowledged (or stored twice)' : 'acknowledged records missing';
  if (Math.abs(held.n - want.n) === 1) {
    const diff = held.n > want.n ? (held.sum - want.sum + TWO_32) % TWO_32 : (want.sum - held.sum + TWO_32) % TWO_32;
    if (diff >= 1 && diff <= fleet.seq[d]!) {
      seq = diff;
      what = held.n > want.n ? `an extra copy of seq ${diff} (stored twice, or stored without an acknowledgement)` : `seq ${diff} was acknowledged as stored and is gone`;
    }
  } else if (held.n === want.n) {
    what = 'the same number of records, but not the same ones';
  }
  findings.add({
    device: fleet.deviceId(d),
    ...(seq !== undefined ? { seq } : {}),
    expected: `${want.n} sessions stored (max seq ${want.max}, seq sum ${want.sum}) as the platform acknowledged`,
    found: `${held.n} sessions (max seq ${held.max}, seq sum ${held.sum}): ${what}`,
    detail: `${source}; device produced ${fleet.seq[d]}, lost ${ledger.lost[d]} at the device, relayed ${ledger.relayed[d]}, rejected ${ledger.rejected[d]}`,
  });
}
