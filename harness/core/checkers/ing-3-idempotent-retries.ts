import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { bookLedgerViolations } from './_internals/ledger-violations.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'ING-3';
const TITLE = INVARIANTS[ID];

/**
 * ING-3 idempotent retries, from the ledger: the driver retried some uploads
 * after a simulated timeout (after the server committed) with the same
 * Idempotency-Key and body, and compared the answers; each `replay-differs`
 * (not marked Idempotent-Replayed, or a different answer) is a violation. A
 * retry that wrote anything new also shows in ING-1 (stored twice).
 * `checked` = replays; skipped when the scenario made none.
 */
export const checkIdempotentRetries: Checker = async (ctx) => {
  const replays = ctx.fleet.totals.replays;
  if (replays === 0) return skipped(ID, TITLE, 'the scenario made no same-key retries (behaviour.retryAfterCommit is 0, or no upload drew one)');
  const findings = new Findings();
  bookLedgerViolations(ctx.fleet, ['replay-differs'], findings, () => 'the retry answered with the original response (Idempotent-Replayed: true), nothing new written');
  return verdictOf(ID, TITLE, replays, findings.witnesses, findings.violations);
};
