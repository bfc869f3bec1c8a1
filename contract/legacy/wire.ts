/**
 * The wire shapes of the legacy v1 facade, the migration's operator routes and
 * their testbed hooks (contract/schemas.ts holds the JSON Schemas the API
 * validates with; these are the same shapes for TypeScript callers).
 *
 * Routes (every line's from its {@link Dialect}; the operator routes take the
 * factory credential, as the OTA operator routes do):
 * - `POST <basePath>/sessions`  upload a batch in the line's encoding, its auth, `User-Agent: <appName>/<build>` → {@link LegacyUploadResult}
 * - `GET  <basePath>/sessions?since=<epoch s>`  the user's sessions → {@link LegacyReadResult} (legacy store until reads cut over, v2 after)
 * - `GET  /v2/legacy/lines` → {@link LegacyLineList};  `GET /v2/legacy/lines/{line}` → {@link LegacyLineStatus}
 * - `PUT  /v2/legacy/lines/{line}/state` {@link LegacyStateRequest} → status (409 cutover-gate-closed, 409 migration-state-invalid)
 * - `PUT  /v2/legacy/lines/{line}/gate` {@link LegacyGateRequest} → status
 * - `PUT  /v2/legacy/lines/{line}/mapping` {@link LegacyMappingRequest} → {@link LegacyMappingResult} (re-derives the line's v2 rows)
 * - `GET  /v2/legacy/lines/{line}/reconciliations` → {@link LegacyReconciliationList} (newest first, no rows)
 * - `GET  /v2/legacy/lines/{line}/reconciliations/{night}` → {@link LegacyReconciliation} with every divergent row
 * - test mode: `PUT /testbed/legacy/lines/{line}/revisions` (deploy a customization to the old API: the next {@link DialectRevision}),
 *   `POST /testbed/legacy/users` {@link LegacyUsersRequest}, `PUT /testbed/legacy/faults` {@link LegacyFaultsRequest},
 *   jobs `legacy-repair` and `legacy-reconcile` (`POST /testbed/jobs/{name}`; outside test mode both run nightly on their own).
 */
import { sha256Hex } from '../sha256.ts';
import { legacyRowKeyInput, type DialectRevision, type Divergence, type DivergenceKind, type LegacyMode, type MigrationState, type RawValue } from './dialect.ts';

/** A row's opaque key in both stores and every report: 32 hex digits of SHA-256 over line, user id and record id. */
export function legacyRowKey(line: string, userId: string, recordId: string): string {
  return sha256Hex(legacyRowKeyInput(line, userId, recordId)).slice(0, 32);
}

/**
 * Test-mode fault: whether the first v2 write of a row fails after its legacy
 * commit, at `perMille` per thousand rows (a function of the row key alone, so
 * the world knows which rows the platform must repair).
 */
export function v2WriteFails(rowKey: string, perMille: number): boolean {
  return perMille > 0 && parseInt(rowKey.slice(0, 4), 16) % 1000 < perMille;
}

/** What the platform did with one record of a v1 upload. */
export type LegacyRecordStatus = 'stored' | 'duplicate' | 'refused';

/**
 * Per-record refusals: `device-signs-v2` the serial is a v2 device that signs its records (no unsigned
 * record for it is ever written, LEG-4); `device-not-yours` the serial's records belong to another user of
 * the line, or to another person on another line; `record-conflict` the row exists with other content (the first copy stays); `invalid-record`
 * the record has no id or serial.
 */
export type LegacyRefusalCode = 'device-signs-v2' | 'device-not-yours' | 'record-conflict' | 'invalid-record';

export interface LegacyRecordResult {
  recordId: string | null;
  /** The row key of the record (null when it has no id). */
  rowKey: string | null;
  status: LegacyRecordStatus;
  code?: LegacyRefusalCode;
}

/**
 * `v2`: `written` every stored record is in v2 too; `pending` the legacy store committed and at least one
 * v2 write failed — the outbox holds it and the repair job writes it (never lost); `not-applicable` the line
 * is legacy-only, or nothing was stored.
 */
export interface LegacyUploadResult {
  results: LegacyRecordResult[];
  v2: 'written' | 'pending' | 'not-applicable';
}

export interface LegacySessionView {
  recordId: string;
  deviceSerial: string;
  startedAt: number | null;
  durationS: number | null;
  coverage: number | null;
  mode: LegacyMode | null;
  extras: Record<string, RawValue>;
}

export interface LegacyReadResult {
  /** Where the read was served from: the line's reads cut over to v2 or not. */
  source: 'legacy' | 'v2';
  sessions: LegacySessionView[];
}

export interface LegacyLineStatus {
  line: string;
  title: string;
  deprecated: boolean;
  state: MigrationState;
  requiredCleanNights: number;
  /** Consecutive clean nights up to and including the last reconciliation; any divergence resets it to 0. */
  cleanNights: number;
  lastReconciledNight: string | null;
  dualWriteAt: string | null;
  cutOverAt: string | null;
  retiredAt: string | null;
  /** The newest dialect revision the v2 mapping knows (null while legacy-only). */
  mappingRevision: number | null;
  /** How many times the mapping was replaced after dual-write began. */
  mappingChanges: number;
  /** The newest revision deployed to the old API. */
  dialectRevision: number;
  rows: { legacy: number; v2: number; pendingV2: number };
  traffic: { requests: number; refused: number; deprecatedRequests: number };
}

export interface LegacyLineList {
  lines: LegacyLineStatus[];
}

export interface LegacyStateRequest {
  state: MigrationState;
}

export interface LegacyGateRequest {
  /** 1–365. */
  requiredCleanNights: number;
}

/** The v2 mapping: the dialect's revisions 0…k as the migration team knows them. */
export interface LegacyMappingRequest {
  revisions: DialectRevision[];
}

export interface LegacyMappingResult {
  line: string;
  mappingRevision: number;
  mappingChanges: number;
  /** v2 rows re-derived from the legacy store's raw records under the new mapping. */
  remapped: number;
}

export interface LegacyReconciliationSummary {
  line: string;
  /** The UTC date of the platform clock when it ran (YYYY-MM-DD); one report a night, a re-run replaces it. */
  night: string;
  ranAt: string;
  rowsCompared: number;
  buckets: number;
  bucketsDiffering: number;
  divergences: Record<DivergenceKind, number>;
  clean: boolean;
  cleanNights: number;
}

export interface LegacyReconciliation extends LegacyReconciliationSummary {
  rows: Divergence[];
}

export interface LegacyReconciliationList {
  reports: LegacyReconciliationSummary[];
}

export interface LegacyUsersRequest {
  /** At most 10000 a request. */
  users: Array<{ line: string; userId: string; secret: string }>;
}

export interface LegacyFaultsRequest {
  /** The share of rows, per thousand, whose first v2 write fails after the legacy commit ({@link v2WriteFails}). */
  v2WriteFailurePerMille: number;
}

/** The `result` of the testbed jobs. */
export interface LegacyReconcileJobResult {
  lines: LegacyReconciliationSummary[];
}
export interface LegacyRepairJobResult {
  repaired: number;
  pending: number;
}
