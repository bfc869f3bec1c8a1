import type { AttackCase } from '../types.ts';
import { replayCases } from './replay.ts';
import { tamperingCases } from './tampering.ts';
import { identityCases } from './identity.ts';
import { weakKeyCases } from './weak-keys.ts';
import { bolaCases } from './bola.ts';
import { bondingCases } from './bonding.ts';
import { massAssignmentCases } from './mass-assignment.ts';
import { tokenCases } from './tokens.ts';
import { functionLevelCases } from './function-level.ts';
import { otaCases } from './ota.ts';
import { resourceCases, floodVerdict } from './resources.ts';
import { legacyCases } from './legacy.ts';

// The flood judges every answer, not only the last.
const flood = resourceCases.find((c) => c.id === 'res-idempotency-key-flood')!;
flood.expected.check = floodVerdict as never;

/** Every attack case, in catalogue order. Ids are stable. */
export const ATTACK_CASES: readonly AttackCase[] = Object.freeze([
  ...replayCases,
  ...tamperingCases,
  ...identityCases,
  ...weakKeyCases,
  ...bolaCases,
  ...bondingCases,
  ...massAssignmentCases,
  ...tokenCases,
  ...functionLevelCases,
  ...otaCases,
  ...resourceCases,
  ...legacyCases,
]);
