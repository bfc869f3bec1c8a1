import type { InvariantResult } from '../../../reports/types.ts';
import { INVARIANT_IDS, INVARIANTS, type InvariantId } from '../scenario/invariants.ts';
import { CHECKERS } from './checkers.ts';
import { skipped, type CheckContext } from './types.ts';

/** The skip reason of an invariant `fleetbed run` has no checker for. */
export const NOT_IMPLEMENTED = 'not implemented by fleetbed run (see the OTA/attack suites)';

/**
 * Run the checkers of `ids` one after the other (they share the context's
 * sign-ins and session listings) and return their results in catalogue order.
 * An id without a checker is skipped with {@link NOT_IMPLEMENTED}. A checker
 * that throws fails its invariant, with the error as the witness: a check that
 * could not run never passes.
 */
export async function runCheckers(ids: readonly InvariantId[], ctx: CheckContext): Promise<InvariantResult[]> {
  const wanted = new Set(ids);
  const results: InvariantResult[] = [];
  for (const id of INVARIANT_IDS) {
    if (!wanted.has(id)) continue;
    const checker = CHECKERS[id];
    if (!checker) {
      results.push(skipped(id, INVARIANTS[id], NOT_IMPLEMENTED));
      continue;
    }
    try {
      results.push(await checker(ctx));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({
        id,
        title: INVARIANTS[id],
        verdict: 'fail',
        checked: 0,
        violations: 1,
        witnesses: [{ expected: 'the check runs to completion against the platform', found: `the checker failed: ${message.slice(0, 500)}`, detail: 'a check that cannot run never passes; see the platform and API logs' }],
      });
    }
  }
  return results;
}
