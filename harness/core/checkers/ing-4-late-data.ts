import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { bookLedgerViolations, isTimeRuleRejection } from './_internals/ledger-violations.ts';
import { mapLimit, platformApi } from './_internals/platform-api.ts';
import { sampleDevices } from './_internals/sample.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'ING-4';
const TITLE = INVARIANTS[ID];
/** Devices whose sessions are listed to check the order. */
export const ING4_ORDER_SAMPLE = 50;

/**
 * ING-4 late data. From the ledger, which judged every verdict by the
 * platform's time rules: a record stored or answered duplicate although the
 * rules make it too-late / too-far-in-future, and a rejection with a time code
 * the rules do not predict (or a record the rules say is too-late answered with
 * some other rejection). Through the API: for up to 50 devices that have
 * stored sessions, the owning household lists every page of
 * GET /v2/devices/{id}/sessions; startedAt must never decrease and
 * (startedAt, seq) must strictly increase. `checked` = record copies judged +
 * sessions whose order was checked; skipped when there was neither.
 */
export const checkLateData: Checker = async (ctx) => {
  const { ledger, totals } = ctx.fleet;
  const fleet = ledger.fleet;
  const findings = new Findings();
  bookLedgerViolations(ctx.fleet, ['stored-despite-time-rule', 'duplicate-despite-time-rule'], findings, () => 'the time rules decide: inside the window accepted, outside it rejected explicitly');
  bookLedgerViolations(ctx.fleet, ['unexpected-rejection'], findings, () => 'the rejection code the time rules predict', isTimeRuleRejection);
  const api = platformApi(ctx);
  const devices = sampleDevices(fleet, ING4_ORDER_SAMPLE, 4, (d) => ledger.stored[d]! > 1);
  let listed = 0;
  await mapLimit(devices, 8, async (d) => {
    const id = fleet.deviceId(d);
    const listing = await api.listSessions(id, fleet.householdOfDevice(d));
    if (listing.status !== 200 || !listing.body) {
      findings.add({ device: id, expected: 'the owner lists the device\'s sessions (200)', found: `${listing.status} ${listing.text.slice(0, 200)}`, detail: 'GET /v2/devices/{id}/sessions as the owning household' });
      return;
    }
    const sessions = listing.body;
    listed += sessions.length;
    for (let i = 1; i < sessions.length; i++) {
      const a = sessions[i - 1]!;
      const b = sessions[i]!;
      const ta = Date.parse(a.startedAt);
      const tb = Date.parse(b.startedAt);
      if (tb > ta || (tb === ta && b.seq > a.seq)) continue;
      findings.add({
        device: id,
        seq: b.seq,
        expected: `sessions ordered by device time: after seq ${a.seq} (startedAt ${a.startedAt}) a later startedAt, or the same with a higher seq`,
        found: `seq ${b.seq} with startedAt ${b.startedAt} at position ${i}`,
        detail: 'GET /v2/devices/{id}/sessions, all pages, as the owning household',
      });
      break;
    }
  });
  const checked = totals.copies + listed;
  if (checked === 0) return skipped(ID, TITLE, 'no record was relayed and no device has stored sessions to list: nothing to judge');
  return verdictOf(ID, TITLE, checked, findings.witnesses, findings.violations);
};
