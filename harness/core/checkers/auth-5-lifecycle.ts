import { INVARIANTS } from '../scenario/invariants.ts';
import { Findings } from './_internals/findings.ts';
import { skipped, verdictOf, type Checker } from './types.ts';

const ID = 'AUTH-5';
const TITLE = INVARIANTS[ID];

/**
 * AUTH-5, by observation: the requests the token probe (lifecycle-probe.ts)
 * and the care probe (care-probe.ts) made after a lifecycle event — a replayed
 * refresh token, a revoked consent — each got a status it had to get: every
 * token of the replayed family dead and no other family touched; a revoked
 * patient unreadable for the provider and the others still readable. `checked`
 * = requests judged.
 */
export const checkLifecycle: Checker = async (ctx) => {
  const seen = ctx.history.lifecycle;
  if (seen.length === 0) return skipped(ID, TITLE, 'no lifecycle event happened in this run (the token and care probes made no request)');
  const findings = new Findings();
  for (const o of seen) {
    if (o.expected.includes(o.status)) continue;
    findings.add({ expected: `${o.step}: HTTP ${o.expected.join(' or ')}`, found: `HTTP ${o.status}`, detail: `${o.rule}, ${o.subject}` });
  }
  return verdictOf(ID, TITLE, seen.length, findings.witnesses, findings.violations);
};
