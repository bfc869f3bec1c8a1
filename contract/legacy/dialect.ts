/**
 * Legacy v1 dialects as data. Each of the platform's eight old per-product
 * device APIs ("lines") is one {@link Dialect}: where it lives, how its body is
 * encoded, how its old app authenticated, what a user is on it, and — per
 * revision — which field carries what, in which unit. The reference API's v1
 * facade, the v1→v2 mapping, the simulators' legacy apps and the checkers all
 * read these specs; nothing about a line is hand-written anywhere else.
 *
 * A dialect drifts: every app release that changed what the old API accepts is
 * a new {@link DialectRevision} (with the app build that brought it). A request
 * says its build in `User-Agent: <appName>/<build>`; it is read under the newest
 * revision whose build is not above it ({@link revisionFor}).
 *
 * Legacy records are not device-signed: they predate device keys.
 */
import type { ProductLine } from '../product-line.ts';

/** What a user is on a line. `email` is shared across lines (one person, one address); the others are per line. */
export type UserIdScheme = 'email' | 'numeric' | 'phone' | 'household' | 'serial';
export const USER_ID_SCHEMES: readonly UserIdScheme[] = Object.freeze(['email', 'numeric', 'phone', 'household', 'serial']);

/** How an upload's body is encoded. */
export type LegacyEncoding = 'json' | 'form' | 'lines';

/** The request media type of each encoding (what the v1 upload route accepts, and nothing else). */
export const LEGACY_MEDIA_TYPE: Readonly<Record<LegacyEncoding, string>> = Object.freeze({
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  lines: 'text/plain',
});

/**
 * How the old app authenticated, with a per-user secret the old system issued:
 * - `basic`: `Authorization: Basic base64(userId:secret)`;
 * - `api-key`: the secret in header `header`, the user id in query parameter `userParam`;
 * - `query-token`: the secret in query parameter `tokenParam`, the user id in `userParam`.
 */
export type LegacyAuth =
  | { readonly kind: 'basic' }
  | { readonly kind: 'api-key'; readonly header: string; readonly userParam: string }
  | { readonly kind: 'query-token'; readonly tokenParam: string; readonly userParam: string };

export type TimeUnit = 'epoch-s' | 'epoch-ms' | 'iso' | 'local';
export type DurationUnit = 's' | 'ms';
export type CoverageUnit = 'percent' | 'fraction';

/** The canonical brushing modes of v2; a dialect maps its raw values onto them. */
export type LegacyMode = 'daily' | 'sensitive' | 'whiten' | 'gum' | 'gentle' | 'night' | 'polish' | 'tongue';

/**
 * Where each canonical field is in a raw record of one revision. `recordId`,
 * `deviceSerial` never drift (they identify the row); the others may.
 */
export interface DialectFields {
  readonly recordId: { readonly name: string };
  readonly deviceSerial: { readonly name: string };
  readonly startedAt: { readonly name: string; readonly unit: TimeUnit };
  readonly durationS: { readonly name: string; readonly unit: DurationUnit };
  /** `sentinel`: a raw value given a second meaning, "not measured" (canonical null). */
  readonly coverage: { readonly name: string; readonly unit: CoverageUnit; readonly sentinel?: number };
  /** Raw value → canonical mode. */
  readonly mode: { readonly name: string; readonly values: Readonly<Record<string, LegacyMode>> };
}

export type ExtraType = 'int' | 'string' | 'boolean';

/** An optional field a revision added beyond the canonical ones: canonical `key`, raw `name`. */
export interface ExtraField {
  readonly key: string;
  readonly name: string;
  readonly type: ExtraType;
}

export interface DialectRevision {
  /** 0 for the line as first specified; +1 per drift. */
  readonly revision: number;
  /** The app build that brought this revision; revision 0's is the oldest build still in use. */
  readonly appBuild: number;
  readonly fields: DialectFields;
  readonly extras: readonly ExtraField[];
}

