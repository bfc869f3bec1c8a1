/**
 * The eight legacy v1 lines, each as it was specified (revision 0). Users are
 * named in five distinct schemes: e-mail (four lines, one shared namespace:
 * an address is one person everywhere), numeric id, phone number, household id
 * and device serial (one line each, each its own namespace). Two lines are
 * deprecated but still serve live traffic.
 * A team rehearsing its own line adds one object of this shape (see
 * docs/legacy.md).
 */
import type { Dialect, DialectRevision } from './dialect.ts';

const MODES_NUMERIC = { '1': 'daily', '2': 'sensitive', '3': 'whiten' } as const;

function rev0(appBuild: number, fields: DialectRevision['fields']): readonly DialectRevision[] {
  return Object.freeze([{ revision: 0, appBuild, fields, extras: [] }]);
}

export const DIALECTS: readonly Dialect[] = Object.freeze([
  {
    line: 'sonic-classic',
    title: 'Sonic Classic (adult brushes, the original app)',
    productLine: 'adult-brush',
    basePath: '/v1/sonic-classic',
    encoding: 'json',
    batchKey: 'sessions',
    auth: { kind: 'basic' },
    userIdScheme: 'email',
    deprecated: false,
    appName: 'SonicClassic',
    utcOffsetMinutes: 0,
    weight: 30,
    revisions: rev0(410, {
      recordId: { name: 'id' },
      deviceSerial: { name: 'serial' },
      startedAt: { name: 'ts', unit: 'epoch-s' },
      durationS: { name: 'dur', unit: 's' },
      coverage: { name: 'cov', unit: 'percent' },
      mode: { name: 'mode', values: MODES_NUMERIC },
    }),
  },
  {
    line: 'kids-club',
    title: 'Kids Club (kids brushes, household accounts)',
    productLine: 'kids-brush',
    basePath: '/v1/kids-club',
    encoding: 'json',
    batchKey: 'brushings',
    auth: { kind: 'api-key', header: 'x-api-key', userParam: 'household' },
    userIdScheme: 'household',
    deprecated: false,
    appName: 'KidsClub',
    utcOffsetMinutes: 0,
    weight: 22,
    revisions: rev0(1200, {
      recordId: { name: 'brushingId' },
      deviceSerial: { name: 'brushSerial' },
      startedAt: { name: 'startTime', unit: 'iso' },
      durationS: { name: 'durationMs', unit: 'ms' },
      coverage: { name: 'coverage', unit: 'percent' },
      mode: { name: 'mode', values: { normal: 'daily', gentle: 'gentle' } },
    }),
  },
  {
    line: 'flosser-one',
    title: 'Flosser One (interdental, numeric user ids)',
    productLine: 'interdental',
    basePath: '/v1/flosser-one',
    encoding: 'form',
    batchKey: '',
    auth: { kind: 'basic' },
    userIdScheme: 'numeric',
    deprecated: false,
    appName: 'FlosserOne',
    utcOffsetMinutes: 0,
    weight: 12,
    revisions: rev0(57, {
      recordId: { name: 'rid' },
      deviceSerial: { name: 'dev' },
      startedAt: { name: 't', unit: 'epoch-ms' },
      durationS: { name: 'secs', unit: 's' },
      coverage: { name: 'cov', unit: 'fraction' },
      mode: { name: 'pm', values: { '0': 'daily', '1': 'gum' } },
    }),
  },
  {
    line: 'dental-pro',
    title: 'Dental Pro (adult brushes sold through practices; phone-number accounts)',
    productLine: 'adult-brush',
    basePath: '/v1/dental-pro',
    encoding: 'json',
    batchKey: 'records',
    auth: { kind: 'query-token', tokenParam: 'token', userParam: 'msisdn' },
    userIdScheme: 'phone',
    deprecated: false,
    appName: 'DentalPro',
    utcOffsetMinutes: 60,
    weight: 10,
    revisions: rev0(300, {
      recordId: { name: 'recordNo' },
      deviceSerial: { name: 'handle' },
      startedAt: { name: 'when', unit: 'local' },
      durationS: { name: 'seconds', unit: 's' },
      coverage: { name: 'zonesPct', unit: 'percent' },
      mode: { name: 'program', values: { CLEAN: 'daily', WHITE: 'whiten', GUM: 'gum', SENS: 'sensitive' } },
    }),
  },
  {
    line: 'travel-mini',
    title: 'Travel Mini (adult travel brushes; the device serial is the account)',
    productLine: 'adult-brush',
    basePath: '/v1/travel-mini',
    encoding: 'lines',
    batchKey: '',
    auth: { kind: 'api-key', header: 'x-device-key', userParam: 'serial' },
    userIdScheme: 'serial',
    deprecated: false,
    appName: 'TravelMini',
    utcOffsetMinutes: 0,
    weight: 6,
    revisions: rev0(12, {
      recordId: { name: 'n' },
      deviceSerial: { name: 's' },
      startedAt: { name: 'at', unit: 'epoch-s' },
      durationS: { name: 'len', unit: 's' },
      coverage: { name: 'c', unit: 'percent' },
      mode: { name: 'm', values: { d: 'daily', s: 'sensitive' } },
    }),
  },
  {
    line: 'eco-brush',
    title: 'Eco Brush (adult brushes; deprecated, still live)',
    productLine: 'adult-brush',
    basePath: '/v1/eco-brush',
    encoding: 'form',
    batchKey: '',
    auth: { kind: 'basic' },
    userIdScheme: 'email',
    deprecated: true,
    appName: 'EcoBrush',
    utcOffsetMinutes: 0,
    weight: 5,
    revisions: rev0(88, {
      recordId: { name: 'session_id' },
      deviceSerial: { name: 'device' },
      startedAt: { name: 'started', unit: 'epoch-s' },
      durationS: { name: 'duration', unit: 's' },
      coverage: { name: 'coverage', unit: 'percent' },
      mode: { name: 'mode', values: MODES_NUMERIC },
    }),
  },
  {
    line: 'smile-plus',
    title: 'Smile Plus (adult brushes, a subscription app; deprecated, still live)',
    productLine: 'adult-brush',
    basePath: '/v1/smile-plus',
    encoding: 'json',
    batchKey: 'data',
    auth: { kind: 'api-key', header: 'x-smile-key', userParam: 'email' },
    userIdScheme: 'email',
    deprecated: true,
    appName: 'SmilePlus',
    utcOffsetMinutes: 0,
    weight: 7,
    revisions: rev0(2010, {
      recordId: { name: 'uuid' },
      deviceSerial: { name: 'brush' },
      startedAt: { name: 'timestamp', unit: 'iso' },
      durationS: { name: 'time', unit: 's' },
      coverage: { name: 'score', unit: 'percent' },
      mode: { name: 'type', values: { daily: 'daily', polish: 'polish', tongue: 'tongue' } },
    }),
  },
  {
    line: 'junior-timer',
    title: 'Junior Timer (kids brushes, a parent’s e-mail)',
    productLine: 'kids-brush',
    basePath: '/v1/junior-timer',
    encoding: 'lines',
    batchKey: '',
    auth: { kind: 'query-token', tokenParam: 'key', userParam: 'parent' },
    userIdScheme: 'email',
    deprecated: false,
    appName: 'JuniorTimer',
    utcOffsetMinutes: 0,
    weight: 8,
    revisions: rev0(5, {
      recordId: { name: 'i' },
      deviceSerial: { name: 'b' },
      startedAt: { name: 'd', unit: 'epoch-s' },
      durationS: { name: 'l', unit: 's' },
      coverage: { name: 'p', unit: 'percent' },
      mode: { name: 'k', values: { n: 'daily', g: 'gentle', z: 'night' } },
    }),
  },
] satisfies Dialect[]);

/** The dialect of a line, or undefined. */
export function dialectOf(line: string): Dialect | undefined {
  return DIALECTS.find((d) => d.line === line);
}

/** Every line's id, in the catalogue's order. */
export const LEGACY_LINES: readonly string[] = Object.freeze(DIALECTS.map((d) => d.line));
