import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { bookLedgerViolations, isTimeRuleRejection } from './_internals/ledger-violations.ts';
import { mapLimit, platformApi } from './_internals/platform-api.ts';
import { sampleDevices } from './_internals/sample.ts';
import type { FleetRunResult } from '../fleet/run-fleet.ts';
import { MAX_WITNESSES, skipped, verdictOf, type Checker } from './types.ts';

const ID = 'ING-4';
const TITLE = INVARIANTS[ID];
/** Devices whose sessions are listed to check the order. */
export const ING4_ORDER_SAMPLE = 50;

/**
 * ING-4 late data. From the ledger, which judged every verdict by the
 * platform's time rules: a record stored or answered duplicate although the
 * rules make it too-late / too-far-in-future, and a rejection with a time code
 * the rules do not predict (or a record the rules say is too-late answered with
 * some other rejection); each witness names the record, where it stood against the
 * rule (seconds inside or past the limit) and the rule's value. The rules are the
 * ones the platform declared (GET /testbed/clock `timeRules`) at run start. When the
 * world aimed records at the rules' edges (behaviour `timeEdges`), every edge whose
 * verdicts were not all the one it must get is a witness too, first. Through the API: for up to 50 devices that have
 * stored sessions, the owning household lists every page of
 * GET /v2/devices/{id}/sessions; startedAt must never decrease and
 * (startedAt, seq) must strictly increase. `checked` = record copies judged +
 * sessions whose order was checked; skipped when there was neither.
 */
export const checkLateData: Checker = async (ctx) => {
  const { ledger, totals } = ctx.fleet;
  const fleet = ledger.fleet;
  const findings = new Findings();
  const wrongEdges = edgeWitnesses(ctx.fleet, findings);
  const booked = bookLedgerViolations(ctx.fleet, ['stored-despite-time-rule', 'duplicate-despite-time-rule'], findings, () => 'the time rules decide: inside the window accepted, outside it rejected explicitly');
  const bookedRejections = bookLedgerViolations(ctx.fleet, ['unexpected-rejection'], findings, () => 'the rejection code the time rules predict', isTimeRuleRejection);
  // The edge summaries restate the records' violations (the ledger keeps only its first 20): count each wrong edge record once.
  if (wrongEdges > booked + bookedRejections) findings.violations += wrongEdges - booked - bookedRejections;
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

/**
 * One witness per time-rule edge whose records did not all get the verdict the rules
 * demand (stored at or inside the limit; too-late / too-far-in-future past it), put
 * first (each record is also a ledger violation). Returns how many edge records got a wrong verdict.
 */
function edgeWitnesses(run: FleetRunResult, findings: Findings): number {
  if (!run.edges) return 0;
  const { lateWindowSeconds, futureSkewSeconds, source } = run.rules;
  let wrong = 0;
  for (const [label, e] of Object.entries(run.edges)) {
    const want = e.expected === 'accept' ? 'stored' : e.expected;
    const got = Object.entries(e.answers).filter(([k]) => k !== want);
    if (got.length === 0 && (e.answers[want] ?? 0) === e.records) continue;
    wrong += got.reduce((n, [, k]) => n + k, 0) + Math.max(0, e.records - Object.values(e.answers).reduce((n, k) => n + k, 0));
    if (findings.witnesses.length >= MAX_WITNESSES) continue;
    const rule = label.startsWith('late-window') ? `late window ${lateWindowSeconds} s` : `future-skew limit ${futureSkewSeconds} s`;
    findings.witnesses.push({
      expected: `edge ${label} (${rule}, ${source}): all ${e.records} records ${want}`,
      found: `edge ${label}: ${Object.entries(e.answers).map(([k, n]) => `${n} ${k}`).join(', ') || 'no answers'}`,
      detail: 'time-rule edges (behaviour timeEdges): records the world aimed at the declared rule, each booked in the ledger',
    });
  }
  return wrong;
}