export interface Dialect {
  /** The line's id (kebab-case), also the path segment of its routes. */
  readonly line: string;
  readonly title: string;
  /** The device model the line's devices are in v2. */
  readonly productLine: ProductLine;
  /** `/v1/<line>`: the upload route is `POST <basePath>/sessions`, the read route `GET <basePath>/sessions`. */
  readonly basePath: `/v1/${string}`;
  readonly encoding: LegacyEncoding;
  /** JSON only: the key of the records array (`{ "<batchKey>": [ … ] }`). */
  readonly batchKey: string;
  readonly auth: LegacyAuth;
  readonly userIdScheme: UserIdScheme;
  /** Deprecated but live: answers carry `Deprecation` and `Sunset` headers; the platform counts the traffic. */
  readonly deprecated: boolean;
  /** The old app's name in its `User-Agent: <appName>/<build>`. */
  readonly appName: string;
  /** `local` times carry no zone: the line's fixed UTC offset, minutes. */
  readonly utcOffsetMinutes: number;
  /** How many of the fleet's legacy users are on this line (the lines' weights are normalised). */
  readonly weight: number;
  /** Revisions as specified, oldest first; drift appends. */
  readonly revisions: readonly DialectRevision[];
}

/** A raw value as a legacy body carries it: form and line bodies carry strings only. */
export type RawValue = string | number | boolean | null;
export type RawRecord = Readonly<Record<string, RawValue>>;

/** A legacy session in v2's terms. Keys aside, every field may be null (absent or unreadable under a revision). */
export interface CanonicalSession {
  startedAt: number | null;
  durationS: number | null;
  coverage: number | null;
  mode: LegacyMode | null;
  extras: Record<string, RawValue>;
}

/** What one revision reads out of a raw record: the identity, the canonical fields, and the raw fields it does not know. */
export interface InterpretedRecord {
  recordId: string;
  deviceSerial: string;
  session: CanonicalSession;
  /** Raw fields (and raw enum values) the revision has no place for, as received. */
  unmapped: Record<string, RawValue>;
}

// ---------------------------------------------------------------- revisions

/** The revision a request of `appBuild` is read under: the newest whose build is ≤ it (revision 0 for older builds). */
export function revisionFor(revisions: readonly DialectRevision[], appBuild: number): DialectRevision {
  let pick = revisions[0]!;
  for (const r of revisions) if (r.appBuild <= appBuild && r.revision >= pick.revision) pick = r;
  return pick;
}

/** `<appName>/<build>` → build; null when the header is not this line's app. */
export function appBuildOf(dialect: Pick<Dialect, 'appName'>, userAgent: string | undefined): number | null {
  if (!userAgent) return null;
  const m = /^([A-Za-z][A-Za-z0-9-]*)\/(\d{1,9})(?:\s|$)/.exec(userAgent.trim());
  return m && m[1] === dialect.appName ? Number(m[2]) : null;
}

// ---------------------------------------------------------------- identity

/**
 * The key of the v2 account a legacy user maps to. E-mail addresses name one
 * person on every line (lower-cased); every other scheme is the line's own, so
 * numeric user 42 of one line and household 42 of another are two people.
 */
export function legacyIdentityKey(dialect: Pick<Dialect, 'line' | 'userIdScheme'>, userId: string): string {
  return dialect.userIdScheme === 'email' ? `email:${userId.trim().toLowerCase()}` : `${dialect.line}:${dialect.userIdScheme}:${userId}`;
}

/**
 * A row's opaque key in both stores and every report: no legacy identifier
 * shows through it: 32 hex digits of SHA-256 over this input (wire.ts
 * `legacyRowKey`). Each part is length-prefixed, so no id can pass for another
 * whatever characters it holds.
 */
export function legacyRowKeyInput(line: string, userId: string, recordId: string): string {
  return `${line.length}:${line}${userId.length}:${userId}${recordId.length}:${recordId}`;
}

// ---------------------------------------------------------------- bodies

