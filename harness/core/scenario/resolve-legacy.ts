import { applyDrift, dialectProblems, type Dialect, type DriftChange, type LegacyMode, type MigrationState } from '../../../contract/legacy/dialect.ts';
import { DIALECTS } from '../../../contract/legacy/dialects.ts';
import type { Check } from './_internals/check.ts';
import { SCENARIO_DEFAULTS } from './defaults.ts';
import { formatDuration } from './duration.ts';
import type { LegacyExpectInput, MigrationOrder, ResolvedLegacy } from './types.ts';

/** Most legacy devices a scenario may ask for (its users are registered with the platform before the first day). */
export const MAX_LEGACY_DEVICES = 100_000;

const FIELDS = ['lines', 'dialects', 'sessionsPerDay', 'twoDevices', 'neverUpgrade', 'upgradeLagDays', 'sharedEmails', 'retries', 'sentinelShare', 'drift', 'migration', 'faults', 'hostile', 'expect'] as const;
const ORDERS: readonly MigrationOrder[] = ['as-listed', 'big-first', 'cheap-first'];
const STATES: readonly MigrationState[] = ['legacy-only', 'dual-write', 'reads-cut-over', 'v2-only'];
const MODES: readonly LegacyMode[] = ['daily', 'sensitive', 'whiten', 'gum', 'gentle', 'night', 'polish', 'tongue'];
const RAW_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,39}$/;
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

/**
 * The `legacy` section of a scenario, defaults filled ({@link SCENARIO_DEFAULTS}.legacy)
 * and every field checked against the dialects: lines that exist, drift events that
 * apply to the line in order, expectations of lines that are in the world. Fails
 * through `c` naming the field (`legacy.drift.events[0].change.kind`), the value and
 * what it must be.
 */
