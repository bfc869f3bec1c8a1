import { LEGACY_DEPRECATION, LEGACY_SUNSET } from '../../../../contract/openapi.ts';
import type { LegacyRefusalCode, LegacyUploadResult } from '../../../../contract/legacy/wire.ts';
import type { Exchange } from '../http.ts';
import { legacyWorld, type LegacyAttackWorld } from '../legacy-world.ts';
import { defineCases, type AttackCase, type AttackContext, type Expected } from '../types.ts';
import { codeOf } from './_util.ts';

/**
 * The old v1 lines (contract/legacy): what a forged or hostile phone can send
 * through an old API must get no further than v2 would let it (LEG-4). Legacy
 * records are unsigned, so the old path is where a downgrade would hide:
 * deprecated lines that stop checking, unsigned records for a device that now
 * signs, user ids of one scheme or line passed off on another, another user's
 * device, a retired line, and legacy identifiers leaking into v2 answers.
 * Every case's world is legacy-world.ts (built in the first legacy case's
 * prepare); the state digest covers both stores, the identity map and the
 * device bindings, so "nothing changed" is "nothing stored in either store and
 * nobody mapped to an account".
 */

/** 401 legacy-unauthenticated; on a deprecated line with its Deprecation and Sunset headers. */
function unauthenticated(o: { deprecated?: boolean } = {}): Expected {
  return {
    describe: `401 legacy-unauthenticated${o.deprecated ? ', Deprecation and Sunset set' : ''}`,
    check: (ex) => {
      if (ex.status !== 401 || codeOf(ex) !== 'legacy-unauthenticated') return `got ${ex.status} ${codeOf(ex) || '(no code)'}`;
      if (o.deprecated) {
        if (ex.headers['deprecation'] !== LEGACY_DEPRECATION) return `Deprecation header ${JSON.stringify(ex.headers['deprecation'] ?? null)}, expected ${LEGACY_DEPRECATION}`;
        if (ex.headers['sunset'] !== LEGACY_SUNSET) return `Sunset header ${JSON.stringify(ex.headers['sunset'] ?? null)}, expected ${LEGACY_SUNSET}`;
      }
      return null;
    },
  };
}

/** 200 and every record refused with `code`; nothing for v2 to write. */
function everyRecordRefused(code: LegacyRefusalCode): Expected {
  return {
    describe: `200, every record refused ${code}`,
    check: (ex) => {
      const r = ex.json as LegacyUploadResult | undefined;
      if (ex.status !== 200 || !Array.isArray(r?.results)) return `expected a 200 v1 batch answer, got ${ex.status} ${codeOf(ex)}`;
      if (r.results.length === 0) return 'the answer has no verdicts';
      const bad = r.results.find((x) => x.status !== 'refused' || x.code !== code);
      if (bad) return `record ${bad.recordId} answered ${bad.status}${bad.code ? ` ${bad.code}` : ''}`;
      if (r.v2 !== 'not-applicable') return `v2: ${r.v2}`;
      return null;
    },
  };
}

const retired: Expected = { status: 410, codes: ['legacy-retired'] };

type LegacyCase = AttackCase<LegacyAttackWorld>;
const prepare = ({ world, http }: AttackContext) => legacyWorld(world, http);
const legacy = (cases: Array<Omit<LegacyCase, 'prepare'>>) => defineCases(cases.map((c): LegacyCase => ({ ...c, prepare })));

const wrong = (s: string) => `${s.slice(0, -1)}${s.endsWith('x') ? 'y' : 'x'}`;

/** Legacy identifiers an answer shows (case-insensitive). */
function leaked(ex: Exchange, ids: readonly string[]): string[] {
  const text = ex.text.toLowerCase();
  return ids.filter((id) => text.includes(id.toLowerCase()));
}

