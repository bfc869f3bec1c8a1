import type { CanonicalSession, DialectRevision, MigrationState, RawRecord } from '../../../contract/legacy/dialect.ts';
import type { LegacyLineStatus, LegacyMappingResult, LegacyReconciliation, LegacyRecordStatus, LegacyRepairJobResult } from '../../../contract/legacy/wire.ts';
import type { DriftEvent, HostileKind, LegacyWorld } from '../../../simulators/legacy/index.ts';
import type { MigrationOrder, ResolvedLegacy, ResolvedScenario } from '../scenario/types.ts';

/** One record of a v1 upload as sent, and the platform's verdict on it. */
export interface LegacyRowSent {
  /** contract/legacy/wire.ts `legacyRowKey(line, userId, recordId)`. */
  rowKey: string;
  recordId: string;
  /** Index of the device in the world. */
  device: number;
  raw: RawRecord;
  /** The session the world meant, in v2's terms (`truthSession` under the revision the app wrote). */
  truth: CanonicalSession;
  /** null: no per-record verdict (the whole request was refused). */
  status: LegacyRecordStatus | null;
  code: string | null;
}

/** What a hostile action must get: every record refused with `code`, or the whole request refused with one of `http`. */
export type LegacyExpected = { records: string } | { http: readonly number[]; code?: string };

/** One v1 upload request: the app's daily sync, its retry, or a hostile action. */
export interface LegacyUploadEntry {
  /** Simulated seconds since day 0's midnight. */
  t: number;
  day: number;
  line: string;
  /** Index of the acting user in the world. */
  user: number;
  build: number;
  /** The dialect revision the records were written in. */
  revision: number;
  kind: 'app' | 'retry' | HostileKind;
  /** The line's migration state when it was sent (as the migration team knows it). */
  state: MigrationState;
  rows: LegacyRowSent[];
  http: number;
  /** The upload's `v2` answer, when the body had one. */
  v2: 'written' | 'pending' | 'not-applicable' | null;
  /** The problem `code` of a refused request. */
  problem: string | null;
  /** The answer carried `Deprecation` and `Sunset` headers. */
  deprecation: boolean;
  sunset: boolean;
  /** Hostile actions only: the answer the platform must give. */
  expected?: LegacyExpected;
}

/** A dialect revision deployed to a line's old API (a drift event the engine applied). */
export interface LegacyDeployment {
  event: DriftEvent;
  t: number;
  /** Deployed while the line was still legacy-only: folded into the mapping its dual-write starts with. */
  beforeMigration: boolean;
}

/** The v2 mapping of a line from `t` on: the revisions the migration team gave it. */
export interface LegacyMappingEntry {
  line: string;
  t: number;
  day: number;
  /** `dual-write`: the platform took the deployed revisions when dual-write began; `update`: PUT mapping after a dirty night. */
  reason: 'dual-write' | 'update';
  revisions: DialectRevision[];
  answer: LegacyMappingResult | null;
}

/** A migration state change the team asked for, and the answer. */
export interface LegacyTransition {
  line: string;
  t: number;
  day: number;
  from: MigrationState;
  to: MigrationState;
  http: number;
  code: string | null;
  granted: boolean;
}

/** One night: the repair job, the reconciliation of every line (with its divergent rows when not clean), every line's status after. */
export interface LegacyNight {
  day: number;
  /** The platform's night (UTC date of its clock): YYYY-MM-DD. */
  night: string;
  t: number;
  repair: LegacyRepairJobResult;
  reports: LegacyReconciliation[];
  statuses: LegacyLineStatus[];
}

/** A legacy device registered as a v2 device at the factory. */
export interface LegacyV2Device {
  device: number;
  serial: string;
  deviceId: number;
  day: number;
  t: number;
}

/** Everything one legacy engine run did and saw: the LEG checkers' input, and the report's. */
export interface LegacyRunRecord {
  scenario: ResolvedScenario;
  legacy: ResolvedLegacy;
  world: LegacyWorld;
  /** The order the run migrated in (the scenario's, or the counterfactual's). */
  order: MigrationOrder;
  /** The migrating lines in the order they were taken. */
  queue: string[];
  /** Platform clock when the run started (ms) and day 0's midnight (unix s), the next UTC midnight. */
  startMs: number;
  originS: number;
  days: number;
  requiredCleanNights: number;
  v2WriteFailurePerMille: number;
  uploads: LegacyUploadEntry[];
  deployments: LegacyDeployment[];
  mappings: LegacyMappingEntry[];
  transitions: LegacyTransition[];
  nights: LegacyNight[];
  v2Devices: LegacyV2Device[];
  totals: { uploads: number; records: number; stored: number; duplicates: number; refused: number; hostile: number };
  wallSeconds: number;
  phases: Record<string, number>;
}