export function resolveLegacy(c: Check, raw: unknown, durationSeconds: number, devices: number | undefined): ResolvedLegacy {
  const d = SCENARIO_DEFAULTS.legacy;
  const o = c.object('legacy', raw, FIELDS);
  if (durationSeconds % 86_400 !== 0 || durationSeconds < 2 * 86_400) c.fail('duration', 'whole days, at least "2d": a legacy scenario runs day by day, each ending with its night (repair, reconciliation)', formatDuration(durationSeconds));
  const days = durationSeconds / 86_400;

  // ------------------------------------------------------------ dialects and lines
  const custom = new Map<string, Dialect>();
  const dialectList = o.dialects === undefined ? [] : c.array('legacy.dialects', o.dialects, 'an array of dialect specs (contract/legacy/dialect.ts Dialect)');
  dialectList.forEach((x, i) => {
    const path = `legacy.dialects[${i}]`;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) c.fail(path, 'a dialect spec object { line, title, productLine, basePath, encoding, batchKey, auth, userIdScheme, deprecated, appName, utcOffsetMinutes, weight, revisions }', x);
    let problems: string[];
    try {
      problems = dialectProblems(x as Dialect);
    } catch (err) {
      c.fail(path, 'a complete dialect spec (see contract/legacy/dialects.ts for eight of them)', x, `it could not be read: ${(err as Error).message}`);
    }
    if (problems.length > 0) c.fail(path, 'a sound dialect spec', (x as Dialect).line, problems.join('; '));
    const line = (x as Dialect).line;
    if (custom.has(line)) c.fail(`${path}.line`, 'a line no other entry of legacy.dialects names', line);
    custom.set(line, x as Dialect);
  });
  const known = new Map<string, Dialect>(DIALECTS.map((x) => [x.line, x]));
  for (const [line, x] of custom) known.set(line, x);
  const knownText = `one of ${[...known.keys()].map((l) => JSON.stringify(l)).join(', ')} (the catalogue's lines, and those of legacy.dialects)`;
  const lineList = (path: string, value: unknown, fallback: readonly string[]): string[] => {
    if (value === undefined) return [...fallback];
    const list = c.array(path, value, `a non-empty list of line ids, ${knownText}`);
    if (list.length === 0) c.fail(path, 'a non-empty list of line ids', value);
    const seen = new Set<string>();
    return list.map((x, i) => {
      const line = c.oneOf(`${path}[${i}]`, x, [...known.keys()]);
      if (seen.has(line)) c.fail(`${path}[${i}]`, 'a line not listed before', x);
      seen.add(line);
      return line;
    });
  };
  const lines = lineList('legacy.lines', o.lines, DIALECTS.map((x) => x.line));
  const dialects = lines.map((l) => known.get(l)!);
  if (devices !== undefined && (devices < lines.length || devices > MAX_LEGACY_DEVICES)) {
    c.fail('fleet.devices', `for a legacy scenario, the world's legacy devices: from ${lines.length} (one a line) to ${MAX_LEGACY_DEVICES}`, devices);
  }
  const inWorld = (path: string, line: unknown): string => c.oneOf(path, line, lines);

  // ------------------------------------------------------------ the world's rates
  const share = (field: keyof typeof d & string, v: unknown) => (v === undefined ? (d[field] as number) : c.probability(`legacy.${field}`, v));
  const sessionsPerDay = o.sessionsPerDay === undefined ? d.sessionsPerDay : c.integer('legacy.sessionsPerDay', o.sessionsPerDay, 1, 4);
  const maxUpgradeLagDays = o.upgradeLagDays === undefined ? d.upgradeLagDays : c.integer('legacy.upgradeLagDays', o.upgradeLagDays, 0, 365);

  // ------------------------------------------------------------ drift
  const dr = c.object('legacy.drift', o.drift ?? {}, ['perLinePerMonth', 'events']);
  const perLinePerMonth: Record<string, number> = {};
  const rate = (path: string, v: unknown) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 30)) c.fail(path, 'drift events per 30 days, from 0 to 30', v);
    return v;
  };
  if (dr.perLinePerMonth === undefined || typeof dr.perLinePerMonth === 'number') {
    const r = dr.perLinePerMonth === undefined ? d.driftPerLinePerMonth : rate('legacy.drift.perLinePerMonth', dr.perLinePerMonth);
    for (const l of lines) perLinePerMonth[l] = r;
  } else {
    const m = c.object('legacy.drift.perLinePerMonth', dr.perLinePerMonth, lines, `a rate, or rates by line (${lines.join(', ')})`);
    for (const [l, v] of Object.entries(m)) if (lines.includes(l)) perLinePerMonth[l] = rate(`legacy.drift.perLinePerMonth.${l}`, v);
  }
  const eventList = dr.events === undefined ? [] : c.array('legacy.drift.events', dr.events, "an array of { line, day, change }, e.g. { line: 'kids-club', day: 12, change: { kind: 'add-field', key: 'pressureAlerts', name: 'pa', type: 'int' } }");
  const events = eventList.map((e, i) => {
    const path = `legacy.drift.events[${i}]`;
    const x = c.object(path, e, ['line', 'day', 'change']);
    const line = inWorld(`${path}.line`, x.line);
    const day = c.integer(`${path}.day`, x.day, 1, days);
    return { line, day: day - 1, change: resolveChange(c, `${path}.change`, x.change), index: i };
  });
  // Listed events must apply to their line in order (seeded drift is drawn around them).
  for (const line of lines) {
    let rev = known.get(line)!.revisions.at(-1)!;
    for (const e of events.filter((x) => x.line === line).sort((a, b) => a.day - b.day || a.index - b.index)) {
      try {
        rev = applyDrift(rev, e.change, rev.appBuild + 1);
      } catch (err) {
        c.fail(`legacy.drift.events[${e.index}].change`, `a change that applies to ${line} after the events before it`, e.change, (err as Error).message);
      }
    }
  }

  // ------------------------------------------------------------ migration
  const dm = d.migration;
  const mi = c.object('legacy.migration', o.migration ?? {}, ['lines', 'order', 'concurrent', 'startDay', 'requiredCleanNights', 'mappingLagDays', 'retireAfterDays', 'counterfactual']);
  const migrating = lineList('legacy.migration.lines', mi.lines, lines);
  for (const [i, l] of migrating.entries()) if (!lines.includes(l)) c.fail(`legacy.migration.lines[${i}]`, `a line of legacy.lines (${lines.join(', ')})`, l);
  const order = mi.order === undefined ? dm.order : c.oneOf('legacy.migration.order', mi.order, ORDERS);
  const counterfactual = mi.counterfactual === undefined ? null : c.oneOf('legacy.migration.counterfactual', mi.counterfactual, ORDERS);
  if (counterfactual === order) c.fail('legacy.migration.counterfactual', `another order than legacy.migration.order ("${order}")`, counterfactual);
  const migration = {
    lines: migrating,
    order,
    concurrent: mi.concurrent === undefined ? dm.concurrent : c.integer('legacy.migration.concurrent', mi.concurrent, 1, Math.max(1, migrating.length)),
    startDay: (mi.startDay === undefined ? dm.startDay : c.integer('legacy.migration.startDay', mi.startDay, 1, days)) - 1,
    requiredCleanNights: mi.requiredCleanNights === undefined ? dm.requiredCleanNights : c.integer('legacy.migration.requiredCleanNights', mi.requiredCleanNights, 1, 365),
    mappingLagDays: mi.mappingLagDays === undefined ? dm.mappingLagDays : c.integer('legacy.migration.mappingLagDays', mi.mappingLagDays, 1, 365),
    retireAfterDays: mi.retireAfterDays === undefined ? dm.retireAfterDays : mi.retireAfterDays === null ? null : c.integer('legacy.migration.retireAfterDays', mi.retireAfterDays, 0, 365),
    counterfactual,
  };

  // ------------------------------------------------------------ faults, hostile traffic, expectations
  const f = c.object('legacy.faults', o.faults ?? {}, ['v2WriteFailurePerMille']);
  const h = c.object('legacy.hostile', o.hostile ?? {}, ['v2Devices', 'actionsPerDay']);
  const actionsPerDay = h.actionsPerDay === undefined ? d.actionsPerDay : h.actionsPerDay;
  if (typeof actionsPerDay !== 'number' || !(actionsPerDay >= 0 && actionsPerDay <= 1000)) c.fail('legacy.hostile.actionsPerDay', 'hostile actions a day, from 0 to 1000', actionsPerDay);
  const ex = c.object('legacy.expect', o.expect ?? {}, lines, `expectations by line (${lines.join(', ')})`);
  const expect: Record<string, LegacyExpectInput> = {};
  for (const [l, v] of Object.entries(ex)) {
    if (!lines.includes(l)) continue;
    const path = `legacy.expect.${l}`;
    const e = c.object(path, v, ['state', 'nightsToCutover', 'maxNightsToCutover', 'minMappingChanges']);
    const out: LegacyExpectInput = {};
    if (e.state !== undefined) out.state = c.oneOf(`${path}.state`, e.state, STATES);
    if (e.nightsToCutover !== undefined) out.nightsToCutover = c.integer(`${path}.nightsToCutover`, e.nightsToCutover, 1, days);
    if (e.maxNightsToCutover !== undefined) out.maxNightsToCutover = c.integer(`${path}.maxNightsToCutover`, e.maxNightsToCutover, 1, days);
    if (e.minMappingChanges !== undefined) out.minMappingChanges = c.integer(`${path}.minMappingChanges`, e.minMappingChanges, 0, 10_000);
    if ((out.nightsToCutover !== undefined || out.maxNightsToCutover !== undefined) && !migrating.includes(l)) c.fail(`${path}.nightsToCutover`, `absent: ${l} is not in legacy.migration.lines, so it never cuts over`, e.nightsToCutover ?? e.maxNightsToCutover);
    expect[l] = out;
  }

  return {
    lines,
    dialects,
    customLines: lines.filter((l) => custom.has(l)),
    sessionsPerDay,
    twoDeviceShare: share('twoDevices', o.twoDevices),
    neverUpgradeShare: share('neverUpgrade', o.neverUpgrade),
    maxUpgradeLagDays,
    sharedEmailShare: share('sharedEmails', o.sharedEmails),
    retryShare: share('retries', o.retries),
    sentinelShare: share('sentinelShare', o.sentinelShare),
    drift: { perLinePerMonth, events: events.map(({ line, day, change }) => ({ line, day, change })) },
    migration,
    faults: { v2WriteFailurePerMille: f.v2WriteFailurePerMille === undefined ? d.v2WriteFailurePerMille : c.integer('legacy.faults.v2WriteFailurePerMille', f.v2WriteFailurePerMille, 0, 1000) },
    hostile: { v2Devices: h.v2Devices === undefined ? d.v2Devices : c.integer('legacy.hostile.v2Devices', h.v2Devices, 0, 1000), actionsPerDay },
    expect,
  };
}

