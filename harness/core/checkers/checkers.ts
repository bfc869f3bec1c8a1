import type { InvariantResult } from '../../../reports/types.ts';
import type { OtaRunRecord } from '../ota/types.ts';
import type { InvariantId } from '../scenario/invariants.ts';
import { checkSignatures } from './auth-1-signatures.ts';
import { checkNoBola } from './auth-2-no-bola.ts';
import { checkOwnership } from './auth-3-ownership.ts';
import { checkLifecycle } from './auth-5-lifecycle.ts';
import { checkExactlyOnce } from './ing-1-exactly-once.ts';
import { checkAppendOnly } from './ing-2-append-only.ts';
import { checkIdempotentRetries } from './ing-3-idempotent-retries.ts';
import { checkLateData } from './ing-4-late-data.ts';
import { checkPerRecordVerdicts } from './ing-5-per-record-verdicts.ts';
import { checkNoIdentifiers } from './priv-1-no-identifiers.ts';
import { checkJoinAudit } from './priv-2-join-audit.ts';
import { checkVerifiedImages } from './ota-1-verified-images.ts';
import { checkNoDowngrade } from './ota-2-no-downgrade.ts';
import { checkStagedCohorts } from './ota-3-staged-cohorts.ts';
import { checkHaltStopsOffers } from './ota-4-halt-stops-offers.ts';
import { checkBlastRadius } from './ota-5-blast-radius.ts';
import { checkBootLoopRollback } from './ota-6-boot-loop-rollback.ts';
import { checkQuietBrickHalted } from './ota-7-quiet-brick-halted.ts';
import { checkDualWrite } from './leg-1-dual-write.ts';
import { checkReconciliation } from './leg-2-reconciliation.ts';
import { checkCutoverGate } from './leg-3-cutover-gate.ts';
import { checkNoLegacyDowngrade } from './leg-4-no-downgrade.ts';
import type { LegacyStores } from './_internals/legacy-stores.ts';
import type { LegacyRunRecord } from '../legacy/types.ts';
import { INVARIANTS } from '../scenario/invariants.ts';
import { skipped, type Checker } from './types.ts';

/** The OTA checkers, by invariant id: pure functions of one OTA engine run (harness/core/ota), which an OTA scenario's runner calls with its record. */
export const OTA_CHECKERS: Readonly<Partial<Record<InvariantId, (r: OtaRunRecord) => InvariantResult>>> = Object.freeze({
  'OTA-1': checkVerifiedImages,
  'OTA-2': checkNoDowngrade,
  'OTA-3': checkStagedCohorts,
  'OTA-4': checkHaltStopsOffers,
  'OTA-5': checkBlastRadius,
  'OTA-6': checkBootLoopRollback,
  'OTA-7': checkQuietBrickHalted,
});

/**
 * The legacy checkers, by invariant id: functions of one legacy engine run
 * (harness/core/legacy) and of both stores read after it (null without the
 * platform's database), which a legacy scenario's runner calls.
 */
export const LEGACY_CHECKERS: Readonly<Partial<Record<InvariantId, (r: LegacyRunRecord, stores: LegacyStores | null) => InvariantResult>>> = Object.freeze({
  'LEG-1': checkDualWrite,
  'LEG-2': (r: LegacyRunRecord) => checkReconciliation(r),
  'LEG-3': (r: LegacyRunRecord) => checkCutoverGate(r),
  'LEG-4': checkNoLegacyDowngrade,
});

/** A legacy checker reads the legacy engine's run; without one (a plain fleet run) it is skipped. */
const legacy = (id: 'LEG-1' | 'LEG-2' | 'LEG-3' | 'LEG-4'): Checker => async (ctx) =>
  ctx.legacy ? LEGACY_CHECKERS[id]!(ctx.legacy.record, ctx.legacy.stores) : skipped(id, INVARIANTS[id], 'legacy invariants need a legacy scenario (a `legacy` section)');

/** An OTA checker reads the OTA engine's run; without one (a plain fleet run) it is skipped. */
const ota = (id: 'OTA-1' | 'OTA-2' | 'OTA-3' | 'OTA-4' | 'OTA-5' | 'OTA-6' | 'OTA-7'): Checker => async (ctx) =>
  ctx.ota ? OTA_CHECKERS[id]!(ctx.ota) : skipped(id, INVARIANTS[id], 'OTA invariants need an OTA scenario (an `ota` section)');

/** The checkers `fleetbed run` has, by invariant id. The attack invariant belongs to its own suite; the OTA ones read an OTA scenario's run (harness/core/ota), the legacy ones a legacy scenario's (harness/core/legacy). */
export const CHECKERS: Readonly<Partial<Record<InvariantId, Checker>>> = Object.freeze({
  'ING-1': checkExactlyOnce,
  'ING-2': checkAppendOnly,
  'ING-3': checkIdempotentRetries,
  'ING-4': checkLateData,
  'ING-5': checkPerRecordVerdicts,
  'AUTH-1': checkSignatures,
  'AUTH-2': checkNoBola,
  'AUTH-3': checkOwnership,
  'AUTH-5': checkLifecycle,
  'PRIV-1': checkNoIdentifiers,
  'PRIV-2': checkJoinAudit,
  'OTA-1': ota('OTA-1'),
  'OTA-2': ota('OTA-2'),
  'OTA-3': ota('OTA-3'),
  'OTA-4': ota('OTA-4'),
  'OTA-5': ota('OTA-5'),
  'OTA-6': ota('OTA-6'),
  'OTA-7': ota('OTA-7'),
  'LEG-1': legacy('LEG-1'),
  'LEG-2': legacy('LEG-2'),
  'LEG-3': legacy('LEG-3'),
  'LEG-4': legacy('LEG-4'),
});
