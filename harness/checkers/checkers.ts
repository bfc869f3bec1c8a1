import type { InvariantId } from '../scenario/invariants.ts';
import { checkSignatures } from './auth-1-signatures.ts';
import { checkNoBola } from './auth-2-no-bola.ts';
import { checkOwnership } from './auth-3-ownership.ts';
import { checkExactlyOnce } from './ing-1-exactly-once.ts';
import { checkAppendOnly } from './ing-2-append-only.ts';
import { checkIdempotentRetries } from './ing-3-idempotent-retries.ts';
import { checkLateData } from './ing-4-late-data.ts';
import { checkPerRecordVerdicts } from './ing-5-per-record-verdicts.ts';
import { checkNoIdentifiers } from './priv-1-no-identifiers.ts';
import { checkJoinAudit } from './priv-2-join-audit.ts';
import type { Checker } from './types.ts';

/** The checkers `fleetbed run` has, by invariant id. The OTA, legacy and attack invariants belong to their own suites. */
export const CHECKERS: Readonly<Partial<Record<InvariantId, Checker>>> = Object.freeze({
  'ING-1': checkExactlyOnce,
  'ING-2': checkAppendOnly,
  'ING-3': checkIdempotentRetries,
  'ING-4': checkLateData,
  'ING-5': checkPerRecordVerdicts,
  'AUTH-1': checkSignatures,
  'AUTH-2': checkNoBola,
  'AUTH-3': checkOwnership,
  'PRIV-1': checkNoIdentifiers,
  'PRIV-2': checkJoinAudit,
});