function resolveChange(c: Check, path: string, raw: unknown): DriftChange {
  const kind = c.oneOf(`${path}.kind`, (raw as { kind?: unknown } | null)?.kind, ['add-field', 'unit-change', 'rename-field', 'new-enum-value', 'overload-field'] as const);
  switch (kind) {
    case 'add-field': {
      const x = c.object(path, raw, ['kind', 'key', 'name', 'type']);
      return {
        kind,
        key: c.string(`${path}.key`, x.key, KEY, 'the canonical key of the new extra (a letter, then letters, digits or _; at most 40)'),
        name: c.string(`${path}.name`, x.name, RAW_NAME, 'the raw field name the app sends (letters, digits, _ . -; at most 40)'),
        type: c.oneOf(`${path}.type`, x.type, ['int', 'string', 'boolean'] as const),
      };
    }
    case 'unit-change': {
      const x = c.object(path, raw, ['kind', 'field']);
      return { kind, field: c.oneOf(`${path}.field`, x.field, ['startedAt', 'durationS', 'coverage'] as const) };
    }
    case 'rename-field': {
      const x = c.object(path, raw, ['kind', 'field', 'to']);
      return { kind, field: c.oneOf(`${path}.field`, x.field, ['startedAt', 'durationS', 'coverage', 'mode'] as const), to: c.string(`${path}.to`, x.to, RAW_NAME, 'the new raw field name (letters, digits, _ . -; at most 40)') };
    }
    case 'new-enum-value': {
      const x = c.object(path, raw, ['kind', 'raw', 'mode']);
      return { kind, raw: c.string(`${path}.raw`, x.raw, /^\S{1,40}$/, 'the new raw mode value (1–40 characters, no spaces)'), mode: c.oneOf(`${path}.mode`, x.mode, MODES) };
    }
    case 'overload-field': {
      const x = c.object(path, raw, ['kind', 'sentinel']);
      if (typeof x.sentinel !== 'number' || !Number.isFinite(x.sentinel)) c.fail(`${path}.sentinel`, 'the raw coverage value that now means "not measured" (a number, e.g. -1)', x.sentinel);
      return { kind, sentinel: x.sentinel };
    }
  }
}
