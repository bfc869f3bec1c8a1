import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { bookLedgerViolations, isTimeRuleRejection } from './_internals/ledger-violations.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'ING-5';
const TITLE = INVARIANTS[ID];

/**
 * ING-5 per-record verdicts, from the ledger: every upload answered one
 * verdict per record (`answer-count`), in the order sent (`answer-order`); no
 * good record was rejected with a non-time code (`unexpected-rejection` whose
 * code is not a time rule's and the rules predicted acceptance); and every
 * relayed record was finally answered stored or rejected (`relayed-not-answered`,
 * also an ING-1 finding). `checked` = record copies answered; skipped when none
 * was relayed.
 */
export const checkPerRecordVerdicts: Checker = async (ctx) => {
  const copies = ctx.fleet.totals.copies;
  if (copies === 0) return skipped(ID, TITLE, 'no record was relayed: there were no per-record verdicts to check');
  const findings = new Findings();
  bookLedgerViolations(ctx.fleet, ['answer-count', 'answer-order', 'relayed-not-answered'], findings, (v) =>
    v.check === 'answer-count' ? 'one verdict per record sent' : v.check === 'answer-order' ? 'verdicts in the order the records were sent' : 'every relayed record answered stored or rejected',
  );
  bookLedgerViolations(ctx.fleet, ['unexpected-rejection'], findings, () => 'a good record accepted whatever else the batch held', (v) => !isTimeRuleRejection(v));
  return verdictOf(ID, TITLE, copies, findings.witnesses, findings.violations);
};