/** Split a parsed body (JSON object, form fields, or text) into raw records; throws {@link LegacyBodyError} naming what is wrong. */
export function splitBody(dialect: Pick<Dialect, 'encoding' | 'batchKey'>, body: unknown): RawRecord[] {
  switch (dialect.encoding) {
    case 'json': {
      const list = body && typeof body === 'object' ? (body as Record<string, unknown>)[dialect.batchKey] : undefined;
      if (!Array.isArray(list)) throw new LegacyBodyError(`the body must be a JSON object whose "${dialect.batchKey}" is an array of records`);
      return list.map((r, i) => {
        if (!r || typeof r !== 'object' || Array.isArray(r)) throw new LegacyBodyError(`${dialect.batchKey}[${i}] is not an object`);
        for (const [k, v] of Object.entries(r)) if (v !== null && typeof v === 'object') throw new LegacyBodyError(`${dialect.batchKey}[${i}].${k} is not a scalar`);
        return r as RawRecord;
      });
    }
    case 'form': {
      if (!body || typeof body !== 'object') throw new LegacyBodyError('the body must be form fields name[i]=value');
      const out: Record<string, RawValue>[] = [];
      for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
        const m = /^(.+)\[(\d{1,4})\]$/.exec(key);
        if (!m) throw new LegacyBodyError(`form field "${key}" is not of the form name[i]`);
        const i = Number(m[2]);
        if (i > 999) throw new LegacyBodyError(`form field "${key}": at most 1000 records a request`);
        (out[i] ??= {})[m[1]!] = String(value);
      }
      for (let i = 0; i < out.length; i++) if (!out[i]) throw new LegacyBodyError(`form records are numbered from 0 without gaps; record ${i} is missing`);
      return out;
    }
    case 'lines': {
      if (typeof body !== 'string') throw new LegacyBodyError('the body must be text, one record a line of name=value pairs separated by ";"');
      return body
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
        .map((line, n) => {
          const r: Record<string, RawValue> = {};
          for (const pair of line.split(';')) {
            const eq = pair.indexOf('=');
            if (eq <= 0) throw new LegacyBodyError(`line ${n + 1}: "${pair}" is not name=value`);
            try {
              r[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
            } catch {
              throw new LegacyBodyError(`line ${n + 1}: "${pair}" is not percent-encoded`);
            }
          }
          return r;
        });
    }
  }
}

export class LegacyBodyError extends Error {
  override readonly name = 'LegacyBodyError';
}

/** Encode raw records as the dialect's body: the media type and the text to send. */
export function encodeBody(dialect: Pick<Dialect, 'encoding' | 'batchKey'>, records: readonly RawRecord[]): { contentType: string; body: string } {
  const contentType = LEGACY_MEDIA_TYPE[dialect.encoding];
  switch (dialect.encoding) {
    case 'json':
      return { contentType, body: JSON.stringify({ [dialect.batchKey]: records }) };
    case 'form': {
      const p = new URLSearchParams();
      records.forEach((r, i) => {
        for (const [k, v] of Object.entries(r)) if (v !== null) p.append(`${k}[${i}]`, String(v));
      });
      return { contentType, body: p.toString() };
    }
    case 'lines':
      return {
        contentType,
        body: records
          .map((r) =>
            Object.entries(r)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
              .join(';'),
          )
          .join('\n'),
      };
  }
}

// ---------------------------------------------------------------- reading and writing records

const num = (v: RawValue | undefined): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
};

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Epoch seconds → `YYYY-MM-DD HH:MM:SS` local time at a fixed offset, no zone. */
export function toLocalTime(epochS: number, utcOffsetMinutes: number): string {
  const d = new Date((epochS + utcOffsetMinutes * 60) * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function readTime(v: RawValue | undefined, unit: TimeUnit, utcOffsetMinutes: number): number | null {
  switch (unit) {
    case 'epoch-s': {
      const n = num(v);
      return n === null ? null : Math.floor(n);
    }
    case 'epoch-ms': {
      const n = num(v);
      return n === null ? null : Math.floor(n / 1000);
    }
    case 'iso': {
      if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v)) return null;
      const ms = Date.parse(v);
      return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
    }
    case 'local': {
      const m = typeof v === 'string' ? /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(v) : null;
      if (!m) return null;
      const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
      return Number.isFinite(ms) ? Math.floor(ms / 1000) - utcOffsetMinutes * 60 : null;
    }
  }
}

