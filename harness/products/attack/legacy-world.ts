import { createHash } from 'node:crypto';
import { encodeBody, MIGRATION_STATES, write, type Dialect, type LegacyMode, type MigrationState, type RawRecord } from '../../../contract/legacy/dialect.ts';
import { dialectOf } from '../../../contract/legacy/dialects.ts';
import type { LegacyLineStatus, LegacyReconcileJobResult, LegacyUploadResult } from '../../../contract/legacy/wire.ts';
import { deriveDeviceKey } from '../../../simulators/device-keys.ts';
import type { AttackHttp, Exchange } from './http.ts';
import { WorldSetupError, type AttackWorld, type WorldDevice } from './world.ts';

/**
 * The legacy part of the attack world (the old v1 lines, contract/legacy),
 * built through the platform's own flows the first time a legacy case asks
 * for it (in that case's `prepare`, before its "before" digest) and shared by
 * every legacy case after. A run that selects no legacy case leaves the lines
 * as they were.
 *
 * - Users of the old system (POST /testbed/legacy/users), one id scheme each:
 *   e-mail (sonic-classic ×2, eco-brush, smile-plus, junior-timer), numeric
 *   (flosser-one) and household (kids-club) — the same number on both —, phone
 *   (dental-pro ×2). One e-mail is a user of two lines (sonic-classic and
 *   eco-brush), with a secret each.
 * - Lines moved through the operator routes: sonic-classic to dual-write,
 *   dental-pro to reads-cut-over, junior-timer to v2-only (retired); the gate
 *   of the last two is one clean night, reconciled by the testbed job. eco-brush
 *   and smile-plus (deprecated) stay legacy-only.
 * - Legitimate v1 uploads before the attacks: LS's device on sonic-classic
 *   (dual-written to v2), a device that is then converted (same user, same
 *   line), LD's device and a second device to be converted on dental-pro
 *   (before its cutover), LJ's device on junior-timer (before its retirement).
 * - The conversions, after the cutover: the factory provisions both converted
 *   serials as v2 devices (they now sign their records), and A's phone bonds
 *   the first with a button press.
 */
export interface LegacyUser {
  line: string;
  userId: string;
  secret: string;
}

/** A v1 upload the world made and the platform stored (what a hostile phone can have captured). */
export interface CapturedLegacyUpload {
  line: string;
  user: LegacyUser;
  records: RawRecord[];
}

export interface LegacyAttackWorld {
  users: {
    /** sonic-classic (e-mail): owns serial `own`, and uploaded the converted device's records before its conversion. */
    LS: LegacyUser;
    /** sonic-classic (e-mail): another user of the line. */
    LS2: LegacyUser;
    /** eco-brush (deprecated, e-mail): the same address as LS, the eco-brush secret. */
    LSe: LegacyUser;
    /** eco-brush (deprecated, e-mail): another person. */
    LE: LegacyUser;
    /** smile-plus (deprecated, e-mail). */
    LP: LegacyUser;
    /** flosser-one (numeric). */
    LN: LegacyUser;
    /** kids-club (household): the same number as LN, another person. */
    LH: LegacyUser;
    /** dental-pro (phone number): owns serial `dental`. Its line's reads are cut over. */
    LD: LegacyUser;
    /** dental-pro (phone number): another user of the line. */
    LD2: LegacyUser;
    /** junior-timer (e-mail): its line is retired. */
    LJ: LegacyUser;
  };
  serials: {
    /** LS's device on sonic-classic (legacy, bound to LS). */
    own: string;
    /** LD's device on dental-pro (legacy, bound to LD). */
    dental: string;
    /** A device converted to v2 (provisioned with this serial, bonded to A); its legacy history is LS's, on sonic-classic (dual-write). */
    converted: string;
    /** A device converted to v2 after its line's reads were cut over; its legacy history is LD's, on dental-pro. */
    convertedAfterCutover: string;
  };
  /** The converted device as a v2 device (A's). */
  converted: WorldDevice;
  captured: {
    /** LS's upload of its own device (sonic-classic, dual-written). */
    own: CapturedLegacyUpload;
    /** LS's upload of the device before its conversion (sonic-classic, dual-written). */
    converted: CapturedLegacyUpload;
    /** LD's upload of its device on dental-pro before the line cut over and the device was converted. */
    convertedAfterCutover: CapturedLegacyUpload;
    /** LJ's upload on junior-timer before the line was retired (absent when the line already was). */
    junior: CapturedLegacyUpload;
  };
  /** Every legacy user id of the world that is not a device serial: none may show in a v2 answer. */
  identifiers: string[];
  /** A fresh raw record (not stored) of `serial`, as line `line`'s old app writes it. */
  record(line: string, serial: string): RawRecord;
  /** The headers and query a user id and secret go in on a line (its auth scheme). */
  credentials(line: string, u: { userId: string; secret: string }): { headers: Record<string, string>; query: Record<string, string> };
  /** POST <basePath>/sessions in the line's encoding and User-Agent, as its old app sends it, with `u`'s credential (null: none); `o` adds headers and query parameters. */
  upload(line: string, u: { userId: string; secret: string } | null, records: readonly RawRecord[], o?: { headers?: Record<string, string>; query?: Record<string, string> }): Promise<Exchange>;
  /** GET <basePath>/sessions with a user id and secret. */
  read(line: string, u: { userId: string; secret: string } | null): Promise<Exchange>;
  /** The factory (operator) credential header. */
  operator: Record<string, string>;
}

