import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { describeEachDatabase, listDevices, newSignUp, PHONE_CLIENT_ID, signUpAndSignIn, tokenRequest, withClient } from '../support/fixtures.ts';

/**
 * Group commit of sign-ups and token grants (reference-api/src/auth/store.ts):
 * concurrent requests share statements, and each still gets exactly its own
 * answer. Rows written by one statement share one transaction id (xmin): that
 * is how these tests see the grouping.
 */
describeEachDatabase('accounts and tokens: concurrent requests share statements (group commit) and keep their own answers', (serverUrl) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(serverUrl);
  });
  afterAll(async () => api?.close());

  const sha = (token: string) => createHash('sha256').update(token).digest();
  const distinctXmin = (table: string, column: string, values: unknown[], cast: string) =>
    withClient(api.db.url, async (c) => (await c.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM ${table} WHERE ${column} = ANY($1::${cast}[])`, [values])).rows[0]!.n);

  it('12 sign-ups at once, one of them for a taken email: 11 accounts each with its own identity and event, the taken email 409 and nothing written for it', async () => {
    const taken = newSignUp('group-taken');
    expect((await api.app.inject({ method: 'POST', url: '/v2/accounts', payload: taken })).statusCode).toBe(201);
    const bodies = Array.from({ length: 11 }, (_, i) => newSignUp(`group-signup-${i}`));
    const all = [...bodies.slice(0, 5), { ...taken, email: taken.email.toUpperCase(), displayName: 'Impostor' }, ...bodies.slice(5)];
    const answers = await Promise.all(all.map((payload) => api.app.inject({ method: 'POST', url: '/v2/accounts', payload })));

    expect(answers.map((r) => r.statusCode)).toEqual(all.map((_, i) => (i === 5 ? 409 : 201)));
    expect(answers[5]!.json()).toMatchObject({ code: 'email-taken', field: 'email' });
    const ids = answers.filter((r) => r.statusCode === 201).map((r) => r.json().accountId as string);
    expect(new Set(ids).size).toBe(11);
    const stored = await withClient(api.db.url, async (c) => ({
      identities: (await c.query<{ account_id: string; email: string; display_name: string }>('SELECT account_id, email, display_name FROM identity_accounts WHERE account_id = ANY($1::uuid[])', [ids])).rows,
      events: (await c.query<{ account_id: string }>("SELECT account_id FROM events WHERE kind = 'account.created' AND account_id = ANY($1::uuid[])", [ids])).rows,
      impostors: (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM identity_accounts WHERE display_name = 'Impostor'")).rows[0]!.n,
    }));
    const byId = new Map(stored.identities.map((r) => [r.account_id, r]));
    bodies.forEach((b) => {
      const answer = answers[all.indexOf(b)]!.json() as { accountId: string };
      expect(byId.get(answer.accountId)).toMatchObject({ email: b.email, display_name: b.displayName });
    });
    expect(stored.events.map((e) => e.account_id).sort()).toEqual([...ids].sort());
    expect(stored.impostors).toBe(0);
    // Each sign-up signs in with its own password.
    const signIns = await Promise.all(bodies.map((b) => tokenRequest(api.app, { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: b.email, password: b.password })));
    signIns.forEach((r) => expect(r.statusCode, r.body).toBe(200));
  });

  it('12 sign-ups at once: fewer statements than sign-ups', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => api.app.inject({ method: 'POST', url: '/v2/accounts', payload: newSignUp(`group-count-${i}`) })));
    answers.forEach((r) => expect(r.statusCode, r.body).toBe(201));
    const statements = await distinctXmin('accounts', 'account_id', answers.map((r) => r.json().accountId), 'uuid');
    console.log(`[fleetbed tests] grant group commit: 12 concurrent sign-ups were written by ${statements} statement(s)`);
    expect(statements).toBeLessThan(12);
  });

  it('12 password grants at once, with a wrong password and an unknown email among them: each good one gets its own working pair, of its own account', async () => {
    const accounts = await Promise.all(Array.from({ length: 10 }, (_, i) => signUpAndSignIn(api.app, `group-grant-${i}`)));
    const forms = [
      ...accounts.map((a) => ({ grant_type: 'password', client_id: PHONE_CLIENT_ID, username: a.email, password: a.password })),
      { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: accounts[0]!.email, password: 'not the password' },
      { grant_type: 'password', client_id: PHONE_CLIENT_ID, username: 'nobody-at-all@example.test', password: 'x' },
    ];
    const answers = await Promise.all(forms.map((f) => tokenRequest(api.app, f)));
    expect(answers.map((r) => r.statusCode)).toEqual([...accounts.map(() => 200), 400, 400]);
    expect(answers.slice(10).map((r) => r.json().error)).toEqual(['invalid_grant', 'invalid_grant']);
    const pairs = answers.slice(0, 10).map((r) => r.json() as { access_token: string; refresh_token: string });
    const owners = await withClient(api.db.url, async (c) =>
      new Map((await c.query<{ token_hash: Buffer; account_id: string }>('SELECT token_hash, account_id FROM access_tokens WHERE token_hash = ANY($1::bytea[])', [pairs.map((p) => sha(p.access_token))])).rows.map((r) => [r.token_hash.toString('hex'), r.account_id])),
    );
    pairs.forEach((p, i) => expect(owners.get(sha(p.access_token).toString('hex'))).toBe(accounts[i]!.accountId));
    for (const p of pairs) expect((await listDevices(api.app, p.access_token)).statusCode).toBe(200);
    const statements = await distinctXmin('access_tokens', 'token_hash', pairs.map((p) => sha(p.access_token)), 'bytea');
    console.log(`[fleetbed tests] grant group commit: 10 concurrent password grants were issued by ${statements} statement(s)`);
    expect(statements).toBeLessThan(10);
  });

  it('refreshes at once, one token twice among them: the others each rotate to a working pair of their own family; of the twins one wins and the other revokes that family', async () => {
    const accounts = await Promise.all(Array.from({ length: 8 }, (_, i) => signUpAndSignIn(api.app, `group-refresh-${i}`)));
    const refresh = (token: string) => tokenRequest(api.app, { grant_type: 'refresh_token', client_id: PHONE_CLIENT_ID, refresh_token: token });
    const answers = await Promise.all([...accounts.map((a) => refresh(a.refreshToken)), refresh(accounts[0]!.refreshToken)]);

    const twins = [answers[0]!, answers[8]!];
    expect(twins.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    expect(twins.find((r) => r.statusCode === 400)!.json()).toMatchObject({ error: 'invalid_grant' });
    // The family of accounts[0] is revoked: its new access token (if any) no longer works.
    const winner = twins.find((r) => r.statusCode === 200)!.json() as { access_token: string };
    expect((await listDevices(api.app, winner.access_token)).statusCode).toBe(401);

    const others = answers.slice(1, 8);
    others.forEach((r) => expect(r.statusCode, r.body).toBe(200));
    const pairs = others.map((r) => r.json() as { access_token: string; refresh_token: string });
    for (const p of pairs) expect((await listDevices(api.app, p.access_token)).statusCode).toBe(200);
    const families = await withClient(api.db.url, async (c) => ({
      issued: (await c.query<{ token_hash: Buffer; account_id: string; family_id: string }>('SELECT token_hash, account_id, family_id FROM refresh_tokens WHERE token_hash = ANY($1::bytea[])', [pairs.map((p) => sha(p.refresh_token))])).rows,
      presented: (await c.query<{ token_hash: Buffer; family_id: string; rotated: boolean }>('SELECT token_hash, family_id, rotated_at IS NOT NULL AS rotated FROM refresh_tokens WHERE token_hash = ANY($1::bytea[])', [accounts.slice(1).map((a) => sha(a.refreshToken))])).rows,
    }));
    const presentedFamily = new Map(families.presented.map((r) => [r.token_hash.toString('hex'), r.family_id]));
    expect(families.presented.every((r) => r.rotated)).toBe(true);
    const issuedBy = new Map(families.issued.map((r) => [r.token_hash.toString('hex'), r]));
    pairs.forEach((p, i) => {
      const row = issuedBy.get(sha(p.refresh_token).toString('hex'))!;
      expect(row.account_id).toBe(accounts[i + 1]!.accountId);
      expect(row.family_id).toBe(presentedFamily.get(sha(accounts[i + 1]!.refreshToken).toString('hex')));
    });
    const statements = await distinctXmin('refresh_tokens', 'token_hash', pairs.map((p) => sha(p.refresh_token)), 'bytea');
    console.log(`[fleetbed tests] grant group commit: 7 concurrent refreshes were rotated by ${statements} statement(s)`);
    expect(statements).toBeLessThan(7);
  });
});