function writeTime(epochS: number, unit: TimeUnit, utcOffsetMinutes: number): RawValue {
  switch (unit) {
    case 'epoch-s':
      return epochS;
    case 'epoch-ms':
      return epochS * 1000;
    case 'iso':
      return new Date(epochS * 1000).toISOString().replace('.000Z', 'Z');
    case 'local':
      return toLocalTime(epochS, utcOffsetMinutes);
  }
}

function readExtra(v: RawValue | undefined, type: ExtraType): RawValue {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'int': {
      const n = num(v);
      return n === null ? null : Math.trunc(n);
    }
    case 'boolean':
      return v === true || v === 'true' || v === 1 || v === '1' ? true : v === false || v === 'false' || v === 0 || v === '0' ? false : null;
    case 'string':
      return String(v);
  }
}

/**
 * Read a raw record under one revision. Fields it does not know go to
 * `unmapped` as received; a mode value it does not know is a null mode and the
 * raw value in `unmapped`. Never throws for a field; throws
 * {@link LegacyBodyError} only when the row cannot be identified (no record id
 * or device serial).
 */
export function interpret(dialect: Pick<Dialect, 'utcOffsetMinutes'>, rev: DialectRevision, raw: RawRecord): InterpretedRecord {
  const f = rev.fields;
  const recordId = raw[f.recordId.name];
  const deviceSerial = raw[f.deviceSerial.name];
  if (recordId === undefined || recordId === null || String(recordId).length === 0 || String(recordId).length > 64) throw new LegacyBodyError(`a record has no ${f.recordId.name} (its id, 1–64 characters)`);
  if (deviceSerial === undefined || deviceSerial === null || String(deviceSerial).length === 0 || String(deviceSerial).length > 64) throw new LegacyBodyError(`record ${String(recordId)} has no ${f.deviceSerial.name} (the device serial, 1–64 characters)`);
  const known = new Set<string>([f.recordId.name, f.deviceSerial.name, f.startedAt.name, f.durationS.name, f.coverage.name, f.mode.name, ...rev.extras.map((e) => e.name)]);
  const unmapped: Record<string, RawValue> = {};
  for (const [k, v] of Object.entries(raw)) if (!known.has(k)) unmapped[k] = v;

  const duration = num(raw[f.durationS.name]);
  const cov = num(raw[f.coverage.name]);
  let coverage: number | null = null;
  if (cov !== null && !(f.coverage.sentinel !== undefined && cov === f.coverage.sentinel)) coverage = f.coverage.unit === 'fraction' ? Math.round(cov * 100) : Math.round(cov);
  const rawMode = raw[f.mode.name];
  let mode: LegacyMode | null = null;
  if (rawMode !== undefined && rawMode !== null) {
    mode = f.mode.values[String(rawMode)] ?? null;
    if (mode === null) unmapped[f.mode.name] = rawMode;
  }
  const extras: Record<string, RawValue> = {};
  for (const e of rev.extras) if (raw[e.name] !== undefined) extras[e.key] = readExtra(raw[e.name], e.type);
  return {
    recordId: String(recordId),
    deviceSerial: String(deviceSerial),
    session: {
      startedAt: readTime(raw[f.startedAt.name], f.startedAt.unit, dialect.utcOffsetMinutes),
      durationS: duration === null ? null : f.durationS.unit === 'ms' ? Math.round(duration / 1000) : Math.round(duration),
      coverage,
      mode,
      extras,
    },
    unmapped,
  };
}

