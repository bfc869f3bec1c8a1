import type { Dialect, DialectRevision, MigrationState } from '../../../contract/legacy/dialect.ts';
import type { LegacyReconciliation } from '../../../contract/legacy/wire.ts';
import type { Release } from '../../../simulators/legacy/index.ts';
import type { ResolvedLegacy } from '../scenario/types.ts';
import type { LegacyPlatform } from './platform-calls.ts';
import type { LegacyRunRecord } from './types.ts';

/** What the migration team knows of one line. */
export interface LineTrack {
  readonly dialect: Dialect;
  state: MigrationState;
  /** Revisions deployed to the old API (as specified, then every drift event deployed). */
  revisions: DialectRevision[];
  /** The app releases so far (one per deployed drift event). */
  releases: Release[];
  /** Index of the line's next drift event in the world's list of its events. */
  nextDrift: number;
  dualWriteDay: number | null;
  cutOverDay: number | null;
  /** The morning the mapping is to be updated (after a dirty night), or null. */
  mappingDueDay: number | null;
}

/**
 * The simulated migration team. Each morning, in order: update the mapping of
 * lines whose dirty night is `mappingLagDays` old (every revision deployed so
 * far); ask to cut over every line in dual-write since an earlier day (eager:
 * the gate must refuse until it has its clean nights); retire lines cut over
 * `retireAfterDays` ago; start dual-write on the next lines of the queue while
 * fewer than `concurrent` are in dual-write, from `startDay` on. Each night it
 * reads the reconciliation reports. Every request and answer goes to the record.
 */
export class MigrationTeam {
  readonly #legacy: ResolvedLegacy;
  readonly #queue: readonly string[];
  readonly #platform: LegacyPlatform;
  readonly #record: LegacyRunRecord;
  readonly #lines: ReadonlyMap<string, LineTrack>;
  readonly #log: (line: string) => void;

  constructor(legacy: ResolvedLegacy, queue: readonly string[], platform: LegacyPlatform, record: LegacyRunRecord, lines: ReadonlyMap<string, LineTrack>, log: (line: string) => void) {
    this.#legacy = legacy;
    this.#queue = queue;
    this.#platform = platform;
    this.#record = record;
    this.#lines = lines;
    this.#log = log;
  }

  /** The morning of `day`, at simulated time `t`. */
  async morning(day: number, t: number): Promise<void> {
    const m = this.#legacy.migration;
    for (const line of this.#queue) {
      const x = this.#lines.get(line)!;
      if (x.mappingDueDay === null || x.mappingDueDay > day) continue;
      x.mappingDueDay = null;
      if (x.state !== 'dual-write' && x.state !== 'reads-cut-over') continue;
      const revisions = [...x.revisions];
      const a = await this.#platform.setMapping(line, revisions);
      this.#record.mappings.push({ line, t, day, reason: 'update', revisions, answer: a.body });
      this.#log(`legacy: ${line} mapping ${a.body ? `updated to revision ${revisions.at(-1)!.revision} (${a.body.remapped} v2 rows re-derived)` : `refused: HTTP ${a.http} ${a.problem ?? ''}`} on day ${day + 1}`);
    }
    for (const line of this.#queue) {
      const x = this.#lines.get(line)!;
      if (x.state !== 'dual-write' || x.dualWriteDay === null || x.dualWriteDay >= day) continue;
      const granted = await this.#transition(line, x, 'reads-cut-over', day, t);
      if (granted) {
        x.cutOverDay = day;
        this.#log(`legacy: ${line} cut over to v2 reads on day ${day + 1} (day ${day - x.dualWriteDay + 1} of its dual-write)`);
      }
    }
    if (m.retireAfterDays !== null) {
      for (const line of this.#queue) {
        const x = this.#lines.get(line)!;
        if (x.state === 'reads-cut-over' && x.cutOverDay !== null && x.cutOverDay + m.retireAfterDays <= day && (await this.#transition(line, x, 'v2-only', day, t))) this.#log(`legacy: ${line} retired (v2-only) on day ${day + 1}`);
      }
    }
    if (day < m.startDay) return;
    let active = this.#queue.filter((l) => this.#lines.get(l)!.state === 'dual-write').length;
    for (const line of this.#queue) {
      if (active >= m.concurrent) break;
      const x = this.#lines.get(line)!;
      if (x.state !== 'legacy-only') continue;
      const revisions = [...x.revisions];
      if (!(await this.#transition(line, x, 'dual-write', day, t))) throw new Error(`the platform refused to start dual-write of ${line} on day ${day + 1} (see the record's transitions)`);
      x.dualWriteDay = day;
      this.#record.mappings.push({ line, t, day, reason: 'dual-write', revisions, answer: null });
      active++;
      this.#log(`legacy: ${line} starts dual-write on day ${day + 1} (mapping: revisions 0–${revisions.at(-1)!.revision}, ${revisions.length - 1} drift events folded in)`);
    }
  }

  /** The night of `day`: a line in dual-write or cut over whose report is not clean gets its mapping updated `mappingLagDays` later. */
  night(day: number, reports: readonly LegacyReconciliation[]): void {
    for (const r of reports) {
      const x = this.#lines.get(r.line);
      if (!x || r.clean || x.mappingDueDay !== null) continue;
      x.mappingDueDay = day + this.#legacy.migration.mappingLagDays;
    }
  }

  async #transition(line: string, x: LineTrack, to: MigrationState, day: number, t: number): Promise<boolean> {
    const a = await this.#platform.setState(line, to);
    const granted = a.http === 200;
    this.#record.transitions.push({ line, t, day, from: x.state, to, http: a.http, code: a.problem, granted });
    if (granted) x.state = to;
    return granted;
  }
}
