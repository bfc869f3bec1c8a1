import { diffRow, interpret, revisionFor, type CanonicalSession, type Dialect, type DialectRevision, type Divergence, type MigrationState, type RawRecord, type RawValue } from '../../../contract/legacy/dialect.ts';
import { v2WriteFails } from '../../../contract/legacy/wire.ts';
import type { LegacyNight, LegacyRunRecord } from './types.ts';

const DAY = 86_400;

/** A row the platform answered `stored` (its first copy): what both stores must hold from then on. */
export interface StoredRow {
  rowKey: string;
  line: string;
  /** The request's app build (the v2 side is read under the mapping's revision for it). */
  build: number;
  raw: RawRecord;
  truth: CanonicalSession;
  t: number;
  day: number;
  /** Its first v2 write is the one the test fault skips (contract/legacy/wire.ts v2WriteFails): it is `pending` until repaired. */
  failsFirstV2Write: boolean;
  /** Sent by a hostile action (the platform should never have stored it; LEG-4 says so). */
  hostile: boolean;
}

/** The rows of the record the platform stored, by row key, in the order they were stored. */
export function storedRows(r: LegacyRunRecord): Map<string, StoredRow> {
  const out = new Map<string, StoredRow>();
  const uploads = [...r.uploads].sort((a, b) => a.t - b.t);
  for (const u of uploads) {
    for (const row of u.rows) {
      if (row.status !== 'stored' || out.has(row.rowKey)) continue;
      out.set(row.rowKey, {
        rowKey: row.rowKey,
        line: u.line,
        build: u.build,
        raw: row.raw,
        truth: row.truth,
        t: u.t,
        day: u.day,
        failsFirstV2Write: v2WriteFails(row.rowKey, r.v2WriteFailurePerMille),
        hostile: u.kind !== 'app' && u.kind !== 'retry',
      });
    }
  }
  return out;
}

/** The dialect of a line of the run. */
export function dialectIn(r: LegacyRunRecord, line: string): Dialect {
  const d = r.legacy.dialects.find((x) => x.line === line);
  if (!d) throw new Error(`line ${line} is not in the run's dialects`);
  return d;
}

/** The mapping of `line` in force at simulated time `t` (the last one set at or before it), or null before dual-write. */
export function mappingAt(r: LegacyRunRecord, line: string, t: number): DialectRevision[] | null {
  let pick: DialectRevision[] | null = null;
  let at = -Infinity;
  for (const m of r.mappings) if (m.line === line && m.t <= t && m.t >= at && (m.reason === 'dual-write' || m.answer !== null)) {
    pick = m.revisions;
    at = m.t;
  }
  return pick;
}

/** The state of `line` at simulated time `t`, from the transitions the platform granted. */
export function stateAt(r: LegacyRunRecord, line: string, t: number): MigrationState {
  let state: MigrationState = 'legacy-only';
  for (const x of r.transitions) if (x.line === line && x.granted && x.t <= t) state = x.to;
  return state;
}

/** What a row's v2 side is under a mapping: the session and the raw fields the mapping has no place for. */
export function v2SideOf(dialect: Dialect, mapping: readonly DialectRevision[], row: Pick<StoredRow, 'build' | 'raw'>): { session: CanonicalSession; unmapped: Record<string, RawValue> } {
  const x = interpret(dialect, revisionFor(mapping, row.build), row.raw);
  return { session: x.session, unmapped: x.unmapped };
}

/** A divergence as one comparable string. */
export const divergenceKey = (d: Pick<Divergence, 'rowKey' | 'kind' | 'field'>): string => `${d.rowKey} ${d.kind} ${d.field ?? '-'}`;

/** What the ledger predicts one night's reconciliation of one line must report. */
export interface NightPrediction {
  /** Rows of the line in the legacy store at the time (the ones compared). */
  rows: number;
  /** Every divergence, in diffRow's order, row by row. */
  divergences: Divergence[];
  /** Missing-in-v2 divergences that may or may not show: rows whose first v2 write the fault skipped (the repair path is LEG-1's to judge). */
  tolerated: Set<string>;
}

/**
 * The divergences the ledger predicts for `line` at night `night`: every row
 * stored before it, its legacy side the world's truth, its v2 side the raw
 * record read under the mapping then in force (contract interpret, unmapped
 * fields kept), compared with contract diffRow. Null for a line not in
 * dual-write (or later) that night.
 */
export function predictNight(r: LegacyRunRecord, rows: ReadonlyMap<string, StoredRow>, line: string, night: Pick<LegacyNight, 't'>, cache?: Map<string, Divergence[]>): NightPrediction | null {
  const mapping = mappingAt(r, line, night.t);
  if (!mapping) return null;
  const dialect = dialectIn(r, line);
  const out: NightPrediction = { rows: 0, divergences: [], tolerated: new Set() };
  const mappingId = r.mappings.filter((m) => m.line === line && m.t <= night.t).length;
  for (const row of rows.values()) {
    if (row.line !== line || row.t > night.t) continue;
    out.rows++;
    const key = `${row.rowKey} ${mappingId}`;
    let divs = cache?.get(key);
    if (!divs) {
      divs = diffRow(row.rowKey, row.truth, v2SideOf(dialect, mapping, row));
      cache?.set(key, divs);
    }
    out.divergences.push(...divs);
    if (row.failsFirstV2Write) out.tolerated.add(divergenceKey({ rowKey: row.rowKey, kind: 'missing-in-v2', field: null }));
  }
  return out;
}

/** One line's night as the ledger predicts it: clean or not, and the run of consecutive clean nights up to it. */
export interface PredictedNight {
  day: number;
  night: string;
  t: number;
  clean: boolean;
  cleanNights: number;
  prediction: NightPrediction;
}

/**
 * The gate's count for `line` night by night, as the ledger predicts it: +1 for
 * a clean night that follows a reconciled night, 1 for a clean night after a
 * missed one (or the first), 0 for a night with any divergence. Only nights the
 * line was in dual-write or later (it has a mapping) and the platform reported. A tolerated divergence
 * (a row still missing in v2 after a skipped first write) that the night's
 * report does show makes the night dirty: the gate counts what reconciliation
 * found, and the repair path is LEG-1's to judge.
 */
export function predictCleanNights(r: LegacyRunRecord, rows: ReadonlyMap<string, StoredRow>, line: string, cache?: Map<string, Divergence[]>): PredictedNight[] {
  const out: PredictedNight[] = [];
  for (const night of r.nights) {
    const prediction = predictNight(r, rows, line, night, cache);
    if (!prediction) continue;
    const report = night.reports.find((x) => x.line === line);
    if (!report) continue; // a night the platform did not reconcile the line: the next clean one counts 1 (LEG-2 names the missed night)
    const shown = report.rows.some((d) => prediction.tolerated.has(divergenceKey(d)));
    const clean = prediction.divergences.length === 0 && !shown;
    const prev = out.at(-1);
    const cleanNights = !clean ? 0 : prev && prev.day === night.day - 1 ? prev.cleanNights + 1 : 1;
    out.push({ day: night.day, night: night.night, t: night.t, clean, cleanNights, prediction });
  }
  return out;
}

/** The day (0-based) simulated time `t` falls on. */
export const dayOf = (t: number): number => Math.floor(t / DAY);