const MODES: LegacyMode[] = ['daily', 'sensitive', 'whiten', 'gum', 'gentle', 'night', 'polish', 'tongue'];

function dialect(line: string): Dialect {
  const d = dialectOf(line);
  if (!d) throw new WorldSetupError(`attack world setup: the contract has no legacy line ${line}`);
  return d;
}

function must<T = any>(ex: Exchange, what: string, ...ok: number[]): T {
  if (!ok.includes(ex.status)) throw new WorldSetupError(`attack world setup (legacy): ${what} answered ${ex.status}: ${ex.text.slice(0, 300)}`);
  return ex.json as T;
}

export function legacyCredentials(line: string, u: { userId: string; secret: string }): { headers: Record<string, string>; query: Record<string, string> } {
  const d = dialect(line);
  switch (d.auth.kind) {
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(`${u.userId}:${u.secret}`).toString('base64')}` }, query: {} };
    case 'api-key':
      return { headers: { [d.auth.header]: u.secret }, query: { [d.auth.userParam]: u.userId } };
    case 'query-token':
      return { headers: {}, query: { [d.auth.tokenParam]: u.secret, [d.auth.userParam]: u.userId } };
  }
}

const withQuery = (path: string, query: Record<string, string>) => (Object.keys(query).length ? `${path}?${new URLSearchParams(query)}` : path);

const built = new WeakMap<AttackWorld, Promise<LegacyAttackWorld>>();

/** The legacy world of `w`, built on first use (memoized, failures too: every legacy case then reports the same setup error). */
export function legacyWorld(w: AttackWorld, http: AttackHttp): Promise<LegacyAttackWorld> {
  let p = built.get(w);
  if (!p) {
    p = buildLegacyWorld(w, http);
    built.set(w, p);
  }
  return p;
}

async function buildLegacyWorld(w: AttackWorld, http: AttackHttp): Promise<LegacyAttackWorld> {
  const n = w.nonce;
  const operator = { 'x-factory-credential': w.factorySecret };
  const secret = (label: string) => createHash('sha256').update(`fleetbed-attack/legacy-secret/${w.seed}/${n}/${label}`).digest('base64url').slice(0, 24);
  // Long, distinctive ids: a numeric or household id must not show up by chance inside a timestamp or a device id.
  const digits = (label: string) => BigInt('0x' + createHash('sha256').update(`fleetbed-attack/legacy-id/${n}/${label}`).digest('hex').slice(0, 15)).toString().padStart(18, '7').slice(0, 16);
  const number = `9${digits('number')}`;
  const email = (label: string) => `legacy-${label}-${n}@example.test`;
  const phone = (label: string) => `+4915${digits(label).slice(0, 9)}`;
  const users: LegacyAttackWorld['users'] = {
    LS: { line: 'sonic-classic', userId: email('ls'), secret: secret('LS') },
    LS2: { line: 'sonic-classic', userId: email('ls2'), secret: secret('LS2') },
    LSe: { line: 'eco-brush', userId: email('ls'), secret: secret('LSe') },
    LE: { line: 'eco-brush', userId: email('le'), secret: secret('LE') },
    LP: { line: 'smile-plus', userId: email('lp'), secret: secret('LP') },
    LN: { line: 'flosser-one', userId: number, secret: secret('LN') },
    LH: { line: 'kids-club', userId: number, secret: secret('LH') },
    LD: { line: 'dental-pro', userId: phone('ld'), secret: secret('LD') },
    LD2: { line: 'dental-pro', userId: phone('ld2'), secret: secret('LD2') },
    LJ: { line: 'junior-timer', userId: email('lj'), secret: secret('LJ') },
  };
  const serials = { own: `LEG-${n}-OWN`, dental: `LEG-${n}-DENTAL`, converted: `LEG-${n}-CONV`, convertedAfterCutover: `LEG-${n}-CONV2`, junior: `LEG-${n}-JUNIOR` };

  let recordCounter = 0;
  const record = (line: string, serial: string): RawRecord => {
    const d = dialect(line);
    const rev = d.revisions[0]!;
    const i = ++recordCounter;
    const modes = MODES.filter((m) => Object.values(rev.fields.mode.values).includes(m));
    return write(d, rev, {
      recordId: `atk-${n}-${i}`, deviceSerial: serial, startedAt: w.t0 - 86_400 + i * 300, durationS: 110 + (i % 40), coverage: 60 + (i % 30), mode: modes[i % modes.length]!, extras: {},
    });
  };
  const credentials = legacyCredentials;
  const upload: LegacyAttackWorld['upload'] = (line, u, records, o = {}) => {
    const d = dialect(line);
    const c = u ? credentials(line, u) : { headers: {}, query: {} };
    const { contentType, body } = encodeBody(d, records);
    return http.send('POST', withQuery(`${d.basePath}/sessions`, { ...c.query, ...(o.query ?? {}) }), {
      headers: { 'user-agent': `${d.appName}/${d.revisions[0]!.appBuild}`, ...c.headers, ...(o.headers ?? {}) },
      raw: body,
      contentType,
    });
  };
  const read: LegacyAttackWorld['read'] = (line, u) => {
    const d = dialect(line);
    const c = u ? credentials(line, u) : { headers: {}, query: {} };
    return http.send('GET', withQuery(`${d.basePath}/sessions`, c.query), { headers: c.headers });
  };
  const stored = async (what: string, line: string, u: LegacyUser, records: RawRecord[], v2: LegacyUploadResult['v2']): Promise<CapturedLegacyUpload> => {
    const r = must<LegacyUploadResult>(await upload(line, u, records), what, 200);
    if (!r.results.every((x) => x.status === 'stored') || r.v2 !== v2) throw new WorldSetupError(`attack world setup (legacy): ${what} was not stored whole (v2 ${v2}): ${JSON.stringify(r).slice(0, 300)}`);
    return { line, user: u, records };
  };

  // ---------------------------------------------------------------- users and line states
  must(await http.send('POST', '/testbed/legacy/users', { json: { users: Object.values(users) } }), 'POST /testbed/legacy/users', 204);
  const stateOf = async (line: string) => must<LegacyLineStatus>(await http.send('GET', `/v2/legacy/lines/${line}`, { headers: operator }), `GET /v2/legacy/lines/${line}`, 200).state;
  const rank = (s: MigrationState) => MIGRATION_STATES.indexOf(s);
  /** Move `line` forward to `target`; a line already there or past it (up to `latest`) is left as it is. */
  const reach = async (line: string, target: MigrationState, latest: MigrationState = target): Promise<MigrationState> => {
    for (;;) {
      const s = await stateOf(line);
      if (rank(s) > rank(latest)) throw new WorldSetupError(`attack world setup (legacy): ${line} is ${s}; the legacy cases need it at ${target}${latest !== target ? ` to ${latest}` : ''} (use a fresh platform)`);
      if (rank(s) >= rank(target)) return s;
      const next = MIGRATION_STATES[rank(s) + 1]!;
      if (next === 'reads-cut-over') {
        must(await http.send('PUT', `/v2/legacy/lines/${line}/gate`, { headers: operator, json: { requiredCleanNights: 1 } }), `gate of ${line}`, 200);
        const job = must<{ result: LegacyReconcileJobResult }>(await http.send('POST', '/testbed/jobs/legacy-reconcile'), 'the legacy-reconcile job', 200);
        const night = job.result.lines.find((l) => l.line === line);
        if (!night?.clean) throw new WorldSetupError(`attack world setup (legacy): the reconciliation of ${line} was not clean: ${JSON.stringify(night)}`);
      }
      must(await http.send('PUT', `/v2/legacy/lines/${line}/state`, { headers: operator, json: { state: next } }), `${line} → ${next}`, 200);
    }
  };
  await reach('sonic-classic', 'dual-write', 'reads-cut-over');
  await reach('dental-pro', 'dual-write', 'reads-cut-over');
  const juniorLive = (await stateOf('junior-timer')) !== 'v2-only';
  if (juniorLive) await reach('junior-timer', 'dual-write', 'reads-cut-over');
  for (const line of ['eco-brush', 'smile-plus', 'flosser-one', 'kids-club']) {
    if ((await stateOf(line)) === 'v2-only') throw new WorldSetupError(`attack world setup (legacy): ${line} is retired (v2-only); the legacy cases need it live (use a fresh platform)`);
  }

  // ---------------------------------------------------------------- legitimate uploads, then cutover and retirement
  const own = await stored("LS's upload of its device (sonic-classic)", 'sonic-classic', users.LS, [record('sonic-classic', serials.own), record('sonic-classic', serials.own)], 'written');
  const converted = await stored("LS's upload of the device to be converted (sonic-classic)", 'sonic-classic', users.LS, [record('sonic-classic', serials.converted), record('sonic-classic', serials.converted)], 'written');
  await stored("LD's upload of its device (dental-pro)", 'dental-pro', users.LD, [record('dental-pro', serials.dental), record('dental-pro', serials.dental)], 'written');
  const convertedAfterCutover = await stored("LD's upload of the device to be converted (dental-pro)", 'dental-pro', users.LD, [record('dental-pro', serials.convertedAfterCutover)], 'written');
  const juniorRecords = [record('junior-timer', serials.junior), record('junior-timer', serials.junior)];
  const junior = juniorLive ? await stored("LJ's upload (junior-timer)", 'junior-timer', users.LJ, juniorRecords, 'written') : { line: 'junior-timer', user: users.LJ, records: juniorRecords };
  await reach('dental-pro', 'reads-cut-over');
  await reach('junior-timer', 'v2-only');

  // ---------------------------------------------------------------- the conversions: the serials become v2 devices (they sign), one bonded to A
  const v2Device = (label: string, deviceId: number): WorldDevice => {
    const k = deriveDeviceKey(w.seed, deviceId);
    return { label, deviceId, productLine: 'adult-brush', privateKey: k.privateKey, publicKey: k.publicKey, pressCounter: 0, nextSeq: 1, stored: [] };
  };
  const conv = v2Device('LC', 8_000_000_000 + n * 100 + 10);
  const conv2 = v2Device('LC2', 8_000_000_000 + n * 100 + 11);
  must(
    await http.send('POST', '/v2/factory/devices', {
      headers: operator,
      json: {
        devices: ([[conv, serials.converted], [conv2, serials.convertedAfterCutover]] as const).map(([d, serial]) => ({
          deviceId: d.deviceId, serial, productLine: d.productLine, publicKey: d.publicKey.toString('base64url'), firmwareVersion: '1.0.0',
        })),
      },
    }),
    'factory provisioning of the converted devices',
    201,
  );
  const deviceId = conv.deviceId;
  await w.refreshTokens(); // earlier cases may have moved the virtual clock past the tokens' lifetime
  const body = w.bondBody(conv, w.A.accountId, await w.challenge(w.A, deviceId));
  must(await http.send('POST', `/v2/devices/${deviceId}/bond`, { headers: w.phone(w.A), json: body }), 'bonding the converted device to A', 200);
  conv.pressCounter = body.pressCounter;

  return {
    users,
    serials: { own: serials.own, dental: serials.dental, converted: serials.converted, convertedAfterCutover: serials.convertedAfterCutover },
    converted: conv,
    captured: { own, converted, convertedAfterCutover, junior },
    identifiers: [...new Set(Object.values(users).filter((u) => dialect(u.line).userIdScheme !== 'serial').map((u) => u.userId))],
    record,
    credentials,
    upload,
    read,
    operator,
  };
}