/** A session as the world knows it (every field set), to be written under a revision. */
export interface LegacySessionTruth {
  recordId: string;
  deviceSerial: string;
  startedAt: number;
  durationS: number;
  /** null: not measured (written as the revision's sentinel when it has one, else left out). */
  coverage: number | null;
  mode: LegacyMode;
  /** Values for the revision's extras, by key (missing keys are left out). */
  extras: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Write a session as an app of revision `rev` sends it. The inverse of
 * {@link interpret} under the same revision: `interpret(rev, write(rev, s))`
 * gives `s` back (a mode the revision cannot say is left out).
 */
export function write(dialect: Pick<Dialect, 'utcOffsetMinutes'>, rev: DialectRevision, s: LegacySessionTruth): RawRecord {
  const f = rev.fields;
  const out: Record<string, RawValue> = {};
  out[f.recordId.name] = s.recordId;
  out[f.deviceSerial.name] = s.deviceSerial;
  out[f.startedAt.name] = writeTime(s.startedAt, f.startedAt.unit, dialect.utcOffsetMinutes);
  out[f.durationS.name] = f.durationS.unit === 'ms' ? s.durationS * 1000 : s.durationS;
  if (s.coverage === null) {
    if (f.coverage.sentinel !== undefined) out[f.coverage.name] = f.coverage.sentinel;
  } else out[f.coverage.name] = f.coverage.unit === 'fraction' ? s.coverage / 100 : s.coverage;
  const raw = Object.entries(f.mode.values).find(([, m]) => m === s.mode)?.[0];
  if (raw !== undefined) out[f.mode.name] = /^\d+$/.test(raw) ? Number(raw) : raw;
  for (const e of rev.extras) if (s.extras[e.key] !== undefined) out[e.name] = s.extras[e.key]!;
  return out;
}

/** The canonical session the world meant (what the legacy side must hold). */
export function truthSession(s: LegacySessionTruth, rev: DialectRevision): CanonicalSession {
  const extras: Record<string, RawValue> = {};
  for (const e of rev.extras) if (s.extras[e.key] !== undefined) extras[e.key] = s.extras[e.key]!;
  return { startedAt: s.startedAt, durationS: s.durationS, coverage: s.coverage, mode: Object.values(rev.fields.mode.values).includes(s.mode) ? s.mode : null, extras };
}

// ---------------------------------------------------------------- divergences

export type DivergenceKind = 'missing-in-v2' | 'missing-in-legacy' | 'field-differs' | 'unmapped-field';
export const DIVERGENCE_KINDS: readonly DivergenceKind[] = Object.freeze(['missing-in-v2', 'missing-in-legacy', 'field-differs', 'unmapped-field']);

/** One divergence of one row: `field` names the canonical field (`durationS`, `extras.<key>`) or the raw unmapped field. */
export interface Divergence {
  rowKey: string;
  kind: DivergenceKind;
  field: string | null;
}

/** Two stored values are equal (numbers and their decimal strings are not: the stores hold typed values). */
function same(a: RawValue | undefined, b: RawValue | undefined): boolean {
  return (a ?? null) === (b ?? null);
}

/**
 * The divergences between a row's legacy side (the canonical session the old
 * system holds) and its v2 side (canonical session and unmapped raw fields),
 * in a fixed order: canonical fields, extras by key, unmapped fields by name.
 * Either side null: the row is missing there.
 */
export function diffRow(rowKey: string, legacy: CanonicalSession | null, v2: { session: CanonicalSession; unmapped: Readonly<Record<string, RawValue>> } | null): Divergence[] {
  if (!legacy && !v2) return [];
  if (!v2) return [{ rowKey, kind: 'missing-in-v2', field: null }];
  if (!legacy) return [{ rowKey, kind: 'missing-in-legacy', field: null }];
  const out: Divergence[] = [];
  for (const f of ['startedAt', 'durationS', 'coverage', 'mode'] as const) if (!same(legacy[f], v2.session[f])) out.push({ rowKey, kind: 'field-differs', field: f });
  const keys = [...new Set([...Object.keys(legacy.extras), ...Object.keys(v2.session.extras)])].sort();
  for (const k of keys) if (!same(legacy.extras[k], v2.session.extras[k])) out.push({ rowKey, kind: 'field-differs', field: `extras.${k}` });
  for (const k of Object.keys(v2.unmapped).sort()) out.push({ rowKey, kind: 'unmapped-field', field: k });
  return out;
}

// ---------------------------------------------------------------- drift

/** The kinds of customization a waiting line's old API accretes (one per app release). */
export type DriftKind = 'add-field' | 'unit-change' | 'rename-field' | 'new-enum-value' | 'overload-field';
export const DRIFT_KINDS: readonly DriftKind[] = Object.freeze(['add-field', 'unit-change', 'rename-field', 'new-enum-value', 'overload-field']);

/** One drift event as data: which change, to which field. Applied by {@link applyDrift}. */
export type DriftChange =
  | { readonly kind: 'add-field'; readonly key: string; readonly name: string; readonly type: ExtraType }
  | { readonly kind: 'unit-change'; readonly field: 'startedAt' | 'durationS' | 'coverage' }
  | { readonly kind: 'rename-field'; readonly field: 'startedAt' | 'durationS' | 'coverage' | 'mode'; readonly to: string }
  | { readonly kind: 'new-enum-value'; readonly raw: string; readonly mode: LegacyMode }
  | { readonly kind: 'overload-field'; readonly sentinel: number };

const NEXT_TIME_UNIT: Record<TimeUnit, TimeUnit> = { 'epoch-s': 'epoch-ms', 'epoch-ms': 'epoch-s', iso: 'epoch-s', local: 'iso' };

/** The revision after `rev` once `change` ships with app build `appBuild`; throws when the change does not fit the revision. */
export function applyDrift(rev: DialectRevision, change: DriftChange, appBuild: number): DialectRevision {
  if (appBuild <= rev.appBuild) throw new Error(`drift needs a newer app build than ${rev.appBuild}; got ${appBuild}`);
  const f = rev.fields;
  const next = (fields: DialectFields, extras: readonly ExtraField[] = rev.extras): DialectRevision => ({ revision: rev.revision + 1, appBuild, fields, extras });
  const names = new Set([f.recordId.name, f.deviceSerial.name, f.startedAt.name, f.durationS.name, f.coverage.name, f.mode.name, ...rev.extras.map((e) => e.name)]);
  switch (change.kind) {
    case 'add-field':
      if (names.has(change.name) || rev.extras.some((e) => e.key === change.key)) throw new Error(`add-field: ${change.name}/${change.key} exists`);
      return next(f, [...rev.extras, { key: change.key, name: change.name, type: change.type }]);
    case 'unit-change':
      if (change.field === 'startedAt') return next({ ...f, startedAt: { ...f.startedAt, unit: NEXT_TIME_UNIT[f.startedAt.unit] } });
      if (change.field === 'durationS') return next({ ...f, durationS: { ...f.durationS, unit: f.durationS.unit === 's' ? 'ms' : 's' } });
      return next({ ...f, coverage: { ...f.coverage, unit: f.coverage.unit === 'percent' ? 'fraction' : 'percent' } });
    case 'rename-field':
      if (names.has(change.to)) throw new Error(`rename-field: ${change.to} exists`);
      return next({ ...f, [change.field]: { ...f[change.field], name: change.to } } as DialectFields);
    case 'new-enum-value':
      if (change.raw in f.mode.values) throw new Error(`new-enum-value: ${change.raw} exists`);
      return next({ ...f, mode: { ...f.mode, values: { ...f.mode.values, [change.raw]: change.mode } } });
    case 'overload-field':
      if (f.coverage.sentinel !== undefined) throw new Error('overload-field: coverage already has a second meaning');
      return next({ ...f, coverage: { ...f.coverage, sentinel: change.sentinel } });
  }
}

// ---------------------------------------------------------------- migration

/** A line's migration state, in order; each step only forward. */
export type MigrationState = 'legacy-only' | 'dual-write' | 'reads-cut-over' | 'v2-only';
export const MIGRATION_STATES: readonly MigrationState[] = Object.freeze(['legacy-only', 'dual-write', 'reads-cut-over', 'v2-only']);

/** Consecutive clean nights a line needs before its reads cut over, unless configured per line. */
export const DEFAULT_REQUIRED_CLEAN_NIGHTS = 30;

// ---------------------------------------------------------------- validation

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,39}$/;

