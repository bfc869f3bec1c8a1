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
import { OTA_CHECKERS } from './ota-checkers.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { skipped, type Checker } from './types.ts';

/** An OTA checker reads the OTA engine's run; without one (a plain fleet run) it is skipped. */
const ota = (id: 'OTA-1' | 'OTA-2' | 'OTA-3' | 'OTA-4' | 'OTA-5' | 'OTA-6' | 'OTA-7'): Checker => async (ctx) =>
  ctx.ota ? OTA_CHECKERS[id]!(ctx.ota) : skipped(id, INVARIANTS[id], 'OTA invariants need an OTA scenario (an `ota` section)');

/** The checkers `fleetbed run` has, by invariant id. The legacy and attack invariants belong to their own suites; the OTA ones read an OTA scenario's run (harness/core/ota). */
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
  'OTA-1': ota('OTA-1'),
  'OTA-2': ota('OTA-2'),
  'OTA-3': ota('OTA-3'),
  'OTA-4': ota('OTA-4'),
  'OTA-5': ota('OTA-5'),
  'OTA-6': ota('OTA-6'),
  'OTA-7': ota('OTA-7'),
});