/** LEG-4 / API1-3, API9: the old v1 lines. */
export const legacyCases = legacy([
  // ------------------------------------------------------------ deprecated but live: still authenticated (API9)
  {
    id: 'legacy-deprecated-wrong-secret',
    title: "eco-brush (deprecated, Basic): a real user id with a guessed secret uploads a record",
    class: 'API9:2023',
    expected: unauthenticated({ deprecated: true }),
    run: (_, L) => L.upload('eco-brush', { userId: L.users.LE.userId, secret: wrong(L.users.LE.secret) }, [L.record('eco-brush', `LEG-GUESS-${L.users.LE.secret.slice(0, 4).toUpperCase()}`)]),
  },
  {
    id: 'legacy-deprecated-wrong-key',
    title: 'smile-plus (deprecated, API key): a real e-mail with a guessed x-smile-key uploads a record',
    class: 'API9:2023',
    expected: unauthenticated({ deprecated: true }),
    run: (_, L) => L.upload('smile-plus', { userId: L.users.LP.userId, secret: wrong(L.users.LP.secret) }, [L.record('smile-plus', L.serials.own)]),
  },
  {
    id: 'legacy-deprecated-no-credential',
    title: 'smile-plus (deprecated): an upload with no key and no user at all',
    class: 'API9:2023',
    expected: unauthenticated({ deprecated: true }),
    run: (_, L) => L.upload('smile-plus', null, [L.record('smile-plus', L.serials.own)]),
  },
  {
    id: 'legacy-deprecated-read-wrong-secret',
    title: "eco-brush (deprecated): read a real user's sessions with a guessed secret",
    class: 'API9:2023',
    expected: unauthenticated({ deprecated: true }),
    run: (_, L) => L.read('eco-brush', { userId: L.users.LSe.userId, secret: wrong(L.users.LSe.secret) }),
  },

  // ------------------------------------------------------------ unsigned records for a device that signs (LEG-4)
  {
    id: 'legacy-unsigned-for-v2-device',
    title: "sonic-classic (dual-write): unsigned v1 records naming A's v2 device A1 by its serial, under a real legacy user",
    class: 'LEG-4',
    expected: everyRecordRefused('device-signs-v2'),
    run: ({ world: w }, L) => L.upload('sonic-classic', L.users.LS, [L.record('sonic-classic', `ATK-${w.A1.deviceId}`), L.record('sonic-classic', `ATK-${w.A1.deviceId}`)]),
  },
  {
    id: 'legacy-replay-after-conversion',
    title: "a captured v1 upload (stored in both stores) of a device since converted to v2, replayed verbatim by its own legacy user",
    class: 'LEG-4',
    expected: everyRecordRefused('device-signs-v2'),
    run: (_, L) => L.upload(L.captured.converted.line, L.captured.converted.user, L.captured.converted.records),
  },
  {
    id: 'legacy-forged-after-conversion',
    title: 'sonic-classic: new unsigned records for the converted device (a forged phone of its former owner)',
    class: 'LEG-4',
    expected: everyRecordRefused('device-signs-v2'),
    run: (_, L) => L.upload('sonic-classic', L.users.LS, [L.record('sonic-classic', L.serials.converted)]),
  },
  {
    id: 'legacy-converted-via-other-line',
    title: 'eco-brush (legacy-only, deprecated): unsigned records for the converted device through another line',
    class: 'LEG-4',
    expected: everyRecordRefused('device-signs-v2'),
    run: (_, L) => L.upload('eco-brush', L.users.LE, [L.record('eco-brush', L.serials.converted)]),
  },
  {
    id: 'legacy-cutover-unsigned-for-v2-device',
    title: "dental-pro (reads cut over to v2): its former owner's forged phone sends new unsigned records for a device converted after the cutover",
    class: 'LEG-4',
    expected: everyRecordRefused('device-signs-v2'),
    run: (_, L) => L.upload('dental-pro', L.users.LD, [L.record('dental-pro', L.serials.convertedAfterCutover), L.record('dental-pro', L.serials.convertedAfterCutover)]),
  },
  {
    id: 'legacy-cutover-replay-after-conversion',
    title: 'dental-pro (reads cut over to v2): a captured upload of the device converted after the cutover, replayed verbatim',
    class: 'LEG-4',
    expected: everyRecordRefused('device-signs-v2'),
    run: (_, L) => L.upload(L.captured.convertedAfterCutover.line, L.captured.convertedAfterCutover.user, L.captured.convertedAfterCutover.records),
  },
  {
    id: 'legacy-retired-line-replay',
    title: 'junior-timer (retired, v2-only): a captured upload replayed by its real user',
    class: 'LEG-4',
    expected: retired,
    run: (_, L) => L.upload(L.captured.junior.line, L.captured.junior.user, L.captured.junior.records),
  },

  // ------------------------------------------------------------ identity-map confusion between schemes and lines (API2)
  {
    id: 'legacy-id-numeric-on-email-line',
    title: "flosser-one's numeric user id and secret presented on sonic-classic (an e-mail line)",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: (_, L) => L.upload('sonic-classic', L.users.LN, [L.record('sonic-classic', L.serials.own)]),
  },
  {
    id: 'legacy-id-household-on-serial-line',
    title: "kids-club's household id and key presented on travel-mini (the serial is the account)",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: (_, L) => L.upload('travel-mini', L.users.LH, [L.record('travel-mini', L.users.LH.userId.slice(0, 12))]),
  },
  {
    id: 'legacy-id-same-number-other-line',
    title: 'kids-club: household N with the secret of flosser-one user N (the same number, another person)',
    class: 'API2:2023',
    expected: unauthenticated(),
    run: (_, L) => L.upload('kids-club', { userId: L.users.LH.userId, secret: L.users.LN.secret }, [L.record('kids-club', `LEG-KIDS-${L.users.LH.userId.slice(-6)}`)]),
  },
  {
    id: 'legacy-id-other-line-user-this-secret',
    title: "sonic-classic: flosser-one's user id with a real sonic-classic user's secret",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: (_, L) => L.upload('sonic-classic', { userId: L.users.LN.userId, secret: L.users.LS.secret }, [L.record('sonic-classic', L.serials.own)]),
  },
  {
    id: 'legacy-id-email-other-line-secret',
    title: "sonic-classic: an address that is a user of both sonic-classic and eco-brush, with its eco-brush secret",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: (_, L) => L.upload('sonic-classic', L.users.LSe, [L.record('sonic-classic', L.serials.own)]),
  },
  {
    id: 'legacy-id-victim-email-own-secret',
    title: "sonic-classic: another user's e-mail with the attacker's own (valid) sonic-classic secret",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: (_, L) => L.upload('sonic-classic', { userId: L.users.LS.userId, secret: L.users.LS2.secret }, [L.record('sonic-classic', L.serials.own)]),
  },
  {
    id: 'legacy-id-v2-password-as-basic',
    title: "sonic-classic: A's v2 e-mail and password as the Basic credential",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: ({ world: w }, L) => L.upload('sonic-classic', { userId: w.A.email, secret: w.A.password }, [L.record('sonic-classic', `ATK-${w.A1.deviceId}`)]),
  },
  {
    id: 'legacy-id-v2-token-on-v1',
    title: "sonic-classic: A's v2 bearer token instead of a legacy credential",
    class: 'API2:2023',
    expected: unauthenticated(),
    run: ({ world: w }, L) => L.upload('sonic-classic', null, [L.record('sonic-classic', L.serials.own)], { headers: w.phone(w.A) }),
  },
  {
    id: 'legacy-id-secret-as-v2-password',
    title: "v2 password grant with a dual-written legacy user's e-mail and its legacy secret (its mapped account has no v2 credential)",
    class: 'API2:2023',
    expected: { status: [400, 401], codes: ['invalid_grant'] },
    run: ({ http }, L) => http.send('POST', '/v2/oauth/token', { json: { grant_type: 'password', client_id: 'fleetbed-phone', username: L.users.LS.userId, password: L.users.LS.secret } }),
  },

  // ------------------------------------------------------------ another user's device through a legacy line (API1)
  {
    id: 'legacy-device-not-yours',
    title: "sonic-classic: another user of the line uploads records for LS's device",
    class: 'API1:2023',
    expected: everyRecordRefused('device-not-yours'),
    run: (_, L) => L.upload('sonic-classic', L.users.LS2, [L.record('sonic-classic', L.serials.own), L.record('sonic-classic', L.serials.own)]),
  },
  {
    id: 'legacy-device-not-yours-relay',
    title: "sonic-classic: LS's captured upload relayed under another user's credential",
    class: 'API1:2023',
    expected: everyRecordRefused('device-not-yours'),
    run: (_, L) => L.upload('sonic-classic', L.users.LS2, L.captured.own.records),
  },
  {
    id: 'legacy-device-not-yours-other-line',
    title: "eco-brush: another person uploads records for LS's sonic-classic device through another line",
    class: 'API1:2023',
    expected: everyRecordRefused('device-not-yours'),
    run: (_, L) => L.upload('eco-brush', L.users.LE, [L.record('eco-brush', L.serials.own)]),
  },
  {
    id: 'legacy-cutover-device-not-yours',
    title: "dental-pro (reads cut over to v2): another user uploads records for LD's device",
    class: 'API1:2023',
    expected: everyRecordRefused('device-not-yours'),
    run: (_, L) => L.upload('dental-pro', L.users.LD2, [L.record('dental-pro', L.serials.dental)]),
  },

  // ------------------------------------------------------------ legacy identifiers stay in the identity tier (API3)
  {
    id: 'legacy-ids-in-v2-reads',
    title: 'after dual-write and a conversion, the v2 reads (A: devices, the converted device, sessions; the operator: line status) and the cut-over v1 read show no legacy user id',
    class: 'API3:2023',
    expected: {
      describe: '200 with no legacy user id (e-mail, number, phone, household) in the body',
      check: (ex, L: LegacyAttackWorld) => {
        const where = `${ex.request.method} ${ex.request.path.split('?')[0]}`;
        if (ex.status !== 200) return `${where} answered ${ex.status} ${codeOf(ex)}`;
        if (where.startsWith('GET /v1/') && ex.json?.source !== 'v2') return `${where} was served from ${ex.json?.source}, not v2 (the line's reads are cut over)`;
        const found = leaked(ex, L.identifiers);
        return found.length ? `${where} shows legacy user id(s) ${found.join(', ')}` : null;
      },
    },
    run: async ({ world: w, http }, L) => [
      await http.send('GET', '/v2/devices', { headers: w.phone(w.A) }),
      await http.send('GET', `/v2/devices/${L.converted.deviceId}`, { headers: w.phone(w.A) }),
      await http.send('GET', `/v2/devices/${L.converted.deviceId}/sessions`, { headers: w.phone(w.A) }),
      await http.send('GET', `/v2/devices/${w.A1.deviceId}/sessions`, { headers: w.phone(w.A) }),
      await http.send('GET', '/v2/legacy/lines', { headers: L.operator }),
      await http.send('GET', '/v2/legacy/lines/sonic-classic/reconciliations', { headers: L.operator }),
      await http.send('GET', '/v2/legacy/lines/dental-pro/reconciliations', { headers: L.operator }),
      await L.read('dental-pro', L.users.LD),
    ],
  },
]);