/**
 * What is wrong with a dialect spec (a team's own line, or a mapping uploaded
 * to the platform), each problem naming the field and how to fix it; empty
 * when it is sound.
 */
export function dialectProblems(d: Dialect): string[] {
  const out: string[] = [];
  const at = (p: string, m: string) => out.push(`${d.line || '<line>'}.${p}: ${m}`);
  if (!/^[a-z][a-z0-9-]{1,39}$/.test(d.line)) at('line', 'must be kebab-case, 2–40 characters (a-z, 0-9, -), starting with a letter');
  if (d.basePath !== `/v1/${d.line}`) at('basePath', `must be /v1/${d.line}`);
  if (!(d.encoding in LEGACY_MEDIA_TYPE)) at('encoding', `must be one of ${Object.keys(LEGACY_MEDIA_TYPE).join(', ')}`);
  if (d.encoding === 'json' && !NAME.test(d.batchKey)) at('batchKey', 'a JSON line needs the name of its records array');
  if (!USER_ID_SCHEMES.includes(d.userIdScheme)) at('userIdScheme', `must be one of ${USER_ID_SCHEMES.join(', ')}`);
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(d.appName)) at('appName', 'must be a User-Agent product token (letters, digits, -)');
  if (!Number.isInteger(d.utcOffsetMinutes) || Math.abs(d.utcOffsetMinutes) > 14 * 60) at('utcOffsetMinutes', 'must be an integer within ±840');
  if (!(d.weight > 0)) at('weight', 'must be > 0');
  if (d.auth.kind !== 'basic' && !NAME.test(d.auth.userParam)) at('auth.userParam', 'must name the query parameter that carries the user id');
  if (d.revisions.length === 0) at('revisions', 'needs revision 0, the line as specified');
  d.revisions.forEach((r, i) => {
    if (r.revision !== i) at(`revisions[${i}].revision`, `must be ${i} (revisions are numbered from 0, in order)`);
    if (!Number.isInteger(r.appBuild) || r.appBuild < 0) at(`revisions[${i}].appBuild`, 'must be a non-negative integer');
    if (i > 0 && r.appBuild <= d.revisions[i - 1]!.appBuild) at(`revisions[${i}].appBuild`, `must be above revision ${i - 1}'s ${d.revisions[i - 1]!.appBuild}`);
    const names = [r.fields.recordId.name, r.fields.deviceSerial.name, r.fields.startedAt.name, r.fields.durationS.name, r.fields.coverage.name, r.fields.mode.name, ...r.extras.map((e) => e.name)];
    for (const n of names) if (!NAME.test(n)) at(`revisions[${i}]`, `field name "${n}" must be 1–40 characters of letters, digits, _ . -`);
    const dup = names.find((n, k) => names.indexOf(n) !== k);
    if (dup) at(`revisions[${i}]`, `field name "${dup}" is used twice`);
    if (Object.keys(r.fields.mode.values).length === 0) at(`revisions[${i}].fields.mode.values`, 'needs at least one raw value');
    const keys = r.extras.map((e) => e.key);
    const dk = keys.find((k, n) => keys.indexOf(k) !== n);
    if (dk) at(`revisions[${i}].extras`, `key "${dk}" is used twice`);
    if (i > 0 && (r.fields.recordId.name !== d.revisions[0]!.fields.recordId.name || r.fields.deviceSerial.name !== d.revisions[0]!.fields.deviceSerial.name)) at(`revisions[${i}].fields`, 'recordId and deviceSerial identify a row: they may not change between revisions');
  });
  return out;
}
