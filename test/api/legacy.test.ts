import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody, interpret, write, type RawRecord } from '../../contract/legacy/dialect.ts';
import { DIALECTS } from '../../contract/legacy/dialects.ts';
import { legacyRowKey, type LegacyReadResult, type LegacySessionView } from '../../contract/legacy/wire.ts';
import { LEGACY_DEPRECATION, LEGACY_SUNSET } from '../../contract/openapi.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachDatabase, provisionDevices, registration } from '../support/fixtures.ts';
import { addUsers, credentials, dialect, digest, getSessions, lineStatus, postSessions, read, records, truth, upload, userIdFor, type LegacyUser } from './legacy-client.ts';

/** What GET <basePath>/sessions must give back for raw records written under revision 0. */
function expected(line: string, raws: readonly RawRecord[]): LegacySessionView[] {
  const d = dialect(line);
  return raws
    .map((raw) => {
      const it = interpret(d, d.revisions[0]!, raw);
      return { recordId: it.recordId, deviceSerial: it.deviceSerial, ...it.session };
    })
    .sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
}

/**
 * The legacy v1 facade (issue 19) against real PostgreSQL: every line in its
 * own encoding and auth, the refusals of the request, and the verdict of
 * every record.
 */
describeEachDatabase('legacy v1 facade', (serverUrl) => {
  let api: TestApi;
  const users = new Map<string, LegacyUser>();
  const userOf = (line: string, n = 1) => users.get(`${line}/${n}`)!;

  beforeAll(async () => {
    api = await startTestApi(serverUrl);
    const all: LegacyUser[] = [];
    for (const d of DIALECTS) {
      for (const n of [1, 2]) {
        const u = { line: d.line, userId: userIdFor(d, n), secret: `secret-${d.line}-${n}` };
        users.set(`${d.line}/${n}`, u);
        all.push(u);
      }
    }
    await addUsers(api.app, all);
  });
  afterAll(async () => api?.close());

  describe.each(DIALECTS.map((d) => [d.line, d.encoding, d.auth.kind] as const))('%s (%s, %s)', (line) => {
    const d = dialect(line);
    it('an upload in the line’s encoding and auth round-trips: every record stored, GET returns the sessions', async () => {
      const u = userOf(line);
      const raws = records(d, d.revisions[0]!, `RT-${line}`, 0, 5);
      const res = await postSessions(api.app, d, u, raws);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        results: raws.map((_, i) => ({ recordId: `r-RT-${line}-${i}`, rowKey: legacyRowKey(line, u.userId, `r-RT-${line}-${i}`), status: 'stored' })),
        v2: 'not-applicable',
      });
      const back = await read(api.app, d, u);
      expect(back).toEqual({ source: 'legacy', sessions: expected(line, raws) } satisfies LegacyReadResult);
      // since= keeps the sessions that started then or later.
      expect((await read(api.app, d, u, truth(d.revisions[0]!, 3, `RT-${line}`).startedAt)).sessions.map((s) => s.recordId)).toEqual([`r-RT-${line}-3`, `r-RT-${line}-4`]);
      // Another user of the line sees none of them.
      expect((await read(api.app, d, userOf(line, 2))).sessions).toEqual([]);
    });

    it(d.deprecated ? 'deprecated: every answer (errors too) carries Deprecation and Sunset, and counts as deprecated traffic' : 'not deprecated: no Deprecation header; traffic is counted', async () => {
      const before = (await lineStatus(api.app, line)).traffic;
      const ok = await getSessions(api.app, d, userOf(line));
      const refused = await getSessions(api.app, d, userOf(line), undefined, credentials(d, { userId: userOf(line).userId, secret: 'wrong' }));
      expect([ok.statusCode, refused.statusCode]).toEqual([200, 401]);
      for (const res of [ok, refused]) {
        expect(res.headers.deprecation).toBe(d.deprecated ? LEGACY_DEPRECATION : undefined);
        expect(res.headers.sunset).toBe(d.deprecated ? LEGACY_SUNSET : undefined);
      }
      const after = (await lineStatus(api.app, line)).traffic;
      expect(after).toEqual({ requests: before.requests + 2, refused: before.refused + 1, deprecatedRequests: before.deprecatedRequests + (d.deprecated ? 2 : 0) });
    });

    it('401 legacy-unauthenticated without the credential, with a wrong secret, for an unknown user (Basic lines: with the challenge)', async () => {
      const u = userOf(line);
      const raws = records(d, d.revisions[0]!, `AU-${line}`, 0, 1);
      const cases = [
        postSessions(api.app, d, u, raws, { credentials: null }),
        postSessions(api.app, d, u, raws, { credentials: credentials(d, { userId: u.userId, secret: 'not-the-secret' }) }),
        postSessions(api.app, d, u, raws, { credentials: credentials(d, { userId: userIdFor(d, 999), secret: u.secret }) }),
        // The other user's secret does not open this user's account.
        postSessions(api.app, d, u, raws, { credentials: credentials(d, { userId: u.userId, secret: userOf(line, 2).secret }) }),
        getSessions(api.app, d, u, undefined, { headers: {}, query: {} }),
      ];
      for (const res of await Promise.all(cases)) {
        expect(res.statusCode, res.body).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().code).toBe('legacy-unauthenticated');
        expect(res.headers['www-authenticate']).toBe(d.auth.kind === 'basic' ? `Basic realm="${line}"` : undefined);
      }
      expect((await read(api.app, d, u)).sessions.filter((s) => s.recordId.startsWith('r-AU-'))).toEqual([]);
    });

    it('400 without its app’s User-Agent, for an unreadable body and for more than 1000 records; 415 for another media type — nothing written', async () => {
      const u = userOf(line);
      const raws = records(d, d.revisions[0]!, `BAD-${line}`, 0, 2);
      const before = await digest(api.app);
      for (const ua of [null, 'Mozilla/5.0', `Other/${d.revisions[0]!.appBuild}`, `${d.appName}/x`]) {
        const res = await postSessions(api.app, d, u, raws, { userAgent: ua });
        expect(res.statusCode, `${ua}`).toBe(400);
        expect(res.json()).toMatchObject({ code: 'validation-failed', field: 'User-Agent' });
      }
      const unreadable = d.encoding === 'json' ? JSON.stringify({ wrongKey: [] }) : d.encoding === 'form' ? 'notindexed=1' : 'no-equals-sign';
      const bad = await postSessions(api.app, d, u, raws, { body: unreadable });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'validation-failed', field: 'body' });
      const many = records(d, d.revisions[0]!, `MANY-${line}`, 0, 1001);
      const tooMany = await postSessions(api.app, d, u, many);
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json().detail).toMatch(/at most 1000 records/i);
      const other = d.encoding === 'json' ? 'text/plain' : 'application/json';
      const wrongType = await postSessions(api.app, d, u, raws, { contentType: other });
      expect(wrongType.statusCode).toBe(415);
      expect(wrongType.json()).toMatchObject({ code: 'unsupported-media-type', field: 'Content-Type' });
      expect(await digest(api.app)).toBe(before);
    });
  });

  it('one verdict per record: stored, duplicate, record-conflict (the first copy stays), device-not-yours, invalid-record', async () => {
    const d = dialect('sonic-classic');
    const rev = d.revisions[0]!;
    const [alice, bob] = [userOf('sonic-classic'), userOf('sonic-classic', 2)];
    const first = write(d, rev, truth(rev, 1, 'VD-1'));
    await upload(api.app, d, alice, [first]);
    const conflicting = { ...first, dur: 999 };
    const noSerial = { id: 'no-serial', ts: 1_767_000_000, dur: 5 };
    const fresh = write(d, rev, truth(rev, 2, 'VD-1'));
    const r = await upload(api.app, d, alice, [first, conflicting, noSerial, fresh, fresh]);
    expect(r.results.map((x) => x.code ?? x.status)).toEqual(['duplicate', 'record-conflict', 'invalid-record', 'stored', 'duplicate']);
    expect(r.results[2]).toEqual({ recordId: 'no-serial', rowKey: legacyRowKey('sonic-classic', alice.userId, 'no-serial'), status: 'refused', code: 'invalid-record' });
    // The first copy stays.
    expect((await read(api.app, d, alice)).sessions.find((s) => s.recordId === first.id)?.durationS).toBe(truth(rev, 1, 'VD-1').durationS);
    // The serial is alice's: bob's records for it are refused, and the same record id is bob's own row.
    const bobs = await upload(api.app, d, bob, [first, write(d, rev, truth(rev, 1, 'VD-2'))]);
    expect(bobs.results.map((x) => x.code ?? x.status)).toEqual(['device-not-yours', 'stored']);
    expect(bobs.results[0]!.rowKey).not.toBe(r.results[0]!.rowKey);
    // A body with no id at all.
    expect((await upload(api.app, d, alice, [{ serial: 'VD-1', ts: 1 }])).results).toEqual([{ recordId: null, rowKey: null, status: 'refused', code: 'invalid-record' }]);
  });

  it('device-signs-v2: a serial provisioned through the factory route signs its records; no unsigned record is written for it, and the state digest does not move', async () => {
    const [device] = await provisionDevices(api.app, 1);
    const serial = registration(device!.deviceId).serial;
    for (const d of DIALECTS) {
      const u = userOf(d.line);
      const before = await digest(api.app);
      const raws = records(d, d.revisions[0]!, serial, 0, 2);
      const r = await upload(api.app, d, u, raws);
      expect(r).toEqual({ results: raws.map((_, i) => ({ recordId: `r-${serial}-${i}`, rowKey: legacyRowKey(d.line, u.userId, `r-${serial}-${i}`), status: 'refused', code: 'device-signs-v2' })), v2: 'not-applicable' });
      expect(await digest(api.app), d.line).toBe(before);
      expect((await read(api.app, d, u)).sessions.filter((s) => s.deviceSerial === serial)).toEqual([]);
    }
  });

  it('a refused request (401, 415) and a fully refused upload change nothing in the state digest', async () => {
    const d = dialect('kids-club');
    const u = userOf('kids-club');
    const raws = records(d, d.revisions[0]!, 'DG-1', 0, 3);
    await upload(api.app, d, userOf('kids-club', 2), raws); // the serial is the other user's
    const before = await digest(api.app);
    expect((await postSessions(api.app, d, u, raws, { credentials: null })).statusCode).toBe(401);
    expect((await postSessions(api.app, d, u, raws, { contentType: 'application/x-www-form-urlencoded', body: encodeBody(dialect('flosser-one'), raws).body })).statusCode).toBe(415);
    expect((await upload(api.app, d, u, raws)).results.every((x) => x.code === 'device-not-yours')).toBe(true);
    expect(await digest(api.app)).toBe(before);
  });
});
