import { applyDrift, DRIFT_KINDS, type Dialect, type DialectRevision, type DriftChange, type DriftKind, type LegacyMode } from '../../contract/legacy/dialect.ts';
import type prand from 'pure-rand';
import { rngInt, rngUnit } from '../seed.ts';
import type { ListedDrift } from './options.ts';

/** One drift event of a line: an app release (new build) that customized the old API, dated. */
export interface DriftEvent {
  readonly line: string;
  /** 0-based day of the run it ships on (deployed to the old API that morning, before any upload). */
  readonly day: number;
  /** `seeded`: drawn at the line's rate; `listed`: named by the scenario. */
  readonly source: 'seeded' | 'listed';
  readonly change: DriftChange;
  /** The revision it deploys (its `appBuild` is the release's build). */
  readonly revision: DialectRevision;
}

const ALL_MODES: readonly LegacyMode[] = ['daily', 'sensitive', 'whiten', 'gum', 'gentle', 'night', 'polish', 'tongue'];
const RENAME_TO = { startedAt: 'time', durationS: 'length', coverage: 'cover', mode: 'kind' } as const;
const UNIT_FIELDS = ['startedAt', 'durationS', 'coverage'] as const;
const RENAME_FIELDS = ['startedAt', 'durationS', 'coverage', 'mode'] as const;
const EXTRA_TYPES = ['int', 'string', 'boolean'] as const;

/** The build of the release after one of build `previous`: 3 to 9 builds later (internal builds never shipped between). */
function nextBuild(rng: prand.RandomGenerator, previous: number): number {
  return previous + 3 + rngInt(rng, 0, 6);
}

/** A change of `kind` that fits revision `rev` of `dialect`, with seeded parameters; null when the kind cannot apply (every mode known, coverage already overloaded). */
export function seededChange(rng: prand.RandomGenerator, dialect: Pick<Dialect, 'line'>, rev: DialectRevision, kind: DriftKind): DriftChange | null {
  const n = rev.revision + 1;
  switch (kind) {
    case 'add-field':
      return { kind, key: `extra${n}`, name: `ext_${n}`, type: EXTRA_TYPES[rngInt(rng, 0, EXTRA_TYPES.length - 1)]! };
    case 'unit-change':
      return { kind, field: UNIT_FIELDS[rngInt(rng, 0, UNIT_FIELDS.length - 1)]! };
    case 'rename-field': {
      const field = RENAME_FIELDS[rngInt(rng, 0, RENAME_FIELDS.length - 1)]!;
      return { kind, field, to: `${RENAME_TO[field]}_r${n}` };
    }
    case 'new-enum-value': {
      const known = new Set(Object.values(rev.fields.mode.values));
      const missing = ALL_MODES.filter((m) => !known.has(m));
      if (missing.length === 0) return null;
      const raws = Object.keys(rev.fields.mode.values);
      const numeric = raws.every((r) => /^\d+$/.test(r));
      const raw = numeric ? String(Math.max(...raws.map(Number)) + 1) : `m${n}`;
      return { kind, raw, mode: missing[rngInt(rng, 0, missing.length - 1)]! };
    }
    case 'overload-field':
      return rev.fields.coverage.sentinel === undefined ? { kind, sentinel: -1 } : null;
  }
}

/** Whether `changes` apply one after the other from `rev` (each with a newer build). */
function applies(rev: DialectRevision, changes: readonly DriftChange[]): boolean {
  let r = rev;
  try {
    for (const c of changes) r = applyDrift(r, c, r.appBuild + 1);
    return true;
  } catch {
    return false;
  }
}

/**
 * The drift of one line over `days` days: seeded events at `perMonth` per 30
 * days (a kind drawn among those that fit the revision then in force), and the
 * scenario's listed events on their days (a listed event first on its day).
 * A seeded event is only drawn if the listed ones after it still apply; a
 * listed event that does not apply is an error naming it. Pure: the same rng
 * state, the same events.
 */
export function scheduleLineDrift(rng: prand.RandomGenerator, dialect: Dialect, days: number, perMonth: number, listed: readonly ListedDrift[]): DriftEvent[] {
  const mine = listed.filter((e) => e.line === dialect.line).sort((a, b) => a.day - b.day);
  const slots: Array<{ day: number; listed?: ListedDrift }> = [];
  const p = perMonth / 30;
  for (let day = 0; day < days; day++) {
    for (const e of mine) if (e.day === day) slots.push({ day, listed: e });
    if (p > 0 && rngUnit(rng) < p) slots.push({ day });
  }
  const out: DriftEvent[] = [];
  let rev = dialect.revisions[dialect.revisions.length - 1]!;
  let listedLeft = mine.length;
  for (const slot of slots) {
    if (slot.listed) {
      listedLeft--;
      let next: DialectRevision;
      try {
        next = applyDrift(rev, slot.listed.change, nextBuild(rng, rev.appBuild));
      } catch (err) {
        throw new Error(`the drift event of ${dialect.line} on day ${slot.day + 1} (${slot.listed.change.kind}) does not apply to revision ${rev.revision}: ${(err as Error).message}`);
      }
      out.push({ line: dialect.line, day: slot.day, source: 'listed', change: slot.listed.change, revision: next });
      rev = next;
      continue;
    }
    const later = mine.slice(mine.length - listedLeft).map((e) => e.change);
    const kinds = [...DRIFT_KINDS];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = rngInt(rng, 0, i);
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    for (const kind of kinds) {
      const change = seededChange(rng, dialect, rev, kind);
      if (!change || !applies(rev, [change, ...later])) continue;
      const next = applyDrift(rev, change, nextBuild(rng, rev.appBuild));
      out.push({ line: dialect.line, day: slot.day, source: 'seeded', change, revision: next });
      rev = next;
      break;
    }
  }
  return out;
}
